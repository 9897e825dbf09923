// policyNodes against Policy.act: the graph of a FeaturePolicy (degree 2, with an offset) and of MlpPolicy (tanh and
// relu, squashed or not) must evaluate to the policy's own output at random states. REL 1e-12: the same float
// operations in a possibly different summation order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { Graph, evaluate } from '@bilevel/verify';
import type { Policy } from '../policy';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { policyNodes } from './policy-graph';

const REL = 1e-12;
const PARAMS = { seed: 11, numRuns: 100 };

function agrees(policy: Policy, theta: Float64Array, x: number[]): void {
  const g = new Graph(policy.nx);
  const out = policyNodes(g, policy, theta, g.inputs());
  const v = evaluate(g, x);
  const u = new Float64Array(policy.nu);
  policy.act(theta, x, u);
  u.forEach((ua, a) => assert.ok(Math.abs(v[out[a]] - ua) <= REL * (1 + Math.abs(ua)), `u${a}: graph ${v[out[a]]} vs act ${ua}`));
}

const state = (n: number) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n });

test('FeaturePolicy (degree 2, constant feature, 2 outputs): graph = act', () => {
  const pi = new FeaturePolicy(3, 2, { degree: 2, constant: true });
  const rng = Rng.fromSeed(1);
  const theta = new Float64Array(pi.nTheta);
  rng.normals(theta);
  fc.assert(fc.property(state(3), (x) => agrees(pi, theta, x)), PARAMS);
});

for (const [activation, squash] of [['tanh', null], ['relu', 5], ['tanh', 10]] as const) {
  test(`MlpPolicy (${activation}, squash ${squash}): graph = act for the flat θ layout`, () => {
    const pi = new MlpPolicy(4, 2, { hidden: [5, 3], activation, ...(squash === null ? {} : { squash }) });
    const theta = pi.init(Rng.fromSeed(2));
    const bias = new Float64Array(pi.nTheta);
    Rng.fromSeed(3).normals(bias);
    for (let i = 0; i < theta.length; i++) theta[i] += 0.1 * bias[i]; // non-zero biases too
    fc.assert(fc.property(state(4), (x) => agrees(pi, theta, x)), PARAMS);
  });
}

test('bad input is rejected with the field named', () => {
  const g = new Graph(2);
  const pi = new FeaturePolicy(2, 1);
  assert.throws(() => policyNodes(g, pi, new Float64Array(3), g.inputs()), /policyNodes: theta must have length 2, received 3/);
  assert.throws(() => policyNodes(g, pi, new Float64Array(2), [0]), /policyNodes: x must have length policy.nx = 2, received 1/);
  const other: Policy = { nx: 2, nu: 1, nTheta: 0, act: () => undefined, jacobians: () => undefined };
  assert.throws(() => policyNodes(g, other, new Float64Array(0), g.inputs()), /must be a FeaturePolicy or an MlpPolicy/);
});
