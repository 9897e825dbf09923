import { Rng } from '@bilevel/linalg';
import type { BarrierVerdict, ControlSystem, NeuralTrainingState } from '@bilevel/control';
import { BarrierMlp, certifiedProperty, neuralBarrierTerms, TRAINING_MONITORS } from '@bilevel/control';
import { barrierVerifierResult, finalFindings, neuralTrack, runTrainingPipeline } from './control-pipeline';
import type { CertificateResult, PipelineEvent, PolicyState } from './control-pipeline';
import type { CheckpointValue } from '@bilevel/telemetry';
import type { Finding } from '@bilevel/streams';
import { findingsSummary, formatFindings } from '@bilevel/streams';
import { findingSink } from './finding-sink';
import { createProgress } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import type { TrainConfig } from './train-config';
import { REPORT_FORMAT, REPORT_VERSION } from './train-config';
import { NEURAL_BARRIER_HIDDEN, neuralSetup } from './neural-setup';
import { checkOutDir, checkWritableDir, defaultOutDir, InputError, prepareOutDir } from '@bilevel/io';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';
import { anyPolicyDocument } from './policy-file';
import type { NeuralCertificate } from './neural-certificate-file';
import { neuralCertificateDocument } from './neural-certificate-file';
import { barrierVerdictSummary, sampledBarrierCheck, sampledSummary } from './neural-check';
import type { TrainResume } from './train-checkpoint';
import { DEFAULT_TRAIN_CHECKPOINT_SECONDS, keptCheckpoint, OutputFiles, plainTree, saveTrainConfig, TrainCheckpointer, withoutDiagnostics } from './train-checkpoint';

/** How a neural run ended: the pipeline's own stops, or the driver's budget / Ctrl-C. */
export type NeuralOutcome = 'certified' | 'diverged' | 'stalled' | 'max-iter' | 'max-seconds' | 'interrupted';

/**
 * `safe-control train --track neural`: the neural track of libs/control (policy π_θ and barrier MLP B_ψ as a bilevel
 * problem with counterexample-guided branch-and-bound verification; Wang et al., ICCPS 2023, with the neural
 * certificates of Chang, Roohi, Gao, NeurIPS 2019), set up by {@link neuralSetup}, run as the pipeline's three
 * streams like the polynomial track: neuralTrack's stages (certificate$: the warm-started barrier fit for θ_k;
 * event$: verifyBarrier on a claimed (θ_k, ψ); policy$: the counterexamples join the training set, then the upper
 * step) driven by runTrainingPipeline — one step per event-loop turn (Ctrl-C lands between steps, and inside one when
 * `io.stop` is shared: the step is abandoned), --max-iter steps, --max-seconds of stepping, the progress bar, the logs.
 *
 * Certified only when verifyBarrier proved all four conditions (`verified`) for the final (θ, ψ), with the system's
 * terms (terms.neural). Writes report.json (verdict, boxes per condition, iterations, seconds, a sampled cross-check
 * of `samples` states per condition, the property in words), policy.json (kind 'feature' or 'mlp'), certificate.json
 * (kind 'neural', the last barrier, certified or not) and phase.svg/png (the level set B = 0 on the verified domain).
 * The monitors' table labels the falsifications met on the way as counterexamples found and used; only a falsified
 * final result is a violation. Exit 0 certified, 3 not, 130 interrupted. Checkpoints as the poly track
 * (train-config.json, then checkpoint.bin every `checkpointEvery` seconds, when interrupted and on a budget stop):
 * the policy version (θ and, in its inner state, ψ, Adam's moments, λ, the RNG, the counterexample set) and the last
 * verdict; `resume` repeats the saved iteration and continues to the bit.
 */
export async function trainNeural(config: TrainConfig, system: ControlSystem, io: CommandIo, resume?: TrainResume): Promise<number> {
  // 1. bad input before anything is written
  const setup = neuralSetup(system, config.seed);
  const out = resume?.dir ?? config.out ?? defaultOutDir('train', system.name);
  if (!resume) checkOutDir(out);
  else checkWritableDir(resume.dir, '--resume');
  const every = config.checkpointEvery ?? DEFAULT_TRAIN_CHECKPOINT_SECONDS;
  if (!(every >= 0)) throw new InputError(`expected seconds ≥ 0, received ${every}`, '--checkpoint-every');
  const saved = resume ? neuralTrainState(resume) : null;
  const barrier = new BarrierMlp(system.nx, { hidden: NEURAL_BARRIER_HIDDEN });
  // Ctrl-C is seen between steps, and inside them (the lower fit, the verification) when io.stop is shared
  const ac = new AbortController();
  const stop = { get aborted(): boolean { return ac.signal.aborted || io.stop?.aborted === true; } };
  const track = neuralTrack(system, setup.policy, barrier, setup.theta0, barrier.init(Rng.fromSeed(config.seed)), { ...setup.options, signal: stop });
  const dir = resume ? resume.dir : prepareOutDir(out);
  if (!resume) saveTrainConfig(dir, config);
  const log = io.log.child({ command: 'train', system: system.name, track: 'neural', seed: config.seed });
  const checkpoints = new TrainCheckpointer(dir, every, log);
  if (resume) log.info({ iteration: saved!.policy.iteration, file: resume.file, fromPrevious: resume.fromPrevious }, 'resuming from the checkpoint');

  // 2. the run
  void io.interrupted?.then(() => ac.abort());
  const progress = createProgress({ total: Math.max(1, config.maxIter), enabled: io.progress, label: `${system.name} neural`, stream: io.stderr });
  const savedSeconds = saved?.seconds ?? 0;
  log.info({ maxIter: config.maxIter, nTheta: setup.policy.nTheta, barrier: barrier.sizes, domain: setup.domain }, 'training started');
  let lastVerdict: BarrierVerdict | null = saved?.verdict ?? null;
  let lastFit: CertificateResult | null = null;
  const sink = findingSink(log, saved?.findings);
  const stateAt = (p: PolicyState, seconds: number): Record<string, CheckpointValue> => ({
    track: 'neural',
    policy: plainTree({ ...p, inner: withoutDiagnostics(p.inner as NeuralTrainingState) }),
    verdict: plainTree(lastVerdict),
    findings: plainTree(sink.findings),
    seconds,
  });
  let trainingMs = 0;
  let tick = performance.now();
  // the verification is the long part of a step: a log line when it starts
  const stages = {
    ...track.stages,
    verifier: (theta: Float64Array, c: CertificateResult) => {
      log.debug({ iteration: c.barrier?.iteration }, 'verification started');
      return track.stages.verifier(theta, c);
    },
  };
  let result;
  try {
    result = await runTrainingPipeline(stages, saved?.policy ?? track.init, {
      maxIter: config.maxIter,
      ...(config.maxSeconds !== undefined ? { maxSeconds: Math.max(1e-9, config.maxSeconds - savedSeconds) } : {}),
      signal: stop,
      // a resumed pipeline repeats the checkpoint's iteration, whose findings the checkpoint already holds
      onFinding: (f) => (saved && f.iteration === saved.policy.iteration ? undefined : sink.add(f)),
      onEvent: (e: PipelineEvent) => {
        const now = performance.now();
        trainingMs += now - tick;
        tick = now;
        if (e.certificate !== null) lastFit = e.certificate;
        const v = e.verdict?.barrier;
        if (v) {
          lastVerdict = v;
          log.info({ iteration: e.iteration, certified: v.certified, conditions: v.conditions.map((c) => `${c.name} ${c.result.status} ${c.result.stats.boxesProcessed}`), boxes: v.boxes }, 'barrier checked');
        }
        log.debug({ iteration: e.iteration, loss: e.certificate?.cStar, value: e.policy.value, lambda: e.policy.lambda, stepNorm: e.policy.stepNorm, trainingSet: trainingSetSize(e.policy) }, 'iteration');
        progress.update(e.iteration, { L: e.certificate?.cStar ?? NaN, V: e.policy.value });
        if (e.stop === null && checkpoints.due()) checkpoints.save(stateAt(e.policy, savedSeconds + trainingMs / 1000), e.iteration);
        tick = performance.now();
      },
    });
    if (result.outcome === 'interrupted') log.warn({ iteration: result.last.iteration }, 'interrupted: saving what was computed up to this iteration');
    if (result.outcome === 'interrupted' || result.outcome === 'max-iter' || result.outcome === 'max-seconds') {
      checkpoints.save(stateAt(result.last.policy, savedSeconds + result.seconds), result.last.iteration);
    }
  } finally {
    progress.stop();
  }
  const outcome: NeuralOutcome = result.outcome;
  const steps = result.iterations;
  const seconds = savedSeconds + result.seconds;
  const verdict = lastVerdict as BarrierVerdict | null;
  const certified = outcome === 'certified' && verdict !== null && verdict.certified;
  const last = result.last;
  const inner = last.policy.inner as NeuralTrainingState;
  const theta = last.policy.theta;
  // the barrier fitted for the last θ (a diverged θ has none: the last fit the policy version carries)
  const fit = (lastFit as CertificateResult | null)?.barrier;
  const cert: NeuralCertificate = { barrier, psi: last.certificate?.barrier?.psi ?? fit?.psi ?? inner.psi };
  const lastRun = last.verdict?.barrier ?? null;
  const verifications = inner.verifications + (last.verdict ? 1 : 0);
  const verifyBoxes = inner.verifyBoxes + (lastRun?.boxes ?? 0);
  const verifySeconds = inner.verifySeconds + (lastRun?.seconds ?? 0);
  const finalVerdict = verdict ? barrierVerifierResult(verdict, system.nx) : null;
  for (const f of finalFindings(steps, certified, finalVerdict)) sink.add(f);
  const sampled = sampledBarrierCheck(system, setup.policy, theta, cert, config.samples, config.seed);
  const lastCondition = verdict?.conditions[verdict.conditions.length - 1] ?? null;
  const counterexample = !certified && lastCondition?.result.status === 'falsified' ? lastCondition.result.counterexample : null;

  // 3. trajectories, picture, files
  const trajectories = closedLoop(system, setup.policy, theta, config.trajectories, config.seed + 1);
  const entering = trajectories.filter((t) => t.unsafeStep >= 0);
  const boxesText = verdict ? verdict.conditions.map((c) => `${c.name} ${c.result.status} ${c.result.stats.boxesProcessed}`).join(', ') : 'not run';
  const picture = await phasePicture({
    system,
    trajectories,
    certificate: { evaluate: (x) => barrier.forward(cert.psi, x) },
    box: setup.domain,
    counterexample,
    title: `${system.name} · neural track · seed ${config.seed}`,
    subtitle: [`certified: ${certified}, barrier ${barrier.sizes.join('-')} tanh, ${steps} iterations, seed ${config.seed}`, `verifyBarrier (boxes): ${boxesText}`],
  });
  const outputs = new OutputFiles(dir);
  outputs.write('policy.json', JSON.stringify(anyPolicyDocument(system, setup.policy, theta), null, 2) + '\n');
  outputs.write('certificate.json', JSON.stringify(neuralCertificateDocument(system, cert), null, 2) + '\n');
  outputs.write('phase.svg', picture.svg);
  outputs.write('phase.png', picture.png);
  const terms = neuralBarrierTerms(system, 'trainNeural');
  const report = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    system: system.name,
    track: 'neural',
    baseline: null,
    seed: config.seed,
    certified,
    property: certifiedProperty(system, 'neural'),
    outcome,
    cStar: null,
    certificateClaimed: certified,
    verifier: verdict
      ? {
          method: 'sound (verifyBarrier, branch and bound during training)',
          status: certified ? 'verified' : (lastCondition?.result.status ?? 'unknown'),
          violated: certified ? null : (lastCondition?.name ?? null),
          counterexample: counterexample ? Array.from(counterexample) : null,
          samplesPerCondition: config.samples,
          boxes: verdict.boxes,
          conditions: sampledSummary(sampled),
          sound: barrierVerdictSummary(verdict),
        }
      : null,
    iterations: steps,
    seconds,
    secondsPerIteration: seconds / Math.max(1, steps),
    verifications,
    verifyBoxes,
    verifySeconds,
    theta: Array.from(theta),
    policy: anyPolicyDocument(system, setup.policy, theta).kind,
    barrier: { sizes: [...barrier.sizes], activation: 'tanh' },
    domain: { lo: [...setup.domain.lo], hi: [...setup.domain.hi] },
    trajectories: { count: trajectories.length, enteringUnsafe: entering.length, firstUnsafe: entering[0] ? { x0: Array.from(entering[0].x0), step: entering[0].unsafeStep } : null },
    unsafe: entering.length > 0,
    projection: picture.projection,
    neural: { ...setup.options, dynamicsGraph: undefined, decay: terms.decay, unsafeMargin: terms.unsafeMargin },
    lp: null,
    files: ['certificate.json', ...(checkpoints.iteration !== null ? ['checkpoint.bin'] : []), 'phase.png', 'phase.svg', 'policy.json', 'report.json', 'train-config.json'],
    checkpoint: checkpoints.iteration !== null ? { file: checkpoints.path, iteration: checkpoints.iteration, written: checkpoints.written } : null,
    resumedFrom: resume ? { iteration: saved!.policy.iteration, file: resume.file, fromPrevious: resume.fromPrevious } : null,
    monitors: findingsSummary([TRAINING_MONITORS.verifier, TRAINING_MONITORS.policy], false, sink.findings),
  };
  outputs.write('report.json', JSON.stringify(report, null, 2) + '\n');
  log.info({ outcome, certified, iterations: steps, seconds, verifications, verifyBoxes }, 'training finished');
  const sampledBad = sampled.filter((r) => r.violations > 0);
  io.stdout.write(
    `${system.name} (neural track): ${certified ? 'CERTIFIED' : 'NOT CERTIFIED'} after ${steps} iterations (${outcome}), ${seconds.toFixed(2)} s, ` +
      `${verifications} verifications, ${verifyBoxes} boxes\n` +
      `  verifyBarrier (last): ${boxesText} boxes\n` +
      `  sampled check: ${sampledBad.length === 0 ? `no violation in ${config.samples} states per condition` : sampledBad.map((r) => `${r.name} ${r.violations} violations`).join(', ')}\n` +
      `  ${entering.length}/${trajectories.length} closed-loop trajectories enter the unsafe set\n` +
      `  ${certified ? 'proved' : 'not proved'}: ${report.property}\n` +
      (counterexample ? `  counterexample (${lastCondition?.name}): [${Array.from(counterexample, (v) => v.toPrecision(6)).join(', ')}]\n` : '') +
      (outputs.failure ? '' : `Wrote ${dir}/{${report.files.join(',')}}\n`) +
      (outcome !== 'certified' && checkpoints.iteration !== null ? `  checkpoint at iteration ${checkpoints.iteration}: continue with safe-control train --resume ${dir}\n` : ''),
  );
  if (io.json) io.stdout.write(JSON.stringify(report) + '\n');
  else io.stdout.write(`\n${formatFindings(sink.findings)}\n`);
  outputs.throwIfFailed({ outcome, iterations: steps, checkpoint: keptCheckpoint(checkpoints, resume ? { file: resume.file, iteration: saved!.policy.iteration } : null) });
  if (outcome === 'interrupted') return EXIT.interrupted;
  return certified ? EXIT.ok : EXIT.notCertified;
}

/** The size of the counterexample-guided training set a policy version carries. */
function trainingSetSize(p: PolicyState): number {
  const set = (p.inner as NeuralTrainingState | undefined)?.set;
  return set ? set.initial.length + set.unsafe.length + set.domain.length + set.shell.length : 0;
}

/** The neural track's saved state, checked for shape (a checkpoint of another version is refused, not half-loaded). */
function neuralTrainState(resume: TrainResume): { policy: PolicyState; seconds: number; verdict: BarrierVerdict | null; findings: Finding[] } {
  const st = resume.state as Record<string, unknown>;
  const policy = st.policy as PolicyState | undefined;
  const inner = policy?.inner as NeuralTrainingState | undefined;
  const ok =
    policy &&
    typeof policy === 'object' &&
    policy.theta instanceof Float64Array &&
    Number.isInteger(policy.iteration) &&
    inner?.psi instanceof Float64Array &&
    inner.adam?.m instanceof Float64Array &&
    inner.set &&
    typeof st.seconds === 'number';
  if (!ok) throw new InputError('the checkpoint does not hold a neural-track training state', resume.file);
  const findings = Array.isArray(st.findings) ? (st.findings as Finding[]) : [];
  return { policy, seconds: st.seconds as number, verdict: (st.verdict as BarrierVerdict | null) ?? null, findings };
}
