// certificate.json of kind 'neural': a written barrier MLP reads back to the same ψ (same values of B); mismatches name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@bilevel/linalg';
import { BarrierMlp, INVERTED_PENDULUM, PJ, getSystem } from '@bilevel/control';
import { certificateKind, neuralCertificateDocument, readNeuralCertificateFile } from './neural-certificate-file';

const dir = mkdtempSync(join(tmpdir(), 'safe-control-neural-cert-'));

test('a neural certificate reads back with the same weights, and states the system terms and the verifier budget', () => {
  const barrier = new BarrierMlp(2, { hidden: [6, 4] });
  const psi = barrier.init(Rng.fromSeed(2));
  psi[psi.length - 1] = -0.25; // a non-zero output bias, to see the layout
  const cert = { barrier, psi };
  const doc = neuralCertificateDocument(INVERTED_PENDULUM, cert);
  assert.deepEqual([doc.kind, doc.sizes, doc.layers.length, doc.layers[2].bias], ['neural', [2, 6, 4, 1], 3, [-0.25]]);
  const path = join(dir, 'c.json');
  writeFileSync(path, JSON.stringify(doc));
  assert.equal(certificateKind(path), 'neural');
  const back = readNeuralCertificateFile(path, INVERTED_PENDULUM);
  assert.deepEqual(Array.from(back.psi), Array.from(psi)); // JSON round-trips float64 exactly
  assert.deepEqual(back.barrier.sizes, barrier.sizes);
  for (const x of [[0.1, -2], [1.4, 2.9]]) assert.equal(back.barrier.forward(back.psi, x), barrier.forward(psi, x));
  assert.deepEqual([doc.domain, doc.conditions, doc.verification], [{ lo: [-1.5, -3], hi: [1.5, 3] }, { decay: 0.1, unsafeMargin: 1e-6 }, { maxBoxes: 20000, cells: 12 }]);
});

test('a neural certificate for a system with another certificate kind, or with bad fields, is refused', () => {
  const barrier = new BarrierMlp(2, { hidden: [3] });
  const doc = neuralCertificateDocument(PJ, { barrier, psi: barrier.init(Rng.fromSeed(0)) });
  const path = join(dir, 'bad.json');
  writeFileSync(path, JSON.stringify({ ...doc, system: 'pendulum' }));
  assert.throws(() => readNeuralCertificateFile(path, getSystem('pendulum')), /bad.json: a neural certificate is a barrier, and 'pendulum' needs a lyapunov certificate/);
  // terms other than the system's (or a budget other than the verifier's) are refused, naming both values
  writeFileSync(path, JSON.stringify({ ...doc, conditions: { decay: 2, unsafeMargin: 1e-6 } }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /bad.json: conditions.decay is 2 in the file, but the system 'pj' defines 0.1; a certificate is checked against the terms of the system it names/);
  writeFileSync(path, JSON.stringify({ ...doc, conditions: { unsafeMargin: 0 } }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /conditions.unsafeMargin is 0 in the file, but the system 'pj' defines 0.000001/);
  writeFileSync(path, JSON.stringify({ ...doc, domain: { lo: [-30, -30], hi: [30, 30] } }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /bad.json: domain is \{"lo":\[-30,-30\],"hi":\[30,30\]\} in the file, but the system 'pj' defines \{"lo":\[-3,-3\],"hi":\[3,3\]\}/);
  writeFileSync(path, JSON.stringify({ ...doc, verification: { maxBoxes: 1e6, cells: 12 } }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /verification.maxBoxes is 1000000 in the file, but the verifier \(its own budget\) defines 20000/);
  const { domain: _d, conditions: _c, verification: _v, ...bare } = doc;
  writeFileSync(path, JSON.stringify(bare));
  assert.equal(readNeuralCertificateFile(path, PJ).psi.length, barrier.nPsi, 'a file that states no terms reads: the system terms apply');
  writeFileSync(path, JSON.stringify({ ...doc, activation: 'relu' }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /bad.json: activation must be 'tanh', received "relu"/);
  writeFileSync(path, JSON.stringify({ ...doc, layers: doc.layers.slice(1) }));
  assert.throws(() => readNeuralCertificateFile(path, PJ), /bad.json: layers must be an array of 2 \{weights, bias\}, received 1/);
});
