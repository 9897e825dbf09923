// The neural track as the pipeline's three streams (issue 23, item 5): a pipeline run repeats neuralTraining's steps
// to the bit, a run resumed from a policy version repeats the uninterrupted one, and the verifier stage can be
// swapped (one that always falsifies feeds its counterexample to the training set and never certifies; one that
// always passes stops the run at the first claim). Intermediate falsifications are `counterexample` findings; only a
// falsified final result is a violation (item 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import type { Finding } from '@bilevel/streams';
import { PJ } from '../systems/pj';
import { FeaturePolicy } from '../policy';
import { BarrierMlp } from '../neural/barrier-mlp';
import type { NeuralTrainingOptions, NeuralTrainingState } from '../neural/neural-training';
import { neuralTraining } from '../neural/neural-training';
import type { PolicyState, VerifierResult, VerifierStage } from './pipeline-stages';
import type { PipelineEvent } from './training-pipeline';
import { runTrainingPipeline } from './run-training-pipeline';
import { neuralTrack } from './neural-track';
import { finalFindings } from './training-findings';

/** Short fits and small verifications: the wiring is the point, not a certificate. */
const OPTIONS: NeuralTrainingOptions = { margin: 0.1, verifyEvery: 2, verifyCells: 3, maxBoxes: 600, firstLowerSteps: 150, lowerSteps: 25, domainSamples: 200, seed: 4 };
const THETA0 = Float64Array.of(-2, -2);
const STEPS = 5;

function setup() {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [6] });
  return { pi, b, psi0: b.init(Rng.fromSeed(9)) };
}

async function run(verifier: VerifierStage | undefined, maxIter: number, from?: PolicyState) {
  const { pi, b, psi0 } = setup();
  const track = neuralTrack(PJ, pi, b, THETA0, psi0, { ...OPTIONS, ...(verifier ? { verifier } : {}) });
  const events: PipelineEvent[] = [];
  const findings: Finding[] = [];
  const result = await runTrainingPipeline(track.stages, from ?? track.init, { maxIter, onEvent: (e) => events.push(e), onFinding: (f) => findings.push(f) });
  return { result, events, findings };
}

const inner = (p: PolicyState) => p.inner as NeuralTrainingState;
const setSizes = (s: NeuralTrainingState) => [s.set.initial.length, s.set.unsafe.length, s.set.domain.length, s.set.shell.length];

test('neuralTrack: the three streams repeat neuralTraining step for step, to the bit', async () => {
  const { pi, b, psi0 } = setup();
  const direct = neuralTraining(PJ, pi, b, OPTIONS);
  const states = [direct.init(THETA0, psi0)];
  for (let k = 0; k < STEPS; k++) states.push(direct.step(states[k]));
  assert.ok(states.every((s) => !s.done), 'the direct run is not certified within the steps (the comparison covers full steps)');
  const { result, events } = await run(undefined, STEPS);
  assert.equal(result.outcome, 'max-iter');
  assert.equal(events.length, STEPS + 1);
  for (const e of events) {
    const s = states[e.iteration];
    assert.deepEqual(Array.from(e.policy.theta), Array.from(s.theta), `θ_${e.iteration}`);
    assert.deepEqual(Array.from(inner(e.policy).psi), Array.from(s.psi), `ψ carried into step ${e.iteration}`);
    assert.deepEqual(setSizes(inner(e.policy)), setSizes(s), `training set at ${e.iteration}`);
    assert.equal(inner(e.policy).lambda, s.lambda);
    // the certificate stream's fit for θ_k is the ψ the direct step k hands on
    if (e.iteration < STEPS) assert.deepEqual(Array.from(e.certificate!.barrier!.psi), Array.from(states[e.iteration + 1].psi), `fit for θ_${e.iteration}`);
  }
  const verified = events.filter((e) => e.verdict !== null);
  assert.deepEqual(verified.map((e) => e.iteration), [1, 3, 5], 'verifyEvery 2: verdicts on θ_1, θ_3, θ_5');
  for (const e of verified.slice(0, -1)) {
    const d = states[e.iteration + 1].diagnostics!.verification!;
    assert.deepEqual(e.verdict!.barrier!.conditions.map((c) => c.result.status), d.conditions.map((c) => c.result.status));
  }
});

test('neuralTrack: a run resumed from a policy version repeats the uninterrupted run to the bit', async () => {
  const full = await run(undefined, STEPS);
  const part = await run(undefined, 2);
  const resumed = await run(undefined, STEPS, part.result.last.policy);
  assert.deepEqual(Array.from(resumed.result.last.policy.theta), Array.from(full.result.last.policy.theta));
  assert.deepEqual(Array.from(resumed.result.last.certificate!.barrier!.psi), Array.from(full.result.last.certificate!.barrier!.psi));
  assert.deepEqual(setSizes(inner(resumed.result.last.policy)), setSizes(inner(full.result.last.policy)));
});

test('neuralTrack: the verifier stage swaps; an always-falsifying one feeds the training set and never certifies, an always-passing one stops at the first claim', async () => {
  const point = Float64Array.of(1.5, 0.25);
  const falsify: VerifierStage = () => ({ status: 'falsified', method: 'always falsified', counterexample: point, violated: 'initial' });
  const bad = await run(falsify, 4);
  assert.equal(bad.result.outcome, 'max-iter');
  const claims = bad.events.filter((e) => e.verdict !== null);
  assert.deepEqual(claims.map((e) => e.verdict!.method), ['always falsified', 'always falsified']);
  // each falsification adds the point and 8 jittered copies to X₀'s training states, which the next version carries
  const initialSizes = bad.events.map((e) => inner(e.policy).set.initial.length);
  assert.deepEqual(initialSizes, [100, 100, 109, 109, 118]);
  assert.deepEqual(Array.from(inner(bad.events[2].policy).set.initial[100]), Array.from(point));
  // the findings: intermediate falsifications are counterexamples found and used, not violations; the final result is
  const levels = bad.findings.map((f) => f.level);
  assert.deepEqual(levels, ['counterexample', 'counterexample']);
  assert.match(bad.findings[0].message, /^always falsified: counterexample found and used: initial fails at \[1\.500, 0\.2500\]/);
  const last = claims[claims.length - 1].verdict as VerifierResult;
  const [final] = finalFindings(bad.result.iterations, false, last);
  assert.equal(final.level, 'violation');
  assert.match(final.message, /^final result not certified: always falsified falsified condition initial at \[1\.500, 0\.2500\]/);
  assert.deepEqual(finalFindings(7, true, last), [], 'a certified run has no violation');

  const pass: VerifierStage = () => ({ status: 'passed', method: 'always passed', counterexample: null, violated: null });
  const good = await run(pass, 10);
  assert.deepEqual([good.result.outcome, good.result.iterations], ['certified', 1], 'the first claim (θ_1, verifyEvery 2) is accepted');
  assert.equal(good.result.last.verdict!.method, 'always passed');
  assert.deepEqual(good.findings.map((f) => f.level), ['warning'], 'a passed sampled test is evidence, not a proof');
});
