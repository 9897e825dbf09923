// Ctrl-C inside a long step (issue 16, item 10): the LP build, the sampled check, the sound verifier's branch and
// bound, the neural lower fit and its verification read a stop signal between units of work and throw an
// AbortError; what they were given is untouched, so the run goes on (or resumes) from the last completed step with
// the same bits; runTrainingPipeline turns a stop inside a tick into outcome 'interrupted' at the last iteration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Rng } from '@bilevel/linalg';
import { throwIfStopped } from '@bilevel/verify';
import { CertificateLp } from './certificate-lp';
import { sampledCertificateCheck } from './certificate-check';
import { FeaturePolicy } from './policy';
import { getSystem } from './systems/registry';
import { PJ } from './systems/pj';
import { verifyCertificate } from './verification/verify-certificate';
import { BarrierMlp } from './neural/barrier-mlp';
import { neuralTraining } from './neural/neural-training';
import { Polynomial } from './polynomial';
import type { CertificateResult, PipelineStages, PolicyState } from './pipeline/pipeline-stages';
import { runTrainingPipeline } from './pipeline/run-training-pipeline';

/** A stop signal that turns aborted at its `after`-th read, counting the reads (a Ctrl-C after so much work). */
function stopAfter(after: number) {
  return {
    reads: 0,
    get aborted(): boolean {
      this.reads++;
      return this.reads >= after;
    },
  };
}
const isAbort = (err: Error) => err.name === 'AbortError';
/** The damped PJ controller that certificate-lp.spec.ts certifies. */
const PJ_THETA = Float64Array.of(-1.83, -4.256, -5.5);

test('CertificateLp.solve reads the signal between blocks: a stop leaves the warm start as it was, the next solve has the same bits', async () => {
  const highs = await loadHighs();
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const a = new CertificateLp(getSystem('pj'), pi, highs);
  const b = new CertificateLp(getSystem('pj'), pi, highs);
  a.solve(Float64Array.of(-1.5, -2.5, -2));
  b.solve(Float64Array.of(-1.5, -2.5, -2));
  const before = a.state();

  const signal = stopAfter(2);
  assert.throws(() => a.solve(PJ_THETA, { signal }), isAbort);

  assert.equal(signal.reads, 2);
  assert.deepEqual(a.state(), before);
  const again = a.solve(PJ_THETA);
  const clean = b.solve(PJ_THETA);
  assert.equal(again.cStar, clean.cStar);
  assert.deepEqual(again.beta, clean.beta);
  a.dispose();
  b.dispose();
});

test('sampledCertificateCheck reads the signal every 1,024 samples', () => {
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const B = Polynomial.fromTerms(2, [[[2, 0], 1], [[0, 2], 1], [[0, 0], -1]]);
  const signal = stopAfter(5);

  assert.throws(() => sampledCertificateCheck(PJ, pi, PJ_THETA, B, Rng.fromSeed(1), { samples: 100_000, signal }), isAbort);

  assert.equal(signal.reads, 5, 'stopped at the fifth read, about 5,000 samples in, not after 300,000');
});

test('verifyCertificate stops at the next box of its branch and bound', async () => {
  const highs = await loadHighs();
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const lp = new CertificateLp(sys, pi, highs);
  const sol = lp.solve(PJ_THETA);
  lp.dispose();
  const full = verifyCertificate(sys, pi, PJ_THETA, sol.certificate);
  const boxes = full.conditions.reduce((n, c) => n + c.boxes, 0);
  assert.ok(boxes > 40, `the unstopped verification bounds ${boxes} boxes`);
  const signal = stopAfter(30);

  assert.throws(() => verifyCertificate(sys, pi, PJ_THETA, sol.certificate, { signal }), isAbort);

  assert.equal(signal.reads, 30);
});

test('neuralTraining: a stop inside the lower fit or the verification throws; the state given steps on to the same bits', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [8] });
  const options = { domain: { lo: [-3, -3], hi: [3, 3] }, margin: 0.1, verifyEvery: 1, verifyCells: 4, firstLowerSteps: 50, lowerSteps: 20, maxBoxes: 400, seed: 5 };
  const s0 = neuralTraining(PJ, pi, b, options).init(Float64Array.of(-2, -2), b.init(Rng.fromSeed(1)));
  const clean = neuralTraining(PJ, pi, b, options).step(s0);

  for (const after of [10, 60]) {
    // 10: inside the 50 Adam steps of the first lower fit; 60: inside the verification that follows it
    const signal = stopAfter(after);
    assert.throws(() => neuralTraining(PJ, pi, b, { ...options, signal }).step(s0), isAbort);
    assert.equal(signal.reads, after);
  }
  const again = neuralTraining(PJ, pi, b, options).step(s0);

  assert.deepEqual(again.theta, clean.theta);
  assert.deepEqual(again.psi, clean.psi);
  assert.deepEqual(again.rng, clean.rng);
});

test('runTrainingPipeline: a stage stopped inside a tick ends the run as interrupted at the last completed iteration', async () => {
  const ac = new AbortController();
  const state = (k: number): PolicyState => ({ iteration: k, theta: Float64Array.of(k), status: 'running', value: NaN, lambda: NaN, stepNorm: 0 });
  const stages: PipelineStages = {
    policy: (s) => state(s.iteration + 1),
    certificate: (theta): CertificateResult => {
      if (theta[0] === 6) ac.abort(); // Ctrl-C while the 6th step is being computed
      throwIfStopped(ac.signal);
      return { cStar: 1, found: false, certificate: null, dcdtheta: null, status: 'Optimal' };
    },
    verifier: () => ({ status: 'passed', method: 'test', counterexample: null, violated: null }),
  };
  const seen: number[] = [];

  const findings: number[] = [];
  const r = await runTrainingPipeline(stages, state(0), { maxIter: 100, signal: ac.signal, onEvent: (e) => seen.push(e.iteration), onFinding: (f) => findings.push(f.iteration) });
  await new Promise((resolve) => setTimeout(resolve, 0)); // an error escaping a subscriber would surface here

  assert.equal(r.outcome, 'interrupted');
  assert.equal(r.iterations, 5);
  assert.equal(r.last.iteration, 5);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5], 'no event for the abandoned step');
  // a stage failing for another reason still rejects the run
  const broken = { ...stages, certificate: () => { throw new Error('LP exploded'); } };
  await assert.rejects(runTrainingPipeline(broken, state(0), { signal: new AbortController().signal, onFinding: () => undefined }), /LP exploded/);
  await new Promise((resolve) => setTimeout(resolve, 0));
});
