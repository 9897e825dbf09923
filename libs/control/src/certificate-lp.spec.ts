// The certificate LP on PJ: a certified controller gives c* < 0 and a certificate that passes the sampled check;
// ∂c*/∂θ from primal and duals equals central differences of c*(θ) (the LP is re-solved; a non-degenerate point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Rng } from '@bilevel/linalg';
import { CertificateLp } from './certificate-lp';
import { FeaturePolicy } from './policy';
import { sampledCertificateCheck } from './certificate-check';
import { getSystem } from './systems/registry';

const H = 1e-5;
const SENS_TOL = 1e-5; // c* is piecewise linear-rational in θ; within one basis the central difference is exact to O(h²)

test('PJ: sensitivity ∂c*/∂θ from the duals equals finite differences', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  for (const th of [[-1.5, -2.5, -2], [-2, -3, -1.5]]) {
    const theta = Float64Array.from(th);
    const sol = lp.solve(theta);
    assert.equal(sol.status, 'Optimal');
    assert.ok(sol.cStar > 0, `${th}: expected an uncertified point, c* = ${sol.cStar}`);
    assert.ok(Math.hypot(...sol.dcdtheta) > 1e-4, 'a non-trivial gradient');
    for (let p = 0; p < theta.length; p++) {
      const tp = Float64Array.from(theta);
      const tm = Float64Array.from(theta);
      tp[p] += H;
      tm[p] -= H;
      const fd = (lp.solve(tp).cStar - lp.solve(tm).cStar) / (2 * H);
      assert.ok(Math.abs(fd - sol.dcdtheta[p]) <= SENS_TOL * (1 + Math.abs(fd)), `${th} ∂c*/∂θ${p}: ${sol.dcdtheta[p]} vs ${fd}`);
    }
  }
  lp.dispose();
});

test('PJ: a damped affine controller is certified, and the certificate holds on 100,000 sampled states per condition', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  const theta = Float64Array.of(-1.83, -4.256, -5.5);
  const sol = lp.solve(theta);
  assert.equal(sol.status, 'Optimal');
  assert.ok(sol.cStar < 0, `c* = ${sol.cStar}`);
  assert.ok(sol.beta.every((b) => Math.abs(b) <= 1 + 1e-9));
  const reports = sampledCertificateCheck(sys, pi, theta, sol.certificate, Rng.fromSeed(1));
  for (const r of reports) assert.equal(r.violations, 0, `${r.name}: worst margin ${r.worstMargin}`);
  lp.dispose();
});

test('the sampled check does find violations of a wrong certificate', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const sol = new CertificateLp(sys, pi, highs).solve(Float64Array.of(-1.83, -4.256, -5.5));
  const reports = sampledCertificateCheck(sys, pi, Float64Array.of(-1.83, -4.256, -5.5), sol.certificate.scale(-1), Rng.fromSeed(2), { samples: 1000 });
  assert.ok(reports[0].violations > 0 && reports[1].violations > 0);
});

test('warm-started re-solves (coefficient changes on one HiGHS model) equal cold solves from LP text', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const warm = new CertificateLp(sys, pi, highs);
  const cold = new CertificateLp(sys, pi, highs, { warmStart: false });
  assert.equal(warm.settings.warmStart, true);
  for (const th of [[0, -2, -2], [-1.5, -2.5, -2], [-1.83, -4.256, -5.5], [0.5, -1, -3]]) {
    const a = warm.solve(Float64Array.from(th));
    const b = cold.solve(Float64Array.from(th));
    assert.ok(Math.abs(a.cStar - b.cStar) <= 1e-9 * (1 + Math.abs(b.cStar)), `${th}: ${a.cStar} vs ${b.cStar}`);
    for (let p = 0; p < 3; p++) assert.ok(Math.abs(a.dcdtheta[p] - b.dcdtheta[p]) <= 1e-6 * (1 + Math.abs(b.dcdtheta[p])));
  }
  assert.ok(cold.lastText.startsWith('Minimize\n obj: c\nSubject To'));
  warm.dispose();
});

test('the warm path (the LP passed as arrays, A(θ) = A₀ + Σ θ_p D_p for continuous systems) equals the LP text on Lyapunov and discrete systems', async () => {
  const highs = await loadHighs();
  for (const [name, thetas] of [
    ['pendulum', [[0, 0], [-1, -2], [0.0571, -0.9935]]],
    ['lane-keeping', [[-0.5, 0, 0.5, 0], [-1, -0.3, -0.2, 0.1]]],
  ] as const) {
    const sys = getSystem(name);
    const pi = new FeaturePolicy(sys.nx, 1);
    const warm = new CertificateLp(sys, pi, highs);
    const cold = new CertificateLp(sys, pi, highs, { warmStart: false });
    for (const th of thetas) {
      const a = warm.solve(Float64Array.from(th));
      const b = cold.solve(Float64Array.from(th));
      assert.deepEqual([a.status, a.rows, a.columns], [b.status, b.rows, b.columns], `${name} ${th}`);
      assert.ok(Math.abs(a.cStar - b.cStar) <= 1e-8 * (1 + Math.abs(b.cStar)), `${name} ${th}: ${a.cStar} vs ${b.cStar}`);
      for (let p = 0; p < th.length; p++) assert.ok(Math.abs(a.dcdtheta[p] - b.dcdtheta[p]) <= 1e-5 * (1 + Math.abs(b.dcdtheta[p])), `${name} ${th} ∂c*/∂θ_${p}: ${a.dcdtheta[p]} vs ${b.dcdtheta[p]}`);
    }
    warm.dispose();
  }
});

test('options are validated up front', async () => {
  const highs = await loadHighs();
  const pj = getSystem('pj');
  assert.throws(() => new CertificateLp(pj, new FeaturePolicy(2, 1), highs, { degree: 0 }), /CertificateLp: options.degree must be an integer ≥ 1, received 0/);
  assert.throws(() => new CertificateLp(getSystem('cartpole'), new FeaturePolicy(4, 1), highs), /CertificateLp: system 'cartpole' has no polynomial dynamics/);
  assert.throws(() => new CertificateLp(pj, new FeaturePolicy(3, 1), highs), /CertificateLp: policy must have nx = 2, nu = 1, received nx = 3, nu = 1/);
  assert.throws(() => new CertificateLp(pj, new FeaturePolicy(2, 1), highs).solve(Float64Array.of(1)), /CertificateLp.solve: theta must have length 2, received 1/);
});

test('lane keeping (discrete condition B(x⁺) ≤ (1 + Δt λ_B) B(x)): sensitivity equals finite differences', async () => {
  const highs = await loadHighs();
  const sys = getSystem('lane-keeping');
  const pi = new FeaturePolicy(4, 1);
  const lp = new CertificateLp(sys, pi, highs);
  const theta = Float64Array.of(-0.5, 0, 0.5, 0);
  const sol = lp.solve(theta);
  assert.equal(sol.status, 'Optimal');
  assert.ok(sol.cStar > 0, `expected an uncertified point, c* = ${sol.cStar}`);
  for (let p = 0; p < theta.length; p++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[p] += H;
    tm[p] -= H;
    const fd = (lp.solve(tp).cStar - lp.solve(tm).cStar) / (2 * H);
    assert.ok(Math.abs(fd - sol.dcdtheta[p]) <= SENS_TOL * (1 + Math.abs(fd)), `∂c*/∂θ${p}: ${sol.dcdtheta[p]} vs ${fd}`);
  }
  lp.dispose();
});

test('pendulum (Lyapunov: diagonally dominant V, decrease on grid cells): sensitivity equals finite differences', async () => {
  const highs = await loadHighs();
  const lp = new CertificateLp(getSystem('pendulum'), new FeaturePolicy(2, 1), highs);
  const theta = Float64Array.of(0.5, -0.2);
  const sol = lp.solve(theta);
  assert.equal(sol.status, 'Optimal');
  assert.ok(sol.cStar > 0, `expected an uncertified point, c* = ${sol.cStar}`);
  for (let p = 0; p < theta.length; p++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[p] += H;
    tm[p] -= H;
    const fd = (lp.solve(tp).cStar - lp.solve(tm).cStar) / (2 * H);
    assert.ok(Math.abs(fd - sol.dcdtheta[p]) <= SENS_TOL * (1 + Math.abs(fd)), `∂c*/∂θ${p}: ${sol.dcdtheta[p]} vs ${fd}`);
  }
  // V = xᵀQx with Q − εI diagonally dominant
  const [q11, q12, q22] = [sol.certificate.coefficient([2, 0]), sol.certificate.coefficient([1, 1]) / 2, sol.certificate.coefficient([0, 2])];
  assert.ok(q11 - 0.01 >= Math.abs(q12) - 1e-9 && q22 - 0.01 >= Math.abs(q12) - 1e-9);
  assert.equal(sol.certificate.coefficient([0, 0]), 0);
  lp.dispose();
});
