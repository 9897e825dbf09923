// Wiring tests of the training pipeline with scripted stages (no LP): the order in which the three streams run,
// who reads which version, when the run stops, that a stage can be swapped, and that errors end the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Polynomial } from '../polynomial';
import type { CertificateResult, PipelineStages, PolicyState, VerifierResult } from './pipeline-stages';
import { trainingPipeline } from './training-pipeline';
import type { PipelineEvent } from './training-pipeline';
import { runTrainingPipeline } from './run-training-pipeline';

const B = Polynomial.constant(1, -1);
const state = (k: number, theta: number, status: PolicyState['status'] = 'running'): PolicyState => ({
  iteration: k,
  theta: Float64Array.of(theta),
  status,
  value: NaN,
  lambda: NaN,
  stepNorm: 0,
});
/** c*(θ) = 3 − θ: a certificate is claimed from θ = 3.5 on (c* ≤ −0.5). */
const cert = (theta: Float64Array): CertificateResult => {
  const c = 3 - theta[0];
  return { cStar: c, found: c <= -0.5, certificate: B, dcdtheta: Float64Array.of(-1), status: 'Optimal' };
};
const pass = (): VerifierResult => ({ status: 'passed', method: 'test', counterexample: null, violated: null });

/** Records the calls of each stage in order. */
function scripted(log: string[], verifier: PipelineStages['verifier'] = pass): PipelineStages {
  return {
    policy: (s, c) => {
      log.push(`policy(θ${s.iteration}=${s.theta[0]}, c*=${c?.cStar})`);
      return state(s.iteration + 1, s.theta[0] + 1);
    },
    certificate: (theta) => {
      log.push(`certificate(${theta[0]})`);
      return cert(theta);
    },
    verifier: (theta, c) => {
      log.push(`verifier(${theta[0]}, c*=${c.cStar})`);
      return verifier(theta, c);
    },
  };
}

test('each tick runs policy → certificate → verifier once, each reading the version just published', () => {
  const log: string[] = [];
  const p = trainingPipeline(scripted(log), state(0, 0));
  const events: PipelineEvent[] = [];
  p.event$.subscribe((e) => events.push(e));
  p.start();
  assert.deepEqual(log, ['certificate(0)']);
  p.tick(0);
  p.tick(1);
  assert.deepEqual(log, ['certificate(0)', 'policy(θ0=0, c*=3)', 'certificate(1)', 'policy(θ1=1, c*=2)', 'certificate(2)']);
  assert.deepEqual(events.map((e) => [e.iteration, e.certificate?.cStar, e.verdict, e.stop]), [
    [0, 3, null, null],
    [1, 2, null, null],
    [2, 1, null, null],
  ]);
});

test('the run stops at the first certificate the verifier accepts, which is verified once', async () => {
  const log: string[] = [];
  const r = await runTrainingPipeline(scripted(log), state(0, 0), { maxIter: 50 });
  assert.equal(r.outcome, 'certified');
  assert.equal(r.iterations, 4); // θ = 4: c* = −1 ≤ −0.5
  assert.equal(r.last.verdict?.status, 'passed');
  assert.equal(log.filter((l) => l.startsWith('verifier')).length, 1);
});

test('a swapped verifier that rejects keeps the run going until it accepts', async () => {
  const log: string[] = [];
  // a stricter verifier: accepts only c* ≤ −2.5 (θ ≥ 5.5)
  const strict = (_t: Float64Array, c: CertificateResult): VerifierResult =>
    c.cStar <= -2.5 ? pass() : { status: 'falsified', method: 'strict', counterexample: Float64Array.of(c.cStar), violated: 'margin' };
  const events: PipelineEvent[] = [];
  const r = await runTrainingPipeline(scripted(log, strict), state(0, 0), { maxIter: 50, onEvent: (e) => events.push(e) });
  assert.equal(r.outcome, 'certified');
  assert.equal(r.iterations, 6);
  assert.deepEqual(events.filter((e) => e.verdict !== null).map((e) => e.verdict!.status), ['falsified', 'falsified', 'passed']);
});

test('max-iter, diverged and stalled end the run; a diverged θ skips the certificate stage', async () => {
  const never: PipelineStages = { ...scripted([]), certificate: (t) => ({ ...cert(t), found: false }) };
  assert.equal((await runTrainingPipeline(never, state(0, 0), { maxIter: 7 })).iterations, 7);
  assert.equal((await runTrainingPipeline(never, state(0, 0), { maxIter: 7 })).outcome, 'max-iter');
  const calls: number[] = [];
  const diverging: PipelineStages = {
    policy: (s) => state(s.iteration + 1, s.theta[0] + 1, s.iteration === 2 ? 'diverged' : 'running'),
    certificate: (t) => (calls.push(t[0]), { ...cert(t), found: false }),
    verifier: pass,
  };
  const d = await runTrainingPipeline(diverging, state(0, 0), { maxIter: 50 });
  assert.deepEqual([d.outcome, d.iterations, calls], ['diverged', 3, [0, 1, 2]]);
  const stalled: PipelineStages = { ...diverging, policy: (s) => state(s.iteration + 1, s.theta[0], 'stalled') };
  assert.equal((await runTrainingPipeline(stalled, state(0, 0))).outcome, 'stalled');
});

test('a stage that throws rejects the run with its error', async () => {
  const broken: PipelineStages = {
    ...scripted([]),
    certificate: (t) => {
      if (t[0] >= 2) throw new Error('LP exploded');
      return { ...cert(t), found: false };
    },
  };
  await assert.rejects(runTrainingPipeline(broken, state(0, 0), { maxIter: 50 }), /LP exploded/);
});

test('an aborted signal interrupts before the next step; long runs do not grow the stack', async () => {
  const ac = new AbortController();
  const never: PipelineStages = { ...scripted([]), certificate: (t) => ({ ...cert(t), found: false }) };
  const r = await runTrainingPipeline(never, state(0, 0), {
    maxIter: 1000,
    onEvent: (e) => {
      if (e.iteration === 5) ac.abort();
    },
    signal: ac.signal,
  });
  assert.deepEqual([r.outcome, r.iterations], ['interrupted', 5]);
  // 20,000 synchronous feedback steps: a recursive wiring would overflow the stack
  const long = await runTrainingPipeline(never, state(0, 0), { maxIter: 20_000, yieldEvery: 20_000 });
  assert.equal(long.iterations, 20_000);
});

test('options and stages are validated up front', async () => {
  await assert.rejects(runTrainingPipeline(scripted([]), state(0, 0), { maxIter: -1 }), /runTrainingPipeline: options.maxIter must be an integer ≥ 0, received -1/);
  assert.throws(() => trainingPipeline({ ...scripted([]), verifier: undefined as never }, state(0, 0)), /trainingPipeline: stages.verifier must be a function/);
});
