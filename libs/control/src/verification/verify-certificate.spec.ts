// verifyCertificate on certificates from the LP (PJ at a fixed damped controller, in a single solve; the pendulum
// after its 2 joint-training iterations) must be `verified`; perturbed or wrong certificates must be `falsified`
// with a counterexample that really violates the condition when re-evaluated in plain float64 with the system's
// own dynamics (the true sine for the pendulum, A_d x + B_d u for lane keeping), and a verified one must not be
// contradicted by 20,000 samples per condition (sampledCertificateCheck, zero tolerance); a tiny budget gives `unknown`.
// The full three-system re-verification after joint training is verify-certificate.slow.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { CertificateLp } from '../certificate-lp';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { Rng } from '@bilevel/linalg';
import { Polynomial } from '../polynomial';
import { sampledCertificateCheck } from '../certificate-check';
import { jointTraining } from '../joint-training';
import { getSystem } from '../systems/registry';
import { LANE_KEEPING_A, LANE_KEEPING_B } from '../systems/lane-keeping';
import type { CertificateVerification } from './verify-certificate';
import { verifyCertificate } from './verify-certificate';

/** The damped affine PJ controller u = θ₀ + θ₁x₁ + θ₂x₂ that certificate-lp.spec.ts certifies in one LP solve. */
const PJ_THETA = Float64Array.of(-1.83, -4.256, -5.5);
/** The lane-keeping gains that joint training reaches from θ = 0 (verify-certificate.slow.ts prints them). */
const LANE_THETA = Float64Array.of(-1.3362, -0.3072, -3.9873, -0.1102);
/** Samples per condition of the cross-check "a verified certificate is never contradicted by sampling". */
const SAMPLES = 20_000;

const summary = (r: CertificateVerification): string =>
  r.conditions.map((c) => `${c.name} ${c.status} (${c.boxes} boxes, ${c.seconds.toFixed(2)} s)`).join('; ');

test('PJ: the LP certificate of a damped controller is verified on all three conditions, for all α in range', async (t) => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  const sol = lp.solve(PJ_THETA);
  lp.dispose();
  assert.ok(sol.cStar <= 0);
  const r = verifyCertificate(sys, pi, PJ_THETA, sol.certificate);
  assert.equal(r.status, 'verified', summary(r));
  assert.ok(r.verified);
  assert.deepEqual(r.conditions.map((c) => c.name), ['initial', 'unsafe', 'derivative']);
  assert.match(r.conditions[2].region, /a1 ∈ \[0\.9, 1\.1\], a2 ∈ \[0\.3, 0\.37\]/);
  const sampled = sampledCertificateCheck(sys, pi, PJ_THETA, sol.certificate, Rng.fromSeed(21), { samples: SAMPLES, tolerance: 0 });
  for (const c of sampled) assert.equal(c.violations, 0, `${c.name}: sampling contradicts verified (worst margin ${c.worstMargin})`);
  t.diagnostic(`PJ (LP at θ = [${Array.from(PJ_THETA)}]): ${summary(r)}`);

  // The same closed loop through an MLP: u = relu(θ₁x₁ + θ₂x₂) − relu(−θ₁x₁ − θ₂x₂) + θ₀ is the affine controller.
  const mlp = new MlpPolicy(2, 1, { hidden: [2], activation: 'relu' });
  const w = Float64Array.of(PJ_THETA[1], PJ_THETA[2], -PJ_THETA[1], -PJ_THETA[2], 0, 0, 1, -1, PJ_THETA[0]);
  const rm = verifyCertificate(sys, mlp, w, sol.certificate);
  assert.equal(rm.status, 'verified', summary(rm));
  t.diagnostic(`PJ through a relu MLP policy: ${summary(rm)}`);

  // B + 2.5 is positive somewhere on the initial ball (B reaches about −2.04 on its boundary): the initial condition
  // is falsified, with a true counterexample.
  const shifted = sol.certificate.add(Polynomial.constant(2, 2.5));
  const bad = verifyCertificate(sys, pi, PJ_THETA, shifted);
  assert.equal(bad.status, 'falsified');
  assert.equal(bad.verified, false);
  const init = bad.conditions.find((c) => c.name === 'initial')!;
  assert.equal(init.status, 'falsified');
  const x = init.counterexample!.state;
  assert.ok(Math.hypot(x[0] - sys.initial.centre[0], x[1] - sys.initial.centre[1]) <= sys.initial.radius * (1 + 1e-12), 'in the initial ball');
  assert.ok(shifted.evaluate(x) > 0, `B + 2.5 = ${shifted.evaluate(x)} at the counterexample`);
  t.diagnostic(`PJ, B + 2.5: initial falsified at x = [${Array.from(x, (v) => v.toFixed(4))}] after ${init.boxes} boxes`);
});

test('pendulum: the certificate of joint training is verified with the true sine; a non-decreasing V is falsified', async (t) => {
  const highs = await loadHighs();
  const sys = getSystem('pendulum');
  const pi = new FeaturePolicy(2, 1);
  const lp = new CertificateLp(sys, pi, highs);
  const run = jointTraining(sys, pi, lp);
  let s = run.init(new Float64Array(pi.nTheta));
  while (!s.done && s.iteration < 20) s = run.step(s);
  lp.dispose();
  assert.equal(s.outcome, 'certified');
  const { epsilon, innerRadius } = sys.terms;
  const r = verifyCertificate(sys, pi, s.theta, s.diagnostics!.solution!.certificate);
  assert.equal(r.status, 'verified', summary(r));
  assert.match(r.model, /true sine/);
  assert.match(r.conditions[1].region, /outside \(−0\.1, 0\.1\)\^2, g ∈ \[9, 10\.5\]/);
  const sampled = sampledCertificateCheck(sys, pi, s.theta, s.diagnostics!.solution!.certificate, Rng.fromSeed(22), { samples: SAMPLES, tolerance: 0 });
  for (const c of sampled) assert.equal(c.violations, 0, `${c.name}: sampling contradicts verified (worst margin ${c.worstMargin})`);
  t.diagnostic(`pendulum (θ = [${Array.from(s.theta, (v) => v.toFixed(4))}]): ${summary(r)}`);

  // u = 0 and V = ‖x‖²: ∇V·f = 2ω(φ − g sin φ) − 0.2ω² is positive somewhere: falsified, checked with Math.sin.
  const zero = new Float64Array(pi.nTheta);
  const V = Polynomial.variable(2, 0).pow(2).add(Polynomial.variable(2, 1).pow(2));
  const bad = verifyCertificate(sys, pi, zero, V);
  const dec = bad.conditions.find((c) => c.name === 'decrease')!;
  assert.equal(dec.status, 'falsified');
  const { state: x, params } = dec.counterexample!;
  assert.ok(Math.max(Math.abs(x[0]), Math.abs(x[1])) >= innerRadius, 'outside the inner box');
  const f = new Float64Array(2);
  sys.dynamics(x, [0], params, f);
  const lhs = 2 * x[0] * f[0] + 2 * x[1] * f[1] + epsilon * (x[0] ** 2 + x[1] ** 2);
  assert.ok(lhs > 0, `∇V·f + ε‖x‖² = ${lhs} at the counterexample`);
  t.diagnostic(`pendulum, u = 0, V = ‖x‖²: decrease falsified at x = [${Array.from(x, (v) => v.toFixed(4))}], g = ${params[0].toFixed(3)}`);
});

test('lane keeping: a hand-made barrier that separates the sets but is not invariant fails the discrete condition', (t) => {
  const sys = getSystem('lane-keeping');
  const pi = new FeaturePolicy(4, 1);
  const c = sys.unsafe!.centre;
  // B = 2 − ‖x − c_unsafe‖²: ≥ 1 on the unsafe ball, ≤ 2 − 1.75² < −1 on the initial ball (centres 1.95 apart)
  let B = Polynomial.constant(4, 2);
  for (let i = 0; i < 4; i++) B = B.sub(Polynomial.variable(4, i).sub(Polynomial.constant(4, c[i])).pow(2));
  const { lambdaB } = sys.terms;
  const r = verifyCertificate(sys, pi, LANE_THETA, B);
  assert.deepEqual(r.conditions.map((k) => [k.name, k.status]), [['initial', 'verified'], ['unsafe', 'verified'], ['derivative', 'falsified']]);
  const { state: x } = r.conditions[2].counterexample!;
  const u = LANE_THETA.reduce((s, th, i) => s + th * x[i], 0);
  const next = LANE_KEEPING_A.map((row, i) => row.reduce((s, a, j) => s + a * x[j], LANE_KEEPING_B[i] * u));
  const lhs = B.evaluate(next) - (1 + sys.dt * lambdaB) * B.evaluate(x);
  assert.ok(lhs > 0, `B(x⁺) − (1 + Δtλ)B(x) = ${lhs} at the counterexample`);
  t.diagnostic(`lane keeping, hand-made B: ${summary(r)}; counterexample x = [${Array.from(x, (v) => v.toFixed(3))}]`);
});

test('a budget too small to decide gives unknown, and options are validated up front', () => {
  const sys = getSystem('pendulum');
  const pi = new FeaturePolicy(2, 1);
  const theta = Float64Array.of(0.0571, -0.9935);
  const V = Polynomial.fromTerms(2, [[[2, 0], 1], [[1, 1], 0.1298], [[0, 2], 0.0958]]);
  const r = verifyCertificate(sys, pi, theta, V, { maxBoxes: 2 });
  assert.equal(r.status, 'unknown');
  assert.equal(r.verified, false);
  assert.ok(r.conditions.some((c) => c.status === 'unknown' && c.boxes <= 2 && c.boxesUnresolved > 0));
  assert.throws(() => verifyCertificate(sys, pi, theta, V, { maxBoxes: 0 }), /verifyCertificate: options.maxBoxes must be an integer ≥ 1, received 0/);
  assert.throws(() => verifyCertificate(sys, pi, theta, V, { margin: -1 }), /options.margin must be a finite number > 0, received -1/);
  assert.throws(() => verifyCertificate(sys, pi, theta, Polynomial.zero(3)), /certificate must be a polynomial in 2 variables, received 3/);
  assert.throws(() => verifyCertificate(sys, new FeaturePolicy(3, 1), new Float64Array(3), V), /policy must have nx = 2, nu = 1/);
  assert.throws(() => verifyCertificate(getSystem('cartpole'), new FeaturePolicy(4, 1), new Float64Array(4), Polynomial.zero(4)), /no graph dynamics/);
});

test("attitude: the Lyapunov decrease is proved on the paper's state space ‖x‖² ≤ 2 (the domain ball), not on the box's corners", async () => {
  // The DSOS LP certifies the linear damping's decrease on the ball only; at the corners of [−√2, √2]⁶ (‖x‖ = 2√3)
  // the cubic terms win, so a verifier that searched the whole box would report a counterexample the certificate
  // never claimed.
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  const alpha = [0.25, 0.5, 1];
  const theta = new Float64Array(pi.nTheta);
  pi.exponents.forEach((e, k) => {
    if (e.reduce((a, b) => a + b, 0) !== 1) return;
    const i = e.indexOf(1);
    for (let a = 0; a < 3; a++) {
      if (i === a) theta[a * pi.nFeatures + k] = -2 / alpha[a];
      if (i === a + 3) theta[a * pi.nFeatures + k] = -1 / alpha[a];
    }
  });
  const sol = new CertificateLp(sys, pi, highs, { decrease: 'dsos' }).solve(theta);
  assert.ok(sol.cStar < 0, `c* = ${sol.cStar}`);
  const r = verifyCertificate(sys, pi, theta, sol.certificate, { maxBoxes: 2000 });
  const decrease = r.conditions.find((c) => c.name === 'decrease')!;
  assert.notEqual(decrease.status, 'falsified', summary(r));
  assert.notEqual(r.status, 'falsified', summary(r));
  assert.match(decrease.region, /‖x − \(0, 0, 0, 0, 0, 0\)‖ ≤ 1\.414/);
});
