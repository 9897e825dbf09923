// appVerifier on attitude control (a Lyapunov decrease stated on the ball ‖x‖² ≤ 2): with HiGHS it proves the
// certificate by verifyLyapunovDsos (no boxes), a certificate that does not hold is 'unknown', never certified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { CertificateLp, FeaturePolicy, getSystem } from '@bilevel/control';
import { appVerifier } from './app-verifier';

/** ω̇ = −2ω − ½(1 + ‖ψ‖²)ψ by cancelling the gyroscopic terms (libs/control lyapunov-dsos.spec.ts explains it). */
function feedbackLinearising(pi: FeaturePolicy): Float64Array {
  const alpha = [0.25, 0.5, 1];
  const theta = new Float64Array(pi.nTheta);
  const unit = (i: number): number[] => Array.from({ length: 6 }, (_, j) => (j === i ? 1 : 0));
  const add = (...es: number[][]): number[] => es.reduce((s, e) => s.map((x, j) => x + e[j]));
  const set = (a: number, e: number[], v: number): void => {
    theta[a * pi.nFeatures + pi.exponents.findIndex((f) => f.every((x, j) => x === e[j]))] += v;
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

test('appVerifier proves an attitude certificate on the ball with HiGHS (verifyLyapunovDsos) and leaves a wrong one unknown', async () => {
  const highs = await loadHighs();
  const sys = getSystem('attitude');
  const pi = new FeaturePolicy(6, 3, { degree: 3, constant: false });
  const theta = feedbackLinearising(pi);
  const sol = new CertificateLp(sys, pi, highs, { decrease: 'dsos', regionOfAttraction: 0.98 }).solve(theta);
  const verifier = appVerifier(sys, pi, 2000, 0, { lp: highs });
  const answer = (V: typeof sol.certificate) => verifier(theta, { cStar: sol.cStar, found: true, certificate: V, dcdtheta: null, status: 'test' });
  const good = answer(sol.certificate);
  assert.equal(good.status, 'verified');
  assert.match(good.method, /^sound \(after 2000 sampled states per condition\)/);
  assert.deepEqual(good.sound!.conditions.map((c) => [c.name, c.status]), [['positive', 'verified'], ['initial', 'verified'], ['inside', 'verified'], ['decrease', 'verified']]);
  // V/100 is below ε‖x‖²: the sampled check already refuses it
  assert.equal(answer(sol.certificate.scale(0.01)).status, 'falsified');
  // the linear damping with the LP's V without the region constraint: it decreases on the whole ball (sampling
  // agrees), but λ_max/λ_min ≈ 5.8 > 2, so no sublevel set holds X₀ inside the ball: unknown, not certified
  const damping = new Float64Array(pi.nTheta);
  pi.exponents.forEach((e, k) => {
    if (e.reduce((a, b) => a + b, 0) !== 1) return;
    const i = e.indexOf(1);
    for (let a = 0; a < 3; a++) {
      if (i === a) damping[a * pi.nFeatures + k] = -2 / [0.25, 0.5, 1][a];
      if (i === a + 3) damping[a * pi.nFeatures + k] = -1 / [0.25, 0.5, 1][a];
    }
  });
  const loose = new CertificateLp(sys, pi, highs, { decrease: 'dsos' }).solve(damping);
  const r = verifier(damping, { cStar: loose.cStar, found: true, certificate: loose.certificate, dcdtheta: null, status: 'test' });
  assert.deepEqual([r.status, r.violated], ['unknown', 'inside']);
});
