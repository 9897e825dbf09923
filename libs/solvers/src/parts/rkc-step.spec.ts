// The stochastic Runge–Kutta–Chebyshev step (algorithms.md B4): its stability bound ℓ_s (①), its stability function
// on ½λw² (②) against closed forms of the Chebyshev polynomials, and stability beyond SGD's limit on a stiff noisy
// quadratic (③); one fresh direction per later stage; the a/(t+b) schedule; validated options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, nrm2 } from '@bilevel/linalg';
import { rkcStep } from './rkc-step';
import type { StepContext, StepRule } from './step-rule';

/** T_s(x) by its closed forms (cosh/cos of s·arccosh/arccos), independent of the recurrence in the code. */
function chebT(s: number, x: number): number {
  if (Math.abs(x) <= 1) return Math.cos(s * Math.acos(x));
  const sign = x < 0 && s % 2 === 1 ? -1 : 1;
  return sign * Math.cosh(s * Math.acosh(Math.abs(x)));
}
/** T_s'(x) = s·sinh(s·θ)/sinh(θ), x = cosh θ > 1. */
function chebDT(s: number, x: number): number {
  const th = Math.acosh(x);
  return th === 0 ? s * s : (s * Math.sinh(s * th)) / Math.sinh(th);
}
function closedForm(s: number, eta: number) {
  const w0 = 1 + eta / (s * s);
  const w1 = chebT(s, w0) / chebDT(s, w0);
  return { bound: (1 + w0) / w1, R: (z: number) => chebT(s, w0 + w1 * z) / chebT(s, w0) };
}

/** A step context for the direction d(w) = λ ⊙ w + noise, fresh noise at every evaluation. */
function quadraticContext(lambda: Float64Array, w: Float64Array, noise: number, rng: Rng, t = 0): StepContext & { evaluations: number } {
  const n = w.length;
  const grad = (u: Float64Array, out: Float64Array) => {
    for (let k = 0; k < n; k++) out[k] = lambda[k] * u[k] + (noise > 0 ? noise * rng.normal() : 0);
  };
  const d = new Float64Array(n);
  grad(w, d);
  const ctx = {
    variable: 'z' as const,
    reads: { z: w, v: new Float64Array(n), x: new Float64Array(1) },
    own: w,
    t,
    d,
    evaluations: 1,
    estimateAt(value: Float64Array, out: Float64Array) {
      ctx.evaluations++;
      grad(value, out);
    },
    probeAt() {
      throw new Error('rkcStep must not probe');
    },
  };
  return ctx;
}

function bound(rule: StepRule): number {
  return rule.diagnostics?.(rule.init(1)).stabilityBound ?? NaN;
}

test('B4 ①: ℓ_s = (1+ω₀)/ω₁: 50.0 (s = 5, η = 0), 48.41 (s = 5, η = 0.05), 193.6 (s = 10, η = 0.05)', () => {
  const l50 = bound(rkcStep({ stages: 5, damping: 0, step: 1 }));
  const l48 = bound(rkcStep({ stages: 5, step: 1 }));
  const l193 = bound(rkcStep({ stages: 10, step: 1 }));
  assert.ok(Math.abs(l50 - 50) < 1e-10, `ℓ₅(0) = ${l50}`); // 2s² exactly
  assert.ok(Math.abs(l48 - 48.41) < 0.005, `ℓ₅(0.05) = ${l48}`);
  assert.ok(Math.abs(l193 - 193.6) < 0.05, `ℓ₁₀(0.05) = ${l193}`);
  for (const [s, eta] of [[1, 0], [2, 0.05], [5, 0.05], [10, 0.05], [20, 0.2]]) {
    const ref = closedForm(s, eta).bound;
    assert.ok(Math.abs(bound(rkcStep({ stages: s, damping: eta, step: 1 })) - ref) < 1e-9 * ref, `s = ${s}, η = ${eta}`);
    // and the small-η approximation ℓ_s ≈ (2 − 4η/3)s²: within 0.5% for η ≤ 0.05 (2.1% at η = 0.2)
    if (eta <= 0.05) assert.ok(Math.abs(ref / ((2 - (4 * eta) / 3) * s * s) - 1) < 0.005, `s = ${s}, η = ${eta}: ℓ = ${ref}`);
  }
});

// ② One step on d(w) = λw multiplies w by R(−hλ) = T_s(ω₀ − ω₁hλ)/T_s(ω₀). The three-term recurrence and the closed
// forms agree to rounding: |R| ≤ 1 on the stable interval and the recurrence adds ~u per stage (tolerance 1e-12·|w|).
test('B4 ②: one step on ½λw² equals R(−hλ)·w, and |R| ≤ 1 on [−ℓ_s, 0]', () => {
  const lambda = Float64Array.from([1e-3, 0.1, 1, 3, 10, 30, 47]);
  const w = Float64Array.from([1, -2, 0.5, 1, -1, 2, 0.25]);
  for (const [s, eta] of [[1, 0], [2, 0], [5, 0], [5, 0.05], [10, 0.05]]) {
    const h = 1 / closedForm(s, eta).bound;
    const scaled = lambda.map((l) => (l * closedForm(s, eta).bound) / 47); // hλ spread over (0, ℓ_s]
    const rule = rkcStep({ stages: s, damping: eta, step: h });
    const ctx = quadraticContext(scaled, w, 0, Rng.fromSeed(0));
    const out = new Float64Array(w.length);
    rule.apply(rule.init(w.length), ctx, out);
    assert.equal(ctx.evaluations, s, 'one direction per stage');
    for (let k = 0; k < w.length; k++) {
      const R = closedForm(s, eta).R(-h * scaled[k]);
      assert.ok(Math.abs(out[k] - R * w[k]) < 1e-12 * Math.abs(w[k]), `s = ${s}, η = ${eta}, hλ = ${h * scaled[k]}: ${out[k]} vs ${R * w[k]}`);
      assert.ok(Math.abs(R) <= 1 + 1e-12, `|R(${-h * scaled[k]})| = ${Math.abs(R)}`);
    }
  }
  // s = 1 is SGD: w − hλw
  const sgd = rkcStep({ stages: 1, step: 0.1 });
  const out = new Float64Array(w.length);
  sgd.apply(sgd.init(w.length), quadraticContext(lambda, w, 0, Rng.fromSeed(0)), out);
  for (let k = 0; k < w.length; k++) assert.equal(out[k], w[k] - 0.1 * lambda[k] * w[k]);
});

/** ‖w‖ after `steps` steps of a rule on the stiff noisy quadratic of B4 ③ (w₀ = 1, noise 0.1 per evaluation). */
function stiffRun(rule: StepRule, steps: number, seed: number): number {
  const n = 10;
  const lambda = Float64Array.from({ length: n }, (_, i) => 10 ** (-2 + (4 * i) / (n - 1))); // 1e-2 … 1e2
  const rng = Rng.fromSeed(seed);
  let w = new Float64Array(n).fill(1);
  let out = new Float64Array(n);
  const state = rule.init(n);
  for (let t = 0; t < steps; t++) {
    rule.apply(state, quadraticContext(lambda, w, 0.1, rng, t), out);
    [w, out] = [out, w];
  }
  return nrm2(w);
}

// B4 ③: λ logspaced in [1e-2, 1e2] (L = 100), noise 0.1, 200 steps from w = 1 (‖w₀‖ = 3.2). SGD at h = 0.021 has
// hL = 2.1 > 2: the stiffest component grows by 1.1 per step, 1.1²⁰⁰ ≈ 2e8. RKC s = 5 at h = 0.45 has hL = 45 ≤ ℓ₅ =
// 48.4. Measured over seeds 0–4: SGD 1.9e8, RKC 0.25…0.83 (the slow λ ≈ 1e-2 components dominate: (1 − 0.0045)²⁰⁰ ≈
// 0.4), RKC at h = 0.55 (hL = 55 > ℓ₅) 1.8e249. Thresholds are the box's: 1e6 and 1.
test('B4 ③: on a stiff noisy quadratic SGD at h = 0.021 diverges while RKC (s = 5) at h = 0.45 stays bounded', () => {
  for (const seed of [0, 1, 2]) {
    const sgd = stiffRun(rkcStep({ stages: 1, step: 0.021 }), 200, seed);
    const rkc = stiffRun(rkcStep({ stages: 5, step: 0.45 }), 200, seed);
    assert.ok(sgd > 1e6, `SGD ‖w‖ = ${sgd}`);
    assert.ok(rkc < 1, `RKC ‖w‖ = ${rkc}`);
  }
  // the property can fail: past ℓ₅ (hL = 55 > 48.4) RKC diverges too
  const past = stiffRun(rkcStep({ stages: 5, step: 0.55 }), 200, 0);
  assert.ok(past > 1e6, `RKC past ℓ₅: ‖w‖ = ${past}`);
});

test('rkcStep: the schedule h_t = a/(t+b) and its diagnostics', () => {
  const rule = rkcStep({ stages: 3, schedule: { a: 2, b: 4 } });
  const s = rule.init(1);
  const out = new Float64Array(1);
  rule.apply(s, quadraticContext(Float64Array.from([1]), Float64Array.from([1]), 0, Rng.fromSeed(0), 6), out);
  const diag = rule.diagnostics?.(s) ?? {};
  assert.equal(diag.step, 0.2);
  assert.equal(diag.stages, 3);
  assert.ok(Math.abs(out[0] - closedForm(3, 0.05).R(-0.2)) < 1e-15, `${out[0]}`);
});

test('rkcStep: options are validated with the function, field, value and expectation', () => {
  assert.throws(() => rkcStep({}), /rkcStep: give exactly one of step .* received neither/);
  assert.throws(() => rkcStep({ step: 1, schedule: { a: 1, b: 1 } }), /received both/);
  assert.throws(() => rkcStep({ stages: 0, step: 1 }), /rkcStep: stages must be a positive integer, received 0/);
  assert.throws(() => rkcStep({ damping: -0.1, step: 1 }), /rkcStep: damping must be a finite number ≥ 0, received -0.1/);
  assert.throws(() => rkcStep({ step: 0 }), /rkcStep: step must be a positive finite number, received 0/);
  assert.throws(() => rkcStep({ schedule: { a: 1, b: 0 } }), /rkcStep: schedule.b must be a positive finite number, received 0/);
  assert.throws(() => rkcStep({ h: 1 } as object), /rkcStep: unknown option "h"/);
});
