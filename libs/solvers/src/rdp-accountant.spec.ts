// The Rényi accountant against closed forms: the Langevin bound of Ryffel–Bach–Pointcheval (B6), the composed Gaussian
// mechanism, the (ε, δ) conversion and the calibration of a budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rdpAccountant } from './rdp-accountant';

const DELTA = 1e-5;
const LOG_INV_DELTA = Math.log(1 / DELTA);
/** B6 (e) ②: L = 1, n = 1e4, λ = σ = 0.01 ⇒ ε_α(∞) = 4αL²/(λσ²n²) = 0.04α. */
const B6 = { lipschitz: 1, strongConvexity: 0.01, sigma: 0.01, n: 10_000 };

/** min over α > 1 of cα + log(1/δ)/(α−1), in closed form: c + 2√(c log(1/δ)) at α = 1 + √(log(1/δ)/c). */
const continuousDp = (c: number) => c + 2 * Math.sqrt(c * LOG_INV_DELTA);

test('B6 (e) ②: K → ∞ with L = 1, n = 1e4, λ = σ = 0.01, δ = 1e-5 gives ε ≈ 1.397 at α = 18', () => {
  const curve = (a: number) => rdpAccountant.langevinConstant(a, { ...B6, steps: Infinity }, 0.5);
  const { epsilon, alpha } = rdpAccountant.toDp(curve, DELTA);
  assert.equal(alpha, 18);
  // at α = 18 exactly: 0.72 + log(1e5)/17
  assert.ok(Math.abs(epsilon - (0.72 + LOG_INV_DELTA / 17)) < 1e-12, `ε = ${epsilon}`);
  assert.ok(Math.abs(epsilon - 1.397) < 5e-4);
  // the grid of orders can only lose to the continuous optimum, here by 3e-6
  const exact = continuousDp(0.04);
  assert.ok(epsilon >= exact && epsilon - exact < 1e-5, `grid ${epsilon} vs continuous ${exact}`);
});

test('B6 (e) ① and (d): ε_α(K) increases with K and stays below 4αL²/(λσ²n²), for both step schedules', () => {
  const alpha = 10;
  const limit = (4 * alpha) / (0.01 * 0.01 ** 2 * 1e8);
  for (const schedule of ['constant', 'decreasing'] as const) {
    let prev = -1;
    for (let k = 0; k <= 60; k++) {
      const steps = k === 0 ? 0 : Math.round(10 ** (k / 10));
      const p = { ...B6, steps };
      const e = schedule === 'constant' ? rdpAccountant.langevinConstant(alpha, p, 0.5) : rdpAccountant.langevinDecreasing(alpha, p, 1);
      assert.ok(e >= prev, `${schedule}: ε_α(${steps}) = ${e} < ${prev}`);
      assert.ok(e <= limit * (1 + 1e-15), `${schedule}: ε_α(${steps}) = ${e} above the bound ${limit}`);
      prev = e;
    }
    assert.ok(prev > 0.99 * limit, `${schedule} saturates near the bound: ${prev} vs ${limit}`);
  }
  assert.equal(rdpAccountant.langevinConstant(alpha, { ...B6, steps: 0 }, 0.5), 0);
});

test('the Langevin curves at one K, by hand', () => {
  // constant: 0.04α(1 − e^{−ληK/2}) with ληK/2 = 0.01·0.5·100/2 = 0.25
  const c = rdpAccountant.langevinConstant(3, { ...B6, steps: 100 }, 0.5);
  assert.ok(Math.abs(c - 0.12 * (1 - Math.exp(-0.25))) < 1e-15);
  // decreasing: 0.04α·λK/(4β + λK) with λK = 4 = 4β: half the limit
  const d = rdpAccountant.langevinDecreasing(3, { ...B6, steps: 400 }, 1);
  assert.ok(Math.abs(d - 0.06) < 1e-15);
});

test('Gaussian mechanism: r releases add up, and convert like the closed form', () => {
  const one = rdpAccountant.gaussian(7, 0.2, 3);
  assert.ok(Math.abs(rdpAccountant.gaussian(7, 0.2, 3, 50) - 50 * one) < 1e-14 * 50 * one);
  assert.ok(Math.abs(rdpAccountant.gaussian(2, 1, 1) - 1) < 1e-15); // αΔ²/(2s²)
  const c = rdpAccountant.gaussian(1, 0.02, 1, 1000); // slope of the composed curve
  const { epsilon } = rdpAccountant.toDp((a) => rdpAccountant.gaussian(a, 0.02, 1, 1000), DELTA);
  assert.ok(epsilon >= continuousDp(c) && epsilon - continuousDp(c) < 1e-3 * continuousDp(c));
  assert.equal(rdpAccountant.gaussian(2, 1, 0, 1), Infinity);
  assert.equal(rdpAccountant.gaussian(2, 0, 0, 1), 0);
});

test('toDp minimizes over the given orders; a zero curve is free and a non-finite one is not private', () => {
  const curve = (a: number) => 0.01 * a * a;
  const orders = [1.5, 2, 4, 8, 16, 32];
  const want = Math.min(...orders.map((a) => curve(a) + LOG_INV_DELTA / (a - 1)));
  const got = rdpAccountant.toDp(curve, DELTA, orders);
  assert.equal(got.epsilon, want);
  assert.equal(curve(got.alpha) + LOG_INV_DELTA / (got.alpha - 1), want);
  assert.equal(rdpAccountant.toDp(() => 0, DELTA).epsilon, 0);
  assert.equal(rdpAccountant.toDp(() => Infinity, DELTA).epsilon, Infinity);
});

test('calibrate returns the slope whose conversion is exactly the target', () => {
  for (const eps of [0.1, 1, 8, 100]) {
    const c = rdpAccountant.calibrate(eps, DELTA);
    const got = rdpAccountant.toDp((a) => c * a, DELTA).epsilon;
    assert.ok(Math.abs(got - eps) <= 1e-9 * eps, `target ${eps}: ${got}`);
    // the grid optimum is within 1e-3 of the continuous one, so c is close to the closed-form inverse
    const closed = (Math.sqrt(eps + LOG_INV_DELTA) - Math.sqrt(LOG_INV_DELTA)) ** 2;
    assert.ok(Math.abs(c - closed) < 5e-3 * closed, `target ${eps}: c = ${c} vs ${closed}`);
  }
});

test('errors name the function, the field and the value', () => {
  assert.throws(() => rdpAccountant.toDp(() => 1, 0), /rdpAccountant\.toDp: delta must be in \(0, 1\), received 0/);
  assert.throws(() => rdpAccountant.langevinConstant(2, { ...B6, steps: 1 }, -1), /langevinConstant: eta .* received -1/);
  assert.throws(() => rdpAccountant.langevinDecreasing(2, { ...B6, strongConvexity: 0, steps: 1 }, 1), /strongConvexity .* received 0/);
  assert.throws(() => rdpAccountant.calibrate(1e-4, DELTA), /calibrate: epsilon must exceed/);
  assert.throws(() => rdpAccountant.toDp(() => 1, DELTA, [1]), /every order must be > 1, received 1/);
});
