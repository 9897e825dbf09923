// verifyLyapunovDsos on attitude control (6-D): a feedback-linearising cubic controller (closed-form reference below)
// with the LP's V is verified in all four conditions, and sampling never contradicts the decrease; the uncontrolled
// system with V = ‖x‖², a V scaled below ε‖x‖² and a V whose sublevel sets cannot hold X₀ in the ball are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Rng } from '@bilevel/linalg';
import { CertificateLp } from '../certificate-lp';
import { FeaturePolicy } from '../policy';
import { Polynomial } from '../polynomial';
import { sampleBall } from '../rollout';
import { getSystem } from '../systems/registry';
import { sampledCertificateCheck } from '../certificate-check';
import { verifyLyapunovDsos } from './lyapunov-dsos';

const SAMPLES = 100_000;

/**
 * ω̇ = −2ω − ½(1 + ‖ψ‖²)ψ by cancelling the gyroscopic terms: u₀ = −ω₂ω₃ + v₁/α₁, u₁ = 3ω₁ω₃ + v₂/α₂,
 * u₂ = −2ω₁ω₂ + v₃ with v = −2ω − ½(1 + ‖ψ‖²)ψ. Then V = ‖ω‖² + 2s ωᵀψ + ‖ψ‖² decreases for small s > 0
 * (the ψ-kinematics term ‖ψ‖²ψᵀω cancels against the controller's), so a quadratic certificate exists.
 */
function feedbackLinearising(pi: FeaturePolicy): Float64Array {
  const alpha = [0.25, 0.5, 1];
  const theta = new Float64Array(pi.nTheta);
  const unit = (i: number): number[] => Array.from({ length: 6 }, (_, j) => (j === i ? 1 : 0));
  const add = (...es: number[][]): number[] => es.reduce((s, e) => s.map((x, j) => x + e[j]));
  const set = (a: number, e: number[], v: number): void => {
    const k = pi.exponents.findIndex((f) => f.every((x, j) => x === e[j]));
    theta[a * pi.nFeatures + k] += v;
  };
  set(0, add(unit(1), unit(2)), -1);
  set(1, add(unit(0), unit(2)), 3);
  set(2, add(unit(0), unit(1)), -2);
  for (let a = 0; a < 3; a++) {
    set(a, unit(a), -2 / alpha[a]);
    set(a, unit(3 + a), -0.5 / alpha[a]);
    for (let j = 0; j < 3; j++) set(a, add(unit(3 + a), unit(3 + j), unit(3 + j)), -0.5 / alpha[a]);
  }
  return theta;
}

test('attitude: a feedback-linearising controller and its LP certificate are verified (positive, initial, inside, decrease), and sampling agrees', async () => {
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  const theta = feedbackLinearising(pi);
  const sol = new CertificateLp(sys, pi, highs, { decrease: 'dsos', regionOfAttraction: 0.98 }).solve(theta);
  assert.ok(sol.cStar < 0, `c* = ${sol.cStar}`);
  const r = verifyLyapunovDsos(sys, pi, theta, sol.certificate, highs);
  assert.deepEqual(r.conditions.map((c) => [c.name, c.status]), [['positive', 'verified'], ['initial', 'verified'], ['inside', 'verified'], ['decrease', 'verified']]);
  assert.ok(r.verified);
  // the verifier's own multipliers recover the LP's margin (to the LP's tolerance)
  const decrease = r.conditions.find((c) => c.name === 'decrease')!;
  assert.ok(Math.abs(decrease.margin + sol.cStar) <= 1e-6, `margin ${decrease.margin} vs −c* ${-sol.cStar}`);
  // sampling: −∇V·f − ε‖x‖² ≥ 0 at every sampled state of the ball
  const grad = sol.certificate.gradient();
  const u = new Float64Array(3);
  const f = new Float64Array(6);
  const alpha = sys.params.map((p) => p.nominal);
  for (const x of sampleBall(sys.domainBall!.centre, sys.domainBall!.radius, SAMPLES, Rng.fromSeed(5))) {
    pi.act(theta, x, u);
    sys.dynamics(x, u, alpha, f);
    let lhs = 0;
    for (let i = 0; i < 6; i++) lhs += grad[i].evaluate(x) * f[i] + sys.terms.epsilon * x[i] * x[i];
    assert.ok(lhs <= 0, `decrease contradicted at [${Array.from(x)}]: ${lhs}`);
  }
});

test('attitude: wrong claims are refused: no control with V = ‖x‖², V below ε‖x‖², sublevel sets that leave the ball', async () => {
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  const sq = Array.from({ length: 6 }, (_, i) => Polynomial.variable(6, i).pow(2)).reduce((a, b) => a.add(b));
  // u = 0: V̇ = ψᵀ(I + ψψᵀ)ω + … takes both signs (ω = −ψ small: V̇ < 0; ω = ψ: V̇ > 0)
  const none = verifyLyapunovDsos(sys, pi, new Float64Array(pi.nTheta), sq, highs);
  assert.equal(none.conditions.find((c) => c.name === 'decrease')!.status, 'failed');
  assert.equal(none.verified, false);
  // a certified V scaled by 1/100: below ε‖x‖² (positive fails) and its decrease no longer beats ε‖x‖²
  const theta = feedbackLinearising(pi);
  const V = new CertificateLp(sys, pi, highs, { decrease: 'dsos', regionOfAttraction: 0.98 }).solve(theta).certificate;
  const small = verifyLyapunovDsos(sys, pi, theta, V.scale(0.01), highs);
  assert.equal(small.conditions.find((c) => c.name === 'positive')!.status, 'failed');
  assert.equal(small.conditions.find((c) => c.name === 'decrease')!.status, 'failed');
  // V = ‖ω‖² + 4‖ψ‖²: λ_max r² = 4 > λ_min R² = 2, no sublevel set holds X₀ inside the ball
  const stretched = Array.from({ length: 6 }, (_, i) => Polynomial.variable(6, i).pow(2).scale(i < 3 ? 1 : 4)).reduce((a, b) => a.add(b));
  const inside = verifyLyapunovDsos(sys, pi, theta, stretched, highs).conditions.find((c) => c.name === 'inside')!;
  assert.equal(inside.status, 'failed');
  assert.ok(inside.margin < 0);
});

test('verifyLyapunovDsos refuses systems and certificates it cannot judge', async () => {
  const highs = await loadHighs();
  const pi = new FeaturePolicy(2, 1);
  const sq2 = Polynomial.variable(2, 0).pow(2).add(Polynomial.variable(2, 1).pow(2));
  assert.throws(() => verifyLyapunovDsos(getSystem('pj'), pi, new Float64Array(2), sq2, highs), /verifyLyapunovDsos: needs a Lyapunov system with a domain ball and an initial ball centred at 0, 'pj' is not one/);
  assert.throws(() => verifyLyapunovDsos(getSystem('pendulum'), pi, new Float64Array(2), sq2, highs), /verifyLyapunovDsos: system 'pendulum' must have exact polynomial dynamics/);
  const pa = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  assert.throws(() => verifyLyapunovDsos(getSystem('attitude'), pa, new Float64Array(pa.nTheta), Polynomial.variable(6, 0), highs), /V must be a quadratic form/);
});

test("attitude: the sampled check draws the decrease from the ball ‖x‖² ≤ 2 where it is stated, not from the box's corners", async () => {
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  // the linear damping u_a = −(2ω_a + ψ_a)/α_a: certified on the ball, its cubic terms win at the box's corners
  const theta = new Float64Array(pi.nTheta);
  pi.exponents.forEach((e, k) => {
    if (e.reduce((a, b) => a + b, 0) !== 1) return;
    const i = e.indexOf(1);
    for (let a = 0; a < 3; a++) {
      if (i === a) theta[a * pi.nFeatures + k] = -2 / [0.25, 0.5, 1][a];
      if (i === a + 3) theta[a * pi.nFeatures + k] = -1 / [0.25, 0.5, 1][a];
    }
  });
  const sol = new CertificateLp(sys, pi, highs, { decrease: 'dsos' }).solve(theta);
  assert.ok(sol.cStar < 0, `c* = ${sol.cStar}`);
  const V = sol.certificate;
  const reports = sampledCertificateCheck(sys, pi, theta, V, Rng.fromSeed(6), { samples: 20_000 });
  for (const r of reports) assert.equal(r.violations, 0, `${r.name}: worst margin ${r.worstMargin}`);
});
