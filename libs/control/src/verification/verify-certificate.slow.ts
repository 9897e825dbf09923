// The "each re-verified by the sound verifier": PJ, the pendulum and lane keeping are certified by the
// polynomial track (joint training as joint-training.spec.ts / .slow.ts run it), then every condition of each
// certificate is proved by verifyCertificate (branch and bound on policy → dynamics → certificate, parameters as
// box dimensions, the pendulum with the true sine), and a perturbed certificate is falsified with a counterexample
// that violates the condition in plain float64. Box counts and seconds per system and condition are printed.
// Observed (2 shared cores): PJ ~150 boxes < 1 s; pendulum ~5,600 boxes ~2 s; lane keeping ~26,000 boxes ~10 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { CertificateLp } from '../certificate-lp';
import { FeaturePolicy } from '../policy';
import { Polynomial } from '../polynomial';
import { jointTraining } from '../joint-training';
import { getSystem } from '../systems/registry';
import { verifyCertificate } from './verify-certificate';

const MAX_ITER = 80;
/** Per condition; lane keeping's discrete condition on [−3, 3]⁴ needs ~26,000 boxes. */
const BUDGET = { maxBoxes: 200_000, maxSeconds: 120 };

const CASES = [
  { name: 'pj', policy: () => new FeaturePolicy(2, 1, { constant: true }), theta0: [0, -2, -2] },
  { name: 'pendulum', policy: () => new FeaturePolicy(2, 1), theta0: [0, 0] },
  { name: 'lane-keeping', policy: () => new FeaturePolicy(4, 1), theta0: [0, 0, 0, 0] },
];

for (const { name, policy, theta0 } of CASES) {
  test(`${name}: the polynomial track's certificate is verified by branch and bound; a perturbed one is falsified`, async (t) => {
    const highs = await loadHighs();
    const sys = getSystem(name);
    const pi = policy();
    const lp = new CertificateLp(sys, pi, highs);
    const run = jointTraining(sys, pi, lp);
    let s = run.init(Float64Array.from(theta0));
    while (!s.done && s.iteration < MAX_ITER) s = run.step(s);
    lp.dispose();
    assert.equal(s.outcome, 'certified', `${name}: c* = ${s.diagnostics?.cStar}`);
    const B = s.diagnostics!.solution!.certificate;
    const { lambdaB, epsilon, innerRadius } = lp.settings;
    const opts = { lambdaB, epsilon, innerRadius, ...BUDGET };
    const r = verifyCertificate(sys, pi, s.theta, B, opts);
    for (const c of r.conditions) {
      t.diagnostic(`${name} ${c.name}: ${c.status}, ${c.boxes} boxes (${c.boxesVerified} closed by bound, ${c.boxesInfeasible} infeasible), ${c.seconds.toFixed(2)} s — ${c.statement} on ${c.region}`);
    }
    assert.equal(r.status, 'verified');
    t.diagnostic(`${name}: θ = [${Array.from(s.theta, (v) => v.toFixed(4))}], B = ${B.toString()}, verified in ${r.seconds.toFixed(2)} s (${r.model})`);

    if (sys.certificate === 'barrier') {
      // shift B so that it is 0.1 at the initial set's centre: the initial condition must fail there or nearby
      const shift = 0.1 - B.evaluate(sys.initial.centre);
      const bad = B.add(Polynomial.constant(sys.nx, shift));
      const rb = verifyCertificate(sys, pi, s.theta, bad, opts);
      const init = rb.conditions[0];
      assert.equal(init.name, 'initial');
      assert.equal(init.status, 'falsified');
      const x = init.counterexample!.state;
      assert.ok(Math.hypot(...Array.from(x, (v, i) => v - sys.initial.centre[i])) <= sys.initial.radius * (1 + 1e-12));
      assert.ok(bad.evaluate(x) > 0);
      t.diagnostic(`${name}, B + ${shift.toFixed(3)}: initial falsified after ${init.boxes} boxes at x = [${Array.from(x, (v) => v.toFixed(4))}], B = ${bad.evaluate(x).toFixed(4)}`);
    } else {
      // V − 2x₁² is negative along the x₁ axis: positivity must fail
      const bad = B.sub(Polynomial.variable(sys.nx, 0).pow(2).scale(2));
      const rb = verifyCertificate(sys, pi, s.theta, bad, opts);
      const pos = rb.conditions[0];
      assert.equal(pos.status, 'falsified');
      const x = pos.counterexample!.state;
      const lhs = epsilon * x.reduce((a, v) => a + v * v, 0) - bad.evaluate(x);
      assert.ok(lhs > 0, `ε‖x‖² − V = ${lhs}`);
      t.diagnostic(`${name}, V − 2x₁²: positivity falsified after ${pos.boxes} boxes at x = [${Array.from(x, (v) => v.toFixed(4))}]`);
    }
  });
}
