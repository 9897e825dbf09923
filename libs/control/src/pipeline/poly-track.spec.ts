// The polynomial track through the pipeline on PJ (Wang et al., ICCPS 2023): the joint run certifies (the same
// θ sequence as jointTraining run directly), a swapped-in verifier decides, and the SVG baseline runs without LP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { CertificateLp } from '../certificate-lp';
import { FeaturePolicy } from '../policy';
import { jointTraining } from '../joint-training';
import { getSystem } from '../systems/registry';
import type { VerifierResult } from './pipeline-stages';
import { polyTrack } from './poly-track';
import { runTrainingPipeline } from './run-training-pipeline';

const THETA0 = Float64Array.of(0, -2, -2); // joint-training.spec.ts's start
const MAX_ITER = 60; // jointTraining certifies PJ in 31 iterations from THETA0 with seed 0
const SAMPLES = 20_000; // per condition; the app uses 100,000

test('PJ: the pipeline certifies with the sampled verifier, along the same θ as jointTraining', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  const { stages, init } = polyTrack(sys, pi, lp, { theta0: THETA0, samples: SAMPLES });
  const r = await runTrainingPipeline(stages, init, { maxIter: MAX_ITER });
  assert.equal(r.outcome, 'certified');
  assert.equal(r.last.verdict?.status, 'passed');
  assert.ok(r.last.certificate!.cStar <= -1e-6);
  for (const c of r.last.verdict!.conditions!) assert.equal(c.violations, 0, c.name);
  // reference: jointTraining stepped directly with its own LP
  const lp2 = new CertificateLp(sys, pi, highs);
  const run = jointTraining(sys, pi, lp2);
  let s = run.init(THETA0);
  while (!s.done && s.iteration < MAX_ITER) s = run.step(s);
  assert.equal(s.outcome, 'certified');
  assert.equal(r.iterations, s.iteration);
  assert.deepEqual(Array.from(r.last.policy.theta), Array.from(s.theta));
  lp.dispose();
  lp2.dispose();
});

test('PJ: a swapped verifier is the one that decides; when it rejects, the policy stage stalls', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  const seen: number[] = [];
  const rejectAll = (theta: Float64Array): VerifierResult => {
    seen.push(theta.length);
    return { status: 'falsified', method: 'custom', counterexample: Float64Array.of(0, 0), violated: 'custom' };
  };
  const { stages, init } = polyTrack(sys, pi, lp, { theta0: THETA0, verifier: rejectAll });
  const r = await runTrainingPipeline(stages, init, { maxIter: MAX_ITER });
  assert.equal(r.outcome, 'stalled');
  assert.deepEqual(seen, [3]);
  assert.equal(r.last.verdict, null); // the stalled version's LP result is not re-verified
  lp.dispose();
});

test('PJ: the SVG baseline runs the value gradient alone, with no certificate stage', async () => {
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const { stages, init } = polyTrack(sys, pi, null, { theta0: THETA0, training: { mode: 'svg' } });
  const values: number[] = [];
  const r = await runTrainingPipeline(stages, init, { maxIter: 40, onEvent: (e) => (e.iteration > 0 ? values.push(e.policy.value) : undefined) });
  assert.equal(r.outcome, 'max-iter');
  assert.equal(r.last.certificate, null);
  assert.ok(values.at(-1)! > values[0], `value ${values[0]} → ${values.at(-1)}`);
  assert.throws(() => polyTrack(sys, pi, null, { theta0: THETA0 }), /polyTrack: lp must be a CertificateLp in joint mode/);
});
