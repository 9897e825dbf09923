import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { PJ } from '../systems/pj';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { sampleBall } from '../rollout';
import { BarrierMlp } from './barrier-mlp';
import type { BarrierLossSettings, BarrierTrainingSet } from './barrier-loss';
import { barrierLoss, successors } from './barrier-loss';
import { certificateGradient } from './certificate-gradient';
import { INVERTED_PENDULUM } from './inverted-pendulum';
import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';

/**
 * Central differences with step 1e-6: the hinge loss is piecewise smooth, and with a few hundred random points no
 * kink lies within 1e-6 of the tested parameters (checked: the test fails loudly if one does, by the tolerance);
 * truncation ~1e-12, rounding of O(1) sums ~1e-10 / 1e-6.
 */
const FD_STEP = 1e-6;
const FD_TOL = 2e-6;
const SETTINGS: BarrierLossSettings = { margin: 0.1, decay: 0.1, band: 0.5 };

function trainingSet(sys: ControlSystem, rng: Rng, n: number): BarrierTrainingSet {
  const unsafe = sys.unsafe!;
  const box = sys.domain;
  return {
    initial: sampleBall(sys.initial.centre, sys.initial.radius, n, rng),
    unsafe: sampleBall(unsafe.centre, unsafe.radius, n, rng),
    domain: Array.from({ length: 4 * n }, () =>
      Float64Array.from([...box.lo.map((l, i) => l + rng.float() * (box.hi[i] - l)), ...sys.params.map((p) => p.lo + rng.float() * (p.hi - p.lo))]),
    ),
    shell: Array.from({ length: n }, () => Float64Array.from(box.lo, (l, i) => l + rng.float() * (box.hi[i] - l))),
  };
}

function loss(sys: ControlSystem, pi: Policy, b: BarrierMlp, theta: Float64Array, psi: Float64Array, set: BarrierTrainingSet): number {
  return barrierLoss(b, psi, set, successors(sys, pi, theta, set.domain, false), SETTINGS, null, null).loss;
}

function check(sys: ControlSystem, pi: Policy, theta: Float64Array, seed: number): void {
  const b = new BarrierMlp(sys.nx, { hidden: [6, 5] });
  const psi = b.init(Rng.fromSeed(seed));
  const set = trainingSet(sys, Rng.fromSeed(seed + 1), 30);
  // ∂L/∂ψ
  const gpsi = new Float64Array(b.nPsi);
  const succ = successors(sys, pi, theta, set.domain, true);
  const value = barrierLoss(b, psi, set, succ, SETTINGS, gpsi, null);
  assert.ok(value.decrease > 0 && value.loss > value.decrease, 'the test point must have active hinges');
  for (let k = 0; k < b.nPsi; k += 3) {
    const up = loss(sys, pi, b, theta, Float64Array.from(psi, (p, j) => p + (j === k ? FD_STEP : 0)), set);
    const dn = loss(sys, pi, b, theta, Float64Array.from(psi, (p, j) => p - (j === k ? FD_STEP : 0)), set);
    assert.ok(Math.abs(gpsi[k] - (up - dn) / (2 * FD_STEP)) < FD_TOL, `dL/dpsi[${k}]`);
  }
  // frozen (η = 0): ∂L/∂θ at fixed ψ; unrolled (η > 0): d/dθ L(θ, ψ − η ∇ψL(θ, ψ))
  for (const eta of [0, 0.05]) {
    const { gradient } = certificateGradient(sys, pi, b, theta, psi, set, SETTINGS, eta);
    const unrolled = (th: Float64Array): number => {
      const g = new Float64Array(b.nPsi);
      barrierLoss(b, psi, set, successors(sys, pi, th, set.domain, false), SETTINGS, g, null);
      return loss(sys, pi, b, th, Float64Array.from(psi, (p, j) => p - eta * g[j]), set);
    };
    for (let k = 0; k < pi.nTheta; k++) {
      const up = unrolled(Float64Array.from(theta, (t, j) => t + (j === k ? FD_STEP : 0)));
      const dn = unrolled(Float64Array.from(theta, (t, j) => t - (j === k ? FD_STEP : 0)));
      const num = (up - dn) / (2 * FD_STEP);
      assert.ok(Math.abs(gradient[k] - num) < FD_TOL, `eta=${eta}: dL/dtheta[${k}] ${gradient[k]} vs ${num}`);
    }
  }
}

test('certificateGradient: ∂L/∂ψ, the frozen and the one-step unrolled ∂L/∂θ agree with central differences (PJ, linear policy)', () => {
  for (const seed of [1, 2, 3]) check(PJ, new FeaturePolicy(2, 1), Float64Array.of(-2.5, -1.5), seed);
});

test('certificateGradient: the same for an MLP policy on the inverted pendulum', () => {
  const pi = new MlpPolicy(2, 1, { hidden: [4], squash: 5 });
  for (const seed of [4, 5]) check(INVERTED_PENDULUM, pi, pi.init(Rng.fromSeed(seed)), seed);
});

test('certificateGradient: the unrolled correction is not zero (the mixed term is exercised)', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [6, 5] });
  const psi = b.init(Rng.fromSeed(1));
  const set = trainingSet(PJ, Rng.fromSeed(2), 30);
  const theta = Float64Array.of(-2.5, -1.5);
  const g0 = certificateGradient(PJ, pi, b, theta, psi, set, SETTINGS, 0).gradient;
  const g1 = certificateGradient(PJ, pi, b, theta, psi, set, SETTINGS, 0.05).gradient;
  assert.ok(Math.hypot(g1[0] - g0[0], g1[1] - g0[1]) > 1e-4);
  assert.throws(() => certificateGradient(PJ, pi, b, theta, psi, set, SETTINGS, -1), /certificateGradient: eta must be ≥ 0, received -1/);
});
