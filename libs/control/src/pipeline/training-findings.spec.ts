// The training's verdicts as runtime-monitor findings (issue 9, part 4): every verdict kind maps to its level, and on
// the real PJ pipeline (Handelman LP, sampled verifier) the findings$ channel stays free of violations on a good
// run and reports a violation with the counterexample when the verifier is handed a wrong certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import type { Finding } from '@bilevel/streams';
import { Polynomial } from '../polynomial';
import { FeaturePolicy } from '../policy';
import { CertificateLp } from '../certificate-lp';
import { PJ } from '../systems/pj';
import type { BarrierVerdict } from '../neural/verify-barrier';
import type { CertificateResult, PolicyState, VerifierResult } from './pipeline-stages';
import type { PipelineEvent } from './training-pipeline';
import { polyTrack } from './poly-track';
import { runTrainingPipeline } from './run-training-pipeline';
import { barrierVerdictFindings, finalFindings, pipelineFindings, TRAINING_MONITORS } from './training-findings';
import type { CertificateSolution } from '../certificate-lp';

const policy = (status: PolicyState['status'] = 'running'): PolicyState => ({ iteration: 7, theta: Float64Array.of(1), status, value: -3, lambda: 1, stepNorm: 0 });
const certificate = (status = 'Optimal'): CertificateResult => ({ cStar: -0.25, found: true, certificate: Polynomial.constant(2, -1), dcdtheta: null, status });
const verdict = (status: VerifierResult['status']): VerifierResult => ({
  status,
  method: 'test',
  counterexample: status === 'falsified' ? Float64Array.of(0.5, -1) : null,
  violated: status === 'falsified' ? 'unsafe' : null,
  conditions: [{ name: 'unsafe', samples: 10, violations: status === 'falsified' ? 1 : 0, worstMargin: status === 'falsified' ? 0.125 : -1, counterexample: null }],
  samples: 10,
});
const event = (v: VerifierResult | null, c: CertificateResult | null = certificate(), p = policy()): PipelineEvent => ({ iteration: 7, policy: p, certificate: c, verdict: v, stop: null });
const levels = (fs: Finding[]) => fs.map((f) => `${f.monitor}:${f.level}`);

test('pipelineFindings: verified is info, passed and unknown are warnings, falsified a counterexample found on the way (not a violation)', () => {
  assert.deepEqual(levels(pipelineFindings(event(verdict('verified')))), ['certificate-verifier:info']);
  assert.deepEqual(levels(pipelineFindings(event(verdict('passed')))), ['certificate-verifier:warning']);
  assert.deepEqual(levels(pipelineFindings(event(verdict('unknown')))), ['certificate-verifier:warning']);
  const [bad] = pipelineFindings(event(verdict('falsified')));
  assert.equal(bad.level, 'counterexample');
  assert.equal(bad.iteration, 7);
  assert.equal(bad.value, 0.125, 'the worst sampled margin');
  assert.equal(bad.bound, 0);
  assert.match(bad.message, /^test: counterexample found: unsafe fails at \[0\.5000, -1\.000\]/);
  // the run's result is judged at its end: a falsified last verdict is the violation
  assert.deepEqual(levels(finalFindings(9, false, verdict('falsified'))), ['certificate-verifier:violation']);
  assert.deepEqual(finalFindings(9, false, verdict('unknown')), []);
  assert.deepEqual(finalFindings(9, true, verdict('falsified')), []);
  assert.deepEqual(pipelineFindings(event(null)), [], 'no verdict, no finding');
  assert.deepEqual(levels(pipelineFindings(event(null, { ...certificate('Infeasible'), solution: {} as CertificateSolution }))), ['certificate-lp:warning']);
  assert.deepEqual(pipelineFindings(event(null, certificate('fitted'))), [], 'a stage without an LP (the neural fit) has no LP status');
  assert.deepEqual(levels(pipelineFindings(event(null, null, policy('diverged')))), ['policy-stream:violation']);
  assert.deepEqual(levels(pipelineFindings(event(null, null, policy('stalled')))), ['policy-stream:warning']);
});

test('barrierVerdictFindings: a proof is one info, each falsified condition a counterexample found and used, each undecided one a warning', () => {
  const stats = { boxesProcessed: 4, boxesVerified: 4, boxesInfeasible: 0, maxDepth: 1, seconds: 0 };
  const proof: BarrierVerdict = { certified: true, boxes: 8, seconds: 0, conditions: [{ name: 'initial', result: { status: 'verified', stats } }] };
  assert.deepEqual(levels(barrierVerdictFindings(3, proof)), ['certificate-verifier:info']);
  const mixed: BarrierVerdict = {
    certified: false,
    boxes: 8,
    seconds: 0,
    conditions: [
      { name: 'initial', result: { status: 'verified', stats } },
      { name: 'unsafe', result: { status: 'falsified', counterexample: Float64Array.of(1, 2), value: 0.3, constraintValues: new Float64Array(0), stats } },
      { name: 'decrease', result: { status: 'unknown', unresolvedBoxes: [], stats } },
    ],
  };
  const fs = barrierVerdictFindings(3, mixed);
  assert.deepEqual(levels(fs), ['certificate-verifier:counterexample', 'certificate-verifier:warning']);
  assert.match(fs[0].message, /^verifyBarrier: counterexample found and used: unsafe fails at \[1\.000, 2\.000\]/);
  assert.equal(fs[0].value, 0.3);
});

test('PJ pipeline: no violation on the good run (one sampled pass); a wrong certificate handed to the verifier is a counterexample on findings$ and the violation of the final result', async () => {
  const highs = await loadHighs();
  const run = async (corrupt: boolean) => {
    const pi = new FeaturePolicy(2, 1, { degree: 1, constant: true });
    const lp = new CertificateLp(PJ, pi, highs);
    const track = polyTrack(PJ, pi, lp, { theta0: Float64Array.of(0, -2, -2), samples: 2000 });
    // the constructed bad run: the verifier checks −B instead of the LP's B (positive on the initial set)
    const verifier = corrupt ? (theta: Float64Array, c: CertificateResult) => track.stages.verifier(theta, { ...c, certificate: c.certificate!.scale(-1) }) : track.stages.verifier;
    const findings: Finding[] = [];
    let last: VerifierResult | null = null;
    const result = await runTrainingPipeline({ ...track.stages, verifier }, track.init, { maxIter: 40, onFinding: (f) => findings.push(f), onEvent: (e) => (last = e.verdict ?? last) });
    return { findings, result, last: last as VerifierResult | null };
  };
  const good = await run(false);
  assert.equal(good.result.outcome, 'certified');
  // polyTrack's default verifier is the sampled check: its pass is evidence, not a proof, hence a warning
  assert.deepEqual(levels(good.findings), ['certificate-verifier:warning']);
  assert.match(good.findings[0].message, /evidence, not a proof/);
  const bad = await run(true);
  const found = bad.findings.filter((f) => f.level === 'counterexample');
  assert.ok(found.length >= 1, JSON.stringify(bad.findings));
  assert.equal(found[0].monitor, TRAINING_MONITORS.verifier);
  assert.match(found[0].message, /counterexample found: \w+ fails at \[/);
  assert.notEqual(bad.result.outcome, 'certified');
  const [final] = finalFindings(bad.result.iterations, false, bad.last);
  assert.equal(final.level, 'violation');
  assert.match(final.message, /^final result not certified: sampled falsified condition/);
});
