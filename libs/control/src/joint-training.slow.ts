// Joint training on the pendulum (Lyapunov, stability) and lane keeping (barrier, discrete condition), each from
// a zero policy, then the certificate checked on 100,000 sampled states per condition with the float dynamics
// (the true sine for the pendulum, parameters drawn from their box). Iteration counts and seconds per iteration
// are reported as diagnostics (observed: pendulum 2 iterations at ~0.5 s, lane keeping 42 at ~0.12 s). And the
// neural-policy system: SVG on the cart-pole with a small MLP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Rng } from '@bilevel/linalg';
import { CertificateLp } from './certificate-lp';
import { FeaturePolicy } from './policy';
import { MlpPolicy } from './mlp-policy';
import { rollout, sampleInitialStates } from './rollout';
import { jointTraining } from './joint-training';
import { sampledCertificateCheck } from './certificate-check';
import { getSystem } from './systems/registry';

const MAX_ITER = 80;

for (const name of ['pendulum', 'lane-keeping']) {
  test(`${name}: joint training certifies, and the certificate holds on 100,000 samples per condition`, async (t) => {
    const highs = await loadHighs();
    const sys = getSystem(name);
    const pi = new FeaturePolicy(sys.nx, sys.nu);
    const lp = new CertificateLp(sys, pi, highs);
    const run = jointTraining(sys, pi, lp);
    let s = run.init(new Float64Array(pi.nTheta));
    const t0 = performance.now();
    while (!s.done && s.iteration < MAX_ITER) s = run.step(s);
    const seconds = (performance.now() - t0) / 1000;
    assert.ok(s.done, `${name}: not certified after ${s.iteration} iterations, c* = ${s.diagnostics?.cStar}`);
    const sol = s.diagnostics!.solution!;
    t.diagnostic(
      `${name}: certified after ${s.iteration} iterations (${(seconds / Math.max(1, s.iteration + 1)).toFixed(3)} s per LP+rollout step), ` +
        `c* = ${sol.cStar.toFixed(4)}, LP ${sol.rows} rows × ${sol.columns} columns, θ = [${Array.from(s.theta, (v) => v.toFixed(3))}]`,
    );
    const reports = sampledCertificateCheck(sys, pi, s.theta, sol.certificate, Rng.fromSeed(3));
    for (const r of reports) assert.equal(r.violations, 0, `${name} ${r.name}: worst margin ${r.worstMargin}`);
    lp.dispose();
  });
}

test('cart-pole: the SVG value gradient trains an MLP policy that keeps every sampled start balanced and safe', (t) => {
  const sys = getSystem('cartpole');
  const pi = new MlpPolicy(4, 1, { hidden: [16], squash: 10 });
  const run = jointTraining(sys, pi, null, { mode: 'svg', learningRate: 0.01 });
  let s = run.init(pi.init(Rng.fromSeed(1)));
  const v0 = run.step(s).diagnostics!.value;
  while (!s.done && s.iteration < 60) s = run.step(s);
  assert.equal(s.outcome, 'running');
  assert.ok(s.diagnostics!.value > v0);
  let worst = 0;
  for (const x0 of sampleInitialStates(sys, 200, Rng.fromSeed(3))) {
    const tr = rollout(sys, pi, s.theta, x0);
    for (let k = 0; k <= sys.horizon; k++) {
      const x = tr.xs.subarray(4 * k, 4 * k + 4);
      worst = Math.max(worst, Math.abs(x[2]));
      assert.ok(Math.hypot(x[0] - sys.unsafe!.centre[0], x[1], x[2], x[3]) > sys.unsafe!.radius, 'enters the unsafe ball');
      assert.ok(x.every((v, i) => v >= sys.domain.lo[i] && v <= sys.domain.hi[i]), 'leaves the domain');
    }
  }
  t.diagnostic(`cart-pole MLP (16 tanh units): value ${v0.toFixed(2)} → ${s.diagnostics!.value.toFixed(3)} in 60 SVG steps, max |theta| ${worst.toFixed(3)} over 200 starts`);
});
