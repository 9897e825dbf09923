// certificate.json: a written certificate reads back to the same polynomial and conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Polynomial, getSystem } from '@bilevel/control';
import { certificateDocument, readCertificateFile } from './certificate-file';

const dir = mkdtempSync(join(tmpdir(), 'safe-control-cert-'));

test('a written certificate reads back to the same polynomial and c*, and states the system terms', () => {
  const sys = getSystem('pj');
  const b = Polynomial.fromTerms(2, [[[2, 0], 0.25], [[1, 1], -1 / 3], [[0, 0], -0.1]]);
  const doc = certificateDocument(sys, b, -0.125);
  assert.equal(doc.text, b.toString(['x1', 'x2']));
  const path = join(dir, 'c.json');
  writeFileSync(path, JSON.stringify(doc));
  const back = readCertificateFile(path, sys);
  assert.equal(back.cStar, -0.125);
  assert.deepEqual(doc.conditions, { lambdaB: -4, epsilon: 0.01, innerRadius: 0.1 });
  for (const x of [[0, 0], [1.5, -0.3], [-2, 2]]) assert.equal(back.certificate.evaluate(x), b.evaluate(x));
});

test('a certificate for another kind of condition or with fractional exponents is refused', () => {
  const sys = getSystem('pj');
  const doc = certificateDocument(sys, Polynomial.constant(2, 1), -1);
  const path = join(dir, 'bad.json');
  writeFileSync(path, JSON.stringify({ ...doc, certificate: 'lyapunov' }));
  assert.throws(() => readCertificateFile(path, sys), /bad.json: certificate must be 'barrier' for 'pj', received "lyapunov"/);
  writeFileSync(path, JSON.stringify({ ...doc, terms: [{ exponents: [0.5, 0], coefficient: 1 }] }));
  assert.throws(() => readCertificateFile(path, sys), /terms\[0\].exponents must be integers in 0…12/);
  writeFileSync(path, JSON.stringify({ ...doc, cStar: 'low' }));
  assert.throws(() => readCertificateFile(path, sys), /cStar must be a finite number, received "low"/);
});

test('stated terms must be the system terms: another value, an unknown term or a malformed block is one error naming the field and both values', () => {
  const sys = getSystem('pj');
  const doc = certificateDocument(sys, Polynomial.constant(2, -1), -1);
  const path = join(dir, 'terms.json');
  const read = (conditions: unknown) => {
    writeFileSync(path, JSON.stringify({ ...doc, conditions }));
    return () => readCertificateFile(path, sys);
  };
  assert.throws(read({ lambdaB: -5, epsilon: 0.01, innerRadius: 0.1 }), /terms.json: conditions.lambdaB is -5 in the file, but the system 'pj' defines -4; a certificate is checked against the terms of the system it names/);
  assert.throws(read({ epsilon: 0.02 }), /conditions.epsilon is 0.02 in the file, but the system 'pj' defines 0.01/);
  assert.throws(read({ innerRadius: '0.1' }), /conditions.innerRadius is "0.1" in the file, but the system 'pj' defines 0.1/);
  assert.throws(read({ margin: 0 }), /conditions.margin is not a term of the system 'pj' \(its terms: lambdaB, epsilon, innerRadius\)/);
  assert.throws(read([]), /conditions must be an object \{lambdaB, epsilon, innerRadius\} \(or absent\), received \[\]/);
  assert.doesNotThrow(read({ epsilon: 0.01 }), 'a subset stated with the system values');
  const { conditions: _, ...bare } = doc;
  writeFileSync(path, JSON.stringify(bare));
  assert.equal(readCertificateFile(path, sys).certificate.evaluate([0, 0]), -1, 'no stated terms: the system terms apply');
});
