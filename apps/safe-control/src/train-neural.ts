import { Rng } from '@bilevel/linalg';
import type { BarrierVerdict, ControlSystem, NeuralTrainingState } from '@bilevel/control';
import { BarrierMlp, barrierVerdictFindings, certifiedProperty, neuralBarrierTerms, neuralTraining, TRAINING_MONITORS } from '@bilevel/control';
import type { Finding } from '@bilevel/streams';
import { findingsSummary, formatFindings } from '@bilevel/streams';
import { findingSink } from './finding-sink';
import { createProgress } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import type { TrainConfig } from './train-config';
import { REPORT_FORMAT, REPORT_VERSION } from './train-config';
import { NEURAL_BARRIER_HIDDEN, neuralSetup } from './neural-setup';
import { checkOutDir, checkWritableDir, defaultOutDir, prepareOutDir } from '@bilevel/problems';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';
import { anyPolicyDocument } from './policy-file';
import type { NeuralCertificate } from './neural-certificate-file';
import { neuralCertificateDocument } from './neural-certificate-file';
import { barrierVerdictSummary, sampledBarrierCheck, sampledSummary } from './neural-check';
import type { TrainResume } from './train-checkpoint';
import { DEFAULT_TRAIN_CHECKPOINT_SECONDS, keptCheckpoint, OutputFiles, plainTree, saveTrainConfig, TrainCheckpointer, withoutDiagnostics } from './train-checkpoint';
import { InputError } from '@bilevel/problems';
import { isStopError } from '@bilevel/verify';

/** How a neural run ended: the trainer's own stops, or the driver's budget / Ctrl-C. */
export type NeuralOutcome = 'certified' | 'diverged' | 'max-iter' | 'max-seconds' | 'interrupted';

/**
 * `safe-control train --track neural`: the neural track of libs/control (neuralTraining: policy π_θ and barrier MLP
 * B_ψ as a bilevel problem with counterexample-guided branch-and-bound verification; Wang et al., ICCPS 2023, with
 * the neural certificates of Chang, Roohi, Gao, NeurIPS 2019), set up by {@link neuralSetup}.
 *
 * Driven through neuralTraining's init/step directly, not through the RxJS pipeline: one neural step is lower fit,
 * verification and upper step in one, with ψ, Adam's moments and the counterexample set carried in its state, so
 * it does not split into the pipeline's independent policy / certificate (θ ↦ certificate) / verifier stages without
 * re-implementing the trainer. The driver gives it the same handling as the pipeline: one step per event-loop turn
 * (so Ctrl-C lands between steps, and inside one when `io.stop` is shared: the step is abandoned), --max-iter steps,
 * --max-seconds of stepping, the progress bar and the logs.
 *
 * Certified only when verifyBarrier proved all four conditions (`verified`) for the final (θ, ψ). Writes
 * report.json (verdict, boxes per condition, iterations, seconds, a sampled cross-check of `samples` states per
 * condition), policy.json (kind 'feature' or 'mlp'), certificate.json (kind 'neural', the last barrier, certified
 * or not) and phase.svg/png (the level set B = 0 on the verified domain). Exit 0 certified, 3 not, 130 interrupted.
 * Checkpoints as the poly track (train-config.json, then checkpoint.bin every `checkpointEvery` seconds, when
 * interrupted and on a budget stop): the whole trainer state (θ, ψ, Adam's moments, λ, RNG, counterexample set)
 * and the last verdict; `resume` continues from it to the bit.
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
  const run = neuralTraining(system, setup.policy, barrier, { ...setup.options, signal: stop });
  const dir = resume ? resume.dir : prepareOutDir(out);
  if (!resume) saveTrainConfig(dir, config);
  const log = io.log.child({ command: 'train', system: system.name, track: 'neural', seed: config.seed });
  const checkpoints = new TrainCheckpointer(dir, every, log);
  if (resume) log.info({ iteration: saved!.steps, file: resume.file, fromPrevious: resume.fromPrevious }, 'resuming from the checkpoint');

  // 2. the run
  void io.interrupted?.then(() => ac.abort());
  const progress = createProgress({ total: Math.max(1, config.maxIter), enabled: io.progress, label: `${system.name} neural`, stream: io.stderr });
  const maxSeconds = config.maxSeconds ?? Infinity;
  log.info({ maxIter: config.maxIter, nTheta: setup.policy.nTheta, barrier: barrier.sizes, domain: setup.domain }, 'training started');
  let s: NeuralTrainingState = saved?.state ?? run.init(setup.theta0, barrier.init(Rng.fromSeed(config.seed)));
  let steps = saved?.steps ?? 0;
  let ms = (saved?.seconds ?? 0) * 1000;
  let lastVerdict: BarrierVerdict | null = saved?.verdict ?? null;
  const sink = findingSink(log, saved?.findings);
  const save = () => checkpoints.save({ track: 'neural', state: plainTree(withoutDiagnostics(s)), steps, seconds: ms / 1000, verdict: plainTree(lastVerdict), findings: plainTree(sink.findings) }, steps);
  let outcome: NeuralOutcome;
  try {
    for (;;) {
      if (s.done) {
        outcome = s.outcome === 'certified' ? 'certified' : 'diverged';
        if (outcome === 'diverged') sink.add({ level: 'violation', monitor: TRAINING_MONITORS.policy, iteration: steps, message: 'a rollout left float range: θ is the last finite policy' });
        break;
      }
      if (steps >= config.maxIter) {
        outcome = 'max-iter';
        break;
      }
      if (ms / 1000 >= maxSeconds) {
        outcome = 'max-seconds';
        break;
      }
      await new Promise<void>((r) => setImmediate(r));
      if (stop.aborted) {
        outcome = 'interrupted';
        break;
      }
      log.debug({ iteration: steps + 1 }, 'step started');
      const t0 = performance.now();
      try {
        s = run.step(s);
      } catch (err) {
        // stopped part-way: the step is abandoned, s is still the last completed one
        if (!(stop.aborted && isStopError(err))) throw err;
        outcome = 'interrupted';
        break;
      }
      ms += performance.now() - t0;
      steps++;
      const d = s.diagnostics;
      if (d?.verification) {
        lastVerdict = d.verification;
        for (const f of barrierVerdictFindings(steps, d.verification)) sink.add(f);
        log.info({ iteration: steps, certified: d.verification.certified, conditions: d.verification.conditions.map((c) => `${c.name} ${c.result.status} ${c.result.stats.boxesProcessed}`), boxes: d.verification.boxes }, 'barrier checked');
      }
      log.debug({ iteration: steps, loss: d?.lower.loss, value: d?.value, lambda: d?.lambda, stepNorm: d?.stepNorm, trainingSet: d?.trainingSetSize }, 'iteration');
      progress.update(steps, { L: d?.lower.loss ?? NaN, V: d?.value ?? NaN });
      if (!s.done && checkpoints.due()) save();
    }
    if (outcome === 'interrupted') log.warn({ iteration: steps }, 'interrupted: saving what was computed up to this iteration');
    if (outcome === 'interrupted' || outcome === 'max-iter' || outcome === 'max-seconds') save();
  } finally {
    progress.stop();
  }
  const seconds = ms / 1000;
  const verdict = lastVerdict as BarrierVerdict | null;
  const certified = outcome === 'certified' && verdict !== null && verdict.certified;
  const theta = s.theta;
  const cert: NeuralCertificate = { barrier, psi: s.psi };
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
    verifications: s.verifications,
    verifyBoxes: s.verifyBoxes,
    verifySeconds: s.verifySeconds,
    theta: Array.from(theta),
    policy: anyPolicyDocument(system, setup.policy, theta).kind,
    barrier: { sizes: [...barrier.sizes], activation: 'tanh' },
    domain: { lo: [...setup.domain.lo], hi: [...setup.domain.hi] },
    trajectories: { count: trajectories.length, enteringUnsafe: entering.length, firstUnsafe: entering[0] ? { x0: Array.from(entering[0].x0), step: entering[0].unsafeStep } : null },
    unsafe: entering.length > 0,
    projection: picture.projection,
    neural: { ...setup.options, dynamicsGraph: undefined, decay: neuralBarrierTerms(system, 'trainNeural').decay, unsafeMargin: neuralBarrierTerms(system, 'trainNeural').unsafeMargin },
    lp: null,
    files: ['certificate.json', ...(checkpoints.iteration !== null ? ['checkpoint.bin'] : []), 'phase.png', 'phase.svg', 'policy.json', 'report.json', 'train-config.json'],
    checkpoint: checkpoints.iteration !== null ? { file: checkpoints.path, iteration: checkpoints.iteration, written: checkpoints.written } : null,
    resumedFrom: resume ? { iteration: saved!.steps, file: resume.file, fromPrevious: resume.fromPrevious } : null,
    monitors: findingsSummary([TRAINING_MONITORS.verifier, TRAINING_MONITORS.policy], false, sink.findings),
  };
  outputs.write('report.json', JSON.stringify(report, null, 2) + '\n');
  log.info({ outcome, certified, iterations: steps, seconds, verifications: s.verifications, verifyBoxes: s.verifyBoxes }, 'training finished');
  const sampledBad = sampled.filter((r) => r.violations > 0);
  io.stdout.write(
    `${system.name} (neural track): ${certified ? 'CERTIFIED' : 'NOT CERTIFIED'} after ${steps} iterations (${outcome}), ${seconds.toFixed(2)} s, ` +
      `${s.verifications} verifications, ${s.verifyBoxes} boxes\n` +
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
  outputs.throwIfFailed({ outcome, iterations: steps, checkpoint: keptCheckpoint(checkpoints, resume ? { file: resume.file, iteration: saved!.steps } : null) });
  if (outcome === 'interrupted') return EXIT.interrupted;
  return certified ? EXIT.ok : EXIT.notCertified;
}

/** The neural track's saved state, checked for shape (a checkpoint of another version is refused, not half-loaded). */
function neuralTrainState(resume: TrainResume): { state: NeuralTrainingState; steps: number; seconds: number; verdict: BarrierVerdict | null; findings: Finding[] } {
  const st = resume.state as Record<string, unknown>;
  const state = st.state as NeuralTrainingState | undefined;
  const ok =
    state && typeof state === 'object' && state.theta instanceof Float64Array && state.psi instanceof Float64Array && state.adam?.m instanceof Float64Array && state.set && Number.isInteger(st.steps) && typeof st.seconds === 'number';
  if (!ok) throw new InputError('the checkpoint does not hold a neural-track training state', resume.file);
  const findings = Array.isArray(st.findings) ? (st.findings as Finding[]) : [];
  return { state, steps: st.steps as number, seconds: st.seconds as number, verdict: (st.verdict as BarrierVerdict | null) ?? null, findings };
}
