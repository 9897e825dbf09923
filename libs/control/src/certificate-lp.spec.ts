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
import { sampleBall } from './rollout';
import type { Polynomial } from './polynomial';

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

/** Attitude control's linear damping u_a = −(2ω_a + ψ_a)/α_a in the cubic feature basis of the polynomial track. */
function attitudeDamping(pi: FeaturePolicy): Float64Array {
  const alpha = [0.25, 0.5, 1];
  const theta = new Float64Array(pi.nTheta);
  const nF = pi.nFeatures;
  pi.exponents.forEach((e, k) => {
    if (e.reduce((a, b) => a + b, 0) !== 1) return;
    const i = e.indexOf(1);
    for (let a = 0; a < 3; a++) {
      if (i === a) theta[a * nF + k] = -2 / alpha[a];
      if (i === a + 3) theta[a * nF + k] = -1 / alpha[a];
    }
  });
  return theta;
}

/** Smallest −∇V·f − ε‖x‖² over `n` seeded states of the domain ball (float). */
function worstDecrease(sys: ReturnType<typeof getSystem>, pi: FeaturePolicy, theta: Float64Array, V: Polynomial, n: number): number {
  const grad = V.gradient();
  const u = new Float64Array(sys.nu);
  const f = new Float64Array(sys.nx);
  const alpha = sys.params.map((p) => p.nominal);
  let worst = Infinity;
  for (const x of sampleBall(sys.domainBall!.centre, sys.domainBall!.radius, n, Rng.fromSeed(3))) {
    pi.act(theta, x, u);
    sys.dynamics(x, u, alpha, f);
    let lie = 0;
    let sq = 0;
    for (let i = 0; i < sys.nx; i++) {
      lie += grad[i].evaluate(x) * f[i];
      sq += x[i] * x[i];
    }
    worst = Math.min(worst, -lie - sys.terms.epsilon * sq);
  }
  return worst;
}

test("attitude, decrease 'dsos' on the ball ‖x‖² ≤ 2: warm equals text, a certified V decreases at 100,000 sampled states, regionOfAttraction bounds Q's spectrum", async () => {
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  const theta = attitudeDamping(pi);
  const direction = Float64Array.from({ length: pi.nTheta }, (_, p) => ((p * 7919) % 13) / 13 - 0.5);
  for (const roa of [0, 0.98]) {
    const warm = new CertificateLp(sys, pi, highs, { decrease: 'dsos', regionOfAttraction: roa });
    const cold = new CertificateLp(sys, pi, highs, { decrease: 'dsos', regionOfAttraction: roa, warmStart: false });
    const a = warm.solve(theta);
    const b = cold.solve(theta);
    assert.deepEqual([a.status, a.rows, a.columns], ['Optimal', b.rows, b.columns]);
    assert.ok(Math.abs(a.cStar - b.cStar) <= 1e-8 * (1 + Math.abs(b.cStar)), `roa ${roa}: ${a.cStar} vs ${b.cStar}`);
    const Q = [0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2, 3, 4, 5].map((k) => a.certificate.coefficient([0, 1, 2, 3, 4, 5].map((j) => (j === i ? 1 : 0) + (j === k ? 1 : 0))) / (i === k ? 1 : 2)));
    const gersh = Q.map((row, i) => [row[i] - row.reduce((s, v, k) => s + (k === i ? 0 : Math.abs(v)), 0), row[i] + row.reduce((s, v, k) => s + (k === i ? 0 : Math.abs(v)), 0)]);
    const lamMin = Math.min(...gersh.map((g) => g[0]));
    const lamMax = Math.max(...gersh.map((g) => g[1]));
    assert.ok(lamMin >= sys.terms.epsilon - 1e-9, `V ≥ ε‖x‖²: Gershgorin lower bound ${lamMin}`);
    if (roa === 0) {
      // the linear damping is certified on the ball (the 12 Handelman slabs of the box leave c* ≈ 0.31 > 0 here)
      assert.ok(a.cStar < 0, `c* = ${a.cStar}`);
      assert.ok(worstDecrease(sys, pi, theta, a.certificate, 100_000) >= 0, 'the decrease holds at every sampled state');
    } else {
      // max V on the initial ball ≤ λ_max r² < 0.98 λ_min R² ≤ min V on the sphere ‖x‖ = R
      assert.ok(lamMax * sys.initial.radius ** 2 <= roa * lamMin * sys.domainBall!.radius ** 2 + 1e-9, `λ ∈ [${lamMin}, ${lamMax}]`);
      assert.ok(a.cStar > 0, `the constraint makes the damping uncertified: c* = ${a.cStar}`);
      // the sensitivity along one direction equals a central difference (away from θ₀, where the three axes'
      // symmetric damping makes c* kink: one-sided differences of opposite signs)
      const th2 = Float64Array.from(theta, (t, p) => t + 0.3 * direction[p] * ((p % 3) - 1));
      const sol2 = warm.solve(th2);
      const at = (s: number) => warm.solve(Float64Array.from(th2, (t, p) => t + s * direction[p])).cStar;
      const fd = (at(H) - at(-H)) / (2 * H);
      const dd = sol2.dcdtheta.reduce((s, g, p) => s + g * direction[p], 0);
      assert.ok(Math.abs(fd - dd) <= SENS_TOL * Math.abs(fd), `directional ∂c*: ${dd} vs ${fd}`);
      assert.ok(Math.abs(dd) > 1e-4, 'a non-trivial gradient');
    }
    warm.dispose();
  }
});

test("options decrease and regionOfAttraction are validated up front", async () => {
  const highs = await loadHighs();
  const pi = new FeaturePolicy(2, 1);
  assert.throws(() => new CertificateLp(getSystem('pj'), pi, highs, { decrease: 'dsos' }), /CertificateLp: options.decrease 'dsos' needs a Lyapunov system with a domainBall centred at 0, 'pj' is not one/);
  assert.throws(() => new CertificateLp(getSystem('pendulum'), pi, highs, { decrease: 'sos' as 'dsos' }), /CertificateLp: options.decrease must be 'handelman' or 'dsos', received 'sos'/);
  assert.throws(() => new CertificateLp(getSystem('pendulum'), pi, highs, { regionOfAttraction: 1.5 }), /CertificateLp: options.regionOfAttraction must be in \[0, 1\], received 1.5/);
  assert.throws(() => new CertificateLp(getSystem('pj'), pi, highs, { regionOfAttraction: 0.9 }), /CertificateLp: options.regionOfAttraction needs a Lyapunov system with a domainBall and an initial ball centred at 0, 'pj' is not one/);
});
