// policy.json: what is written reads back to the same policy and θ; a mismatch names the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@bilevel/linalg';
import { FeaturePolicy, MlpPolicy, getSystem } from '@bilevel/control';
import { mlpPolicyDocument, policyDocument, readPolicyFile } from './policy-file';

const dir = mkdtempSync(join(tmpdir(), 'safe-control-policy-'));

test('a written policy reads back exactly and acts the same', () => {
  const sys = getSystem('lane-keeping');
  const pi = new FeaturePolicy(4, 1, { degree: 2, constant: true });
  const theta = Float64Array.from({ length: pi.nTheta }, (_, k) => (k - 7) / 3);
  const doc = policyDocument(sys, pi, 2, true, theta);
  assert.equal(doc.features.length, pi.nFeatures);
  assert.equal(doc.features[0], '1');
  const path = join(dir, 'p.json');
  writeFileSync(path, JSON.stringify(doc));
  const back = readPolicyFile(path, sys);
  assert.deepEqual(Array.from(back.theta), Array.from(theta)); // JSON round-trips float64 exactly
  const x = [0.3, -1.2, 0.7, 2];
  const [u1, u2] = [new Float64Array(1), new Float64Array(1)];
  pi.act(theta, x, u1);
  back.policy.act(back.theta, x, u2);
  assert.equal(u2[0], u1[0]);
});

test('a policy with the wrong degree or kind is refused with the file and field', () => {
  const sys = getSystem('pj');
  const doc = policyDocument(sys, new FeaturePolicy(2, 1), 1, false, Float64Array.of(1, 2));
  const path = join(dir, 'bad.json');
  writeFileSync(path, JSON.stringify({ ...doc, degree: 0 }));
  assert.throws(() => readPolicyFile(path, sys), /bad.json: degree must be an integer in 1…6, received 0/);
  writeFileSync(path, JSON.stringify({ ...doc, kind: 'rbf' }));
  assert.throws(() => readPolicyFile(path, sys), /bad.json: kind must be 'feature' or 'mlp', received "rbf"/);
  writeFileSync(path, JSON.stringify({ ...doc, version: 2 }));
  assert.throws(() => readPolicyFile(path, sys), /bad.json: version must be 1, received 2/);
});

test('an MLP policy (kind mlp) reads back exactly and acts the same; a bad squash is refused', () => {
  const sys = getSystem('pj');
  const pi = new MlpPolicy(2, 1, { hidden: [5, 3], squash: 15 });
  const theta = pi.init(Rng.fromSeed(7));
  const doc = mlpPolicyDocument(sys, pi, theta);
  assert.deepEqual([doc.kind, doc.sizes, doc.activation, doc.squash], ['mlp', [2, 5, 3, 1], 'tanh', 15]);
  const path = join(dir, 'mlp.json');
  writeFileSync(path, JSON.stringify(doc));
  const back = readPolicyFile(path, sys);
  assert.equal(back.kind, 'mlp');
  assert.deepEqual(Array.from(back.theta), Array.from(theta));
  const [u1, u2] = [new Float64Array(1), new Float64Array(1)];
  pi.act(theta, [0.4, -0.9], u1);
  back.policy.act(back.theta, [0.4, -0.9], u2);
  assert.equal(u2[0], u1[0]);
  writeFileSync(path, JSON.stringify({ ...doc, squash: -1 }));
  assert.throws(() => readPolicyFile(path, sys), /mlp.json: squash must be null or a finite number > 0, received -1/);
  writeFileSync(path, JSON.stringify({ ...doc, theta: doc.theta.slice(1) }));
  assert.throws(() => readPolicyFile(path, sys), new RegExp(`mlp.json: theta must hold ${pi.nTheta} numbers`));
});
