// Policy Jacobians (∂u/∂x, ∂u/∂θ) against central differences; the feature policy's polynomial form against act().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { FeaturePolicy } from './policy';
import { MlpPolicy } from './mlp-policy';
import type { Policy } from './policy';

const H = 1e-6;
const FD_TOL = 1e-6; // central differences on smooth maps (relu: points are never exactly at a kink)

function checkJacobians(policy: Policy, theta: Float64Array, x: Float64Array): void {
  const { nx, nu, nTheta } = policy;
  const u = new Float64Array(nu);
  const dudx = new Float64Array(nu * nx);
  const dudth = new Float64Array(nu * nTheta);
  policy.jacobians(theta, x, u, dudx, dudth);
  const u2 = new Float64Array(nu);
  policy.act(theta, x, u2);
  assert.deepEqual(Array.from(u), Array.from(u2));
  const up = new Float64Array(nu);
  const um = new Float64Array(nu);
  for (let i = 0; i < nx; i++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i] += H;
    xm[i] -= H;
    policy.act(theta, xp, up);
    policy.act(theta, xm, um);
    for (let a = 0; a < nu; a++) {
      const fd = (up[a] - um[a]) / (2 * H);
      assert.ok(Math.abs(fd - dudx[a * nx + i]) <= FD_TOL * (1 + Math.abs(fd)), `∂u${a}/∂x${i}: ${dudx[a * nx + i]} vs ${fd}`);
    }
  }
  for (let p = 0; p < nTheta; p++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[p] += H;
    tm[p] -= H;
    policy.act(tp, x, up);
    policy.act(tm, x, um);
    for (let a = 0; a < nu; a++) {
      const fd = (up[a] - um[a]) / (2 * H);
      assert.ok(Math.abs(fd - dudth[a * nTheta + p]) <= FD_TOL * (1 + Math.abs(fd)), `∂u${a}/∂θ${p}: ${dudth[a * nTheta + p]} vs ${fd}`);
    }
  }
}

test('FeaturePolicy: Jacobians by finite differences, polynomial form equals act()', () => {
  const rng = Rng.fromSeed(7);
  const pi = new FeaturePolicy(3, 2, { degree: 2, constant: true });
  assert.equal(pi.nFeatures, 10);
  assert.equal(pi.nTheta, 20);
  for (let k = 0; k < 20; k++) {
    const theta = rng.normals(new Float64Array(pi.nTheta));
    const x = Float64Array.from({ length: 3 }, () => 4 * rng.float() - 2);
    checkJacobians(pi, theta, x);
    const polys = pi.polynomials(theta);
    const u = new Float64Array(2);
    pi.act(theta, x, u);
    polys.forEach((p, a) => assert.ok(Math.abs(p.evaluate(x) - u[a]) <= 1e-12 * (1 + Math.abs(u[a]))));
  }
  assert.throws(() => new FeaturePolicy(2, 1, { degree: 0 }), /FeaturePolicy: options.degree must be an integer ≥ 1, received 0/);
});

test('MlpPolicy (tanh, relu, squashed): Jacobians by finite differences', () => {
  const rng = Rng.fromSeed(8);
  for (const options of [{ hidden: [8, 8] }, { hidden: [6], activation: 'relu' as const }, { hidden: [5, 4], squash: 2 }]) {
    const pi = new MlpPolicy(4, 2, options);
    for (let k = 0; k < 10; k++) {
      const theta = pi.init(rng);
      for (let p = 0; p < theta.length; p++) theta[p] += 0.1 * (rng.float() - 0.5); // non-zero biases
      const x = Float64Array.from({ length: 4 }, () => 2 * rng.float() - 1);
      checkJacobians(pi, theta, x);
    }
  }
  assert.throws(() => new MlpPolicy(2, 1, { hidden: [0] }), /MlpPolicy: options.hidden must be integers ≥ 1, received \[0\]/);
});
