// verifyRegionOfAttraction: a hand case (V = ‖x‖² on pendulum-paper with u = 0: every level is known in closed form,
// the decrease fails) and the paper's pendulum with the certificate of joint training, where the question of the
// audit is answered: does a sublevel set inside the state space φ² + ω² ≤ 2 contain the initial set φ² + ω² ≤ 1?
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Polynomial } from '../polynomial';
import { FeaturePolicy } from '../policy';
import { CertificateLp } from '../certificate-lp';
import { jointTraining } from '../joint-training';
import { getSystem } from '../systems/registry';
import { verifyRegionOfAttraction } from './region-of-attraction';

const LEVEL_TOL = 1e-9;

test('V = φ² + ω² on pendulum-paper, u = 0: largest level 2 (λ_min R²), initial maximum 1, level 1.02; the decrease is falsified', () => {
  const sys = getSystem('pendulum-paper');
  const pi = new FeaturePolicy(2, 1);
  const V = Polynomial.variable(2, 0).pow(2).add(Polynomial.variable(2, 1).pow(2));
  const r = verifyRegionOfAttraction(sys, pi, new Float64Array(2), V, { maxBoxes: 20_000 });
  // by hand: Q = I, R² = 2, initial ball radius 1 at 0, r₀ = 0.1: inner level Σ|q| r₀² = 0.02
  assert.ok(Math.abs(r.largestLevel - 2) < LEVEL_TOL && Math.abs(r.initialMax - 1) < LEVEL_TOL, `levels ${r.largestLevel}, ${r.initialMax}`);
  assert.ok(Math.abs(r.level - 1.02) < LEVEL_TOL && r.innerLevel >= 0.02 && r.innerLevel < 0.02 + 1e-15);
  const by = Object.fromEntries(r.conditions.map((c) => [c.name, c]));
  assert.deepEqual([by.positive.status, by.inside.status, by.initial.status], ['verified', 'verified', 'verified']);
  // V̇ = 2ω(φ − 10 sin φ) − 0.2ω² > 0 somewhere in V ≤ 1.02: a counterexample inside that set
  assert.equal(by.decrease.status, 'falsified');
  const x = by.decrease.counterexample!;
  assert.ok(x[0] ** 2 + x[1] ** 2 <= 1.02 + 1e-12, `counterexample ${x} in the sublevel set`);
  const f = new Float64Array(2);
  sys.dynamics(x, [0], [10, 0], f);
  assert.ok(2 * x[0] * f[0] + 2 * x[1] * f[1] + 0.01 * (x[0] ** 2 + x[1] ** 2) > 0);
  assert.equal(r.verified, false);
});

test('pendulum-paper: joint training certifies a Lyapunov function; its region of attraction is checked against the initial set', async (t) => {
  const highs = await loadHighs();
  const sys = getSystem('pendulum-paper');
  const pi = new FeaturePolicy(2, 1);
  const lp = new CertificateLp(sys, pi, highs);
  const run = jointTraining(sys, pi, lp);
  let s = run.init(new Float64Array(pi.nTheta));
  while (!s.done && s.iteration < 30) s = run.step(s);
  lp.dispose();
  assert.equal(s.outcome, 'certified', `after ${s.iteration} iterations, c* = ${s.diagnostics?.cStar}`);
  const V = s.diagnostics!.solution!.certificate;
  const r = verifyRegionOfAttraction(sys, pi, s.theta, V, { maxBoxes: 50_000 });
  const by = Object.fromEntries(r.conditions.map((c) => [c.name, c]));
  // the levels are consistent: the proved level never exceeds the largest one inside the domain
  assert.ok(r.level <= r.largestLevel && r.level > 0);
  assert.equal(by.positive.status, 'verified');
  assert.equal(by.inside.status, 'verified');
  // the verdict on the initial set follows the float levels: it fits iff its maximum is below the proved level
  assert.equal(by.initial.status === 'verified', r.initialMax <= r.level, `initial ${by.initial.status}, max ${r.initialMax}, level ${r.level}`);
  t.diagnostic(
    `pendulum-paper: θ = [${Array.from(s.theta, (v) => v.toFixed(3))}] after ${s.iteration} iterations; largest level inside φ²+ω² ≤ 2: ${r.largestLevel.toFixed(4)}, ` +
      `max V on the initial set ${r.initialMax.toFixed(4)} (ratio ${(r.initialMax / r.largestLevel).toFixed(3)}), level ${r.level.toFixed(4)}, inner ${r.innerLevel.toFixed(4)}; ` +
      r.conditions.map((c) => `${c.name} ${c.status} (${c.boxes} boxes)`).join(', ') + `; ${r.seconds.toFixed(1)} s; region of attraction holds the initial set: ${r.verified}`,
  );
});
