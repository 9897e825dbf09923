// The value gradient by backpropagation through time against central differences of the value itself (same
// initial states, so V is a deterministic smooth function of θ), for a polynomial policy on PJ and the pendulum,
// and an MLP policy on the cart-pole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { FeaturePolicy } from './policy';
import { MlpPolicy } from './mlp-policy';
import type { Policy } from './policy';
import { rollout, sampleInitialStates, valueGradient } from './rollout';
import { getSystem } from './systems/registry';
import type { ControlSystem } from './systems/control-system';

const H = 1e-6;
const GRAD_REL = 1e-5; // central differences of a value of size ~10–100 over 100 steps: rounding ≈ 1e-16·|V|/h

function checkGradient(sys: ControlSystem, policy: Policy, theta: Float64Array, horizon: number): void {
  const x0s = sampleInitialStates(sys, 4, Rng.fromSeed(11));
  const { value, gradient } = valueGradient(sys, policy, theta, x0s, { horizon });
  assert.ok(Number.isFinite(value));
  const scale = Math.max(1, Math.hypot(...gradient));
  for (let p = 0; p < theta.length; p++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[p] += H;
    tm[p] -= H;
    const fd = (valueGradient(sys, policy, tp, x0s, { horizon }).value - valueGradient(sys, policy, tm, x0s, { horizon }).value) / (2 * H);
    assert.ok(Math.abs(fd - gradient[p]) <= GRAD_REL * scale, `${sys.name} ∂V/∂θ${p}: ${gradient[p]} vs ${fd}`);
  }
}

test('PJ, affine policy: ∇V by BPTT equals finite differences', () => {
  checkGradient(getSystem('pj'), new FeaturePolicy(2, 1, { constant: true }), Float64Array.of(-1, -3, -2.5), 100);
});

test('pendulum, quadratic-feature policy: ∇V by BPTT equals finite differences', () => {
  checkGradient(getSystem('pendulum'), new FeaturePolicy(2, 1, { degree: 2 }), Float64Array.of(-2, -1, 0.1, -0.2, 0.05), 100);
});

test('cart-pole, MLP policy: ∇V by BPTT equals finite differences', () => {
  const pi = new MlpPolicy(4, 1, { hidden: [8], squash: 10 });
  checkGradient(getSystem('cartpole'), pi, pi.init(Rng.fromSeed(3)), 60);
});

test('rollout: the return is the discounted sum of rewards and initial states lie in the ball', () => {
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1);
  const theta = Float64Array.of(-2, -3);
  const tr = rollout(sys, pi, theta, [1.5, 0], { horizon: 3 });
  let ret = 0;
  for (let t = 0; t < 3; t++) {
    const [x1, x2] = [tr.xs[2 * t], tr.xs[2 * t + 1]];
    const u = -2 * x1 - 3 * x2;
    assert.equal(tr.us[t], u);
    ret -= sys.gamma ** t * (sys.cost.q[0] * (x1 + 1.2) ** 2 + sys.cost.q[1] * x2 ** 2 + sys.cost.r[0] * u * u);
    assert.ok(Math.abs(tr.xs[2 * t + 2] - (x1 + sys.dt * x2)) < 1e-15);
  }
  assert.ok(Math.abs(tr.ret - ret) < 1e-12);
  for (const x of sampleInitialStates(sys, 1000, Rng.fromSeed(1))) assert.ok(Math.hypot(x[0] - 1.5, x[1]) <= 0.5 + 1e-12);
  assert.throws(() => rollout(sys, pi, theta, [0, 0], { horizon: 0 }), /rollout: options.horizon must be an integer ≥ 1, received 0/);
});
