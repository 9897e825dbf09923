import { CertificateLp, FeaturePolicy, certifiedProperty } from '@bilevel/control';
import type { CertificateLpState, PolicyState } from '@bilevel/control';
import type { CheckpointValue } from '@bilevel/telemetry';
import type { Finding } from '@bilevel/streams';
import { findingsSummary, formatFindings } from '@bilevel/streams';
import { TRAINING_MONITORS } from '@bilevel/control';
import { findingSink } from './finding-sink';
import { finalFindings, polyTrack, runTrainingPipeline } from './control-pipeline';
import type { CertificateResult, PipelineEvent, VerifierResult } from './control-pipeline';
import { createProgress } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import { lookupSystem } from './lookup-system';
import { polyTrackSetup } from './track-setup';
import { checkOutDir, checkWritableDir, defaultOutDir, InputError, prepareOutDir } from '@bilevel/io';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';
import { policyDocument } from './policy-file';
import { certificateDocument } from './certificate-file';
import { verdictSummary } from './verdict-summary';
import { appVerifier } from './app-verifier';
import type { TrainConfig } from './train-config';
import { REPORT_FORMAT, REPORT_VERSION } from './train-config';
import { trainNeural } from './train-neural';
import { trainDashboard, trainMeta } from './dashboard/train-dashboard';
import type { TrainResume } from './train-checkpoint';
import { DEFAULT_TRAIN_CHECKPOINT_SECONDS, keptCheckpoint, OutputFiles, plainTree, saveTrainConfig, TrainCheckpointer, withoutDiagnostics } from './train-checkpoint';

export type { TrainConfig } from './train-config';
export { REPORT_FORMAT, REPORT_VERSION } from './train-config';

/**
 * `safe-control train`: the joint training of Wang et al. (ICCPS 2023) as the pipeline of libs/control (policy,
 * certificate and verifier streams), or the SVG baseline, or with `--track neural` the neural track
 * ({@link trainNeural}); writes report.json, policy.json, certificate.json (when
 * the LP produced one) and phase.svg/png into a new folder. Exit 0 when certified (or the baseline ran), 3 when
 * training ended without an accepted certificate, 130 when interrupted (files written with what there is).
 *
 * Checkpoints: train-config.json first, then checkpoint.bin every `checkpointEvery` seconds, when interrupted and
 * when the training ends on its budget (max-iter, max-seconds), holding the policy stream's state (θ, λ, the
 * sampler's RNG), the LP's warm-start basis and the last verdict; `resume` continues from it to the bit.
 */
export async function trainCommand(config: TrainConfig, io: CommandIo, resume?: TrainResume): Promise<number> {
  // 1. everything that can fail on bad input, before anything is written
  const system = lookupSystem(config.system);
  if (config.track === 'neural') {
    if (config.baseline !== undefined) throw new InputError(`the baseline runs without a certificate and belongs to --track poly, received --baseline '${config.baseline}' with --track neural`, '--baseline');
    if (io.dashboard) throw new InputError('the live page follows the polynomial track; the neural track has none yet (its report and phase picture are written as usual)', '--dashboard');
    return trainNeural(config, system, io, resume);
  }
  if (config.track !== 'poly') throw new InputError(`expected poly or neural, received '${config.track}'`, '--track');
  if (config.baseline !== undefined && config.baseline !== 'svg') throw new InputError(`expected svg, received '${config.baseline}'`, '--baseline');
  const baseline = config.baseline === 'svg';
  const setup = polyTrackSetup(system);
  const out = resume?.dir ?? config.out ?? defaultOutDir(baseline ? 'svg' : 'train', system.name);
  if (!resume) checkOutDir(out);
  else checkWritableDir(resume.dir, '--resume');
  const every = config.checkpointEvery ?? DEFAULT_TRAIN_CHECKPOINT_SECONDS;
  if (!(every >= 0)) throw new InputError(`expected seconds ≥ 0, received ${every}`, '--checkpoint-every');
  const saved = resume ? polyTrainState(resume) : null;
  const policy = new FeaturePolicy(system.nx, system.nu, { degree: setup.degree, constant: setup.constant });
  // HiGHS (WebAssembly) is loaded by the polynomial track's training only, not by every start of the program
  const highs = baseline ? null : await (await import('highs')).default();
  const lp = highs ? new CertificateLp(system, policy, highs, setup.lp) : null;
  if (saved && lp && saved.lp) lp.restoreState(saved.lp);
  const dir = resume ? resume.dir : prepareOutDir(out);
  if (!resume) saveTrainConfig(dir, config);
  const log = io.log.child({ command: 'train', system: system.name, track: baseline ? 'svg-baseline' : config.track, seed: config.seed });
  const checkpoints = new TrainCheckpointer(dir, every, log);
  io.dashboard?.port.open(trainMeta(system, baseline ? 'SVG baseline' : 'polynomial', config.seed, config.maxIter, dir), io.dashboard.linger);
  const dash = io.dashboard ? trainDashboard(io.dashboard.port, system, policy, config.seed + 1) : undefined;
  if (resume) log.info({ iteration: saved!.policy.iteration, file: resume.file, fromPrevious: resume.fromPrevious }, 'resuming from the checkpoint');

  // 2. the run; Ctrl-C is seen between steps, and inside them (the LP, the verifiers) when io.stop is shared
  const ac = new AbortController();
  void io.interrupted?.then(() => ac.abort());
  const stop = { get aborted(): boolean { return ac.signal.aborted || io.stop?.aborted === true; } };
  const onSound = () => log.debug('sound verification started');
  const { stages, init } = polyTrack(system, policy, lp, {
    theta0: Float64Array.from(setup.theta0),
    training: { seed: config.seed, ...(baseline ? { mode: 'svg' as const } : {}) },
    ...(lp ? { verifier: appVerifier(system, policy, config.samples, config.seed, { signal: stop, onSound, ...(highs ? { lp: highs } : {}) }) } : {}),
    signal: stop,
  });
  const progress = createProgress({ total: Math.max(1, config.maxIter), enabled: io.progress, label: `${system.name} ${baseline ? 'svg' : config.track}`, stream: io.stderr });
  let lastCertified: { certificate: CertificateResult; theta: Float64Array } | null = null;
  let lastVerdict: HeldVerdict | null = saved?.verdict ?? null;
  const savedSeconds = saved?.seconds ?? 0;
  const sink = findingSink(log, saved?.findings);
  const stateAt = (p: PolicyState, seconds: number): Record<string, CheckpointValue> => ({
    track: 'poly',
    policy: plainTree({ ...p, inner: p.inner && typeof p.inner === 'object' ? withoutDiagnostics(p.inner) : null }),
    lp: plainTree(lpState),
    verdict: plainTree(lastVerdict),
    findings: plainTree(sink.findings),
    seconds,
  });
  /** The LP's warm start as of the last completed iteration (a step stopped part-way may have moved it). */
  let lpState = lp ? lp.state() : null;
  let trainingMs = 0;
  let tick = performance.now();
  log.info({ maxIter: config.maxIter, nTheta: policy.nTheta, lp: lp?.settings ?? null }, 'training started');
  let result;
  try {
    result = await runTrainingPipeline(stages, saved?.policy ?? init, {
      maxIter: config.maxIter,
      ...(config.maxSeconds !== undefined ? { maxSeconds: Math.max(1e-9, config.maxSeconds - savedSeconds) } : {}),
      signal: stop,
      // a resumed pipeline repeats the checkpoint's iteration, whose findings the checkpoint already holds
      onFinding: (f) => (saved && f.iteration === saved.policy.iteration ? undefined : (sink.add(f), dash?.finding(f))),
      onEvent: (e: PipelineEvent) => {
        const now = performance.now();
        trainingMs += now - tick;
        tick = now;
        lpState = lp ? lp.state() : null;
        if (e.certificate !== null) lastCertified = { certificate: e.certificate, theta: e.policy.theta };
        if (e.verdict !== null) {
          lastVerdict = holdVerdict(e.verdict);
          log.info({ iteration: e.iteration, cStar: e.certificate?.cStar, verdict: e.verdict.status, violated: e.verdict.violated }, 'certificate checked');
        }
        log.debug({ iteration: e.iteration, value: e.policy.value, cStar: e.certificate?.cStar ?? null, lambda: e.policy.lambda, stepNorm: e.policy.stepNorm }, 'iteration');
        progress.update(e.iteration, { 'c*': e.certificate?.cStar ?? NaN, V: e.policy.value });
        dash?.event(e, savedSeconds + trainingMs / 1000);
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
    lp?.dispose();
  }
  const last = result.last;
  const theta = last.policy.theta;
  const certified = result.outcome === 'certified';
  const held = lastCertified as { certificate: CertificateResult; theta: Float64Array } | null;
  const cert = held?.certificate ?? null;
  const verdict = lastVerdict as HeldVerdict | null;
  const seconds = savedSeconds + result.seconds;
  // the falsifications met on the way are counterexamples; a falsified final result is the violation
  if (!baseline) {
    for (const f of finalFindings(result.iterations, certified, verdict)) {
      sink.add(f);
      dash?.finding(f);
    }
  }
  dash?.ended(result.outcome, certified, checkpoints.iteration, dir);

  // 3. trajectories, picture, files
  const trajectories = closedLoop(system, policy, theta, config.trajectories, config.seed + 1);
  const entering = trajectories.filter((t) => t.unsafeStep >= 0);
  const subtitle = [
    baseline
      ? `SVG baseline (no certificate): ${entering.length}/${trajectories.length} trajectories enter the unsafe set`
      : `certified: ${certified}, c* = ${cert ? cert.cStar.toPrecision(4) : 'n/a'}, verifier: ${verdict ? `${verdict.method} ${verdict.status}` : 'not run'}`,
    `${result.iterations} iterations, seed ${config.seed}`,
  ];
  const picture = await phasePicture({
    system,
    trajectories,
    certificate: cert?.certificate ?? null,
    counterexample: verdict?.counterexample ?? null,
    title: `${system.name} · ${baseline ? 'SVG baseline' : 'polynomial track'} · seed ${config.seed}`,
    subtitle,
  });
  const files = ['report.json', 'policy.json', 'phase.svg', 'phase.png', 'train-config.json'];
  if (checkpoints.iteration !== null) files.push('checkpoint.bin');
  const outputs = new OutputFiles(dir);
  outputs.write('policy.json', JSON.stringify(policyDocument(system, policy, setup.degree, setup.constant, theta), null, 2) + '\n');
  if (cert?.certificate && lp) {
    outputs.write('certificate.json', JSON.stringify(certificateDocument(system, cert.certificate, cert.cStar), null, 2) + '\n');
    files.push('certificate.json');
  }
  outputs.write('phase.svg', picture.svg);
  outputs.write('phase.png', picture.png);
  const report = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    system: system.name,
    track: config.track,
    baseline: baseline ? 'svg' : null,
    seed: config.seed,
    certified,
    property: baseline ? null : certifiedProperty(system, 'polynomial'),
    outcome: result.outcome,
    cStar: cert ? cert.cStar : null,
    certificateClaimed: cert?.found ?? false,
    verifier: verdict ? verdict.summary : null,
    iterations: result.iterations,
    seconds,
    secondsPerIteration: seconds / Math.max(1, result.iterations + 1),
    theta: Array.from(theta),
    trajectories: { count: trajectories.length, enteringUnsafe: entering.length, firstUnsafe: entering[0] ? { x0: Array.from(entering[0].x0), step: entering[0].unsafeStep } : null },
    unsafe: entering.length > 0,
    projection: picture.projection,
    lp: lp?.settings ?? null,
    files: files.sort(),
    monitors: findingsSummary(Object.values(TRAINING_MONITORS), false, sink.findings),
    checkpoint: checkpoints.iteration !== null ? { file: checkpoints.path, iteration: checkpoints.iteration, written: checkpoints.written } : null,
    resumedFrom: resume ? { iteration: saved!.policy.iteration, file: resume.file, fromPrevious: resume.fromPrevious } : null,
  };
  outputs.write('report.json', JSON.stringify(report, null, 2) + '\n');
  log.info({ outcome: result.outcome, certified, iterations: result.iterations, seconds }, 'training finished');

  io.stdout.write(
    `${system.name} (${baseline ? 'SVG baseline' : `${config.track} track`}): ${baseline ? (entering.length > 0 ? 'UNSAFE' : 'no unsafe trajectory seen') : certified ? 'CERTIFIED' : 'NOT CERTIFIED'} ` +
      `after ${result.iterations} iterations (${result.outcome}), ${seconds.toFixed(2)} s` +
      `${cert ? `, c* = ${cert.cStar.toPrecision(4)}` : ''}${verdict ? `, verifier: ${verdict.method} ${verdict.status}${verdict.samples ? ` (${verdict.samples} samples per condition)` : ''}` : ''}\n` +
      `  ${entering.length}/${trajectories.length} closed-loop trajectories enter the unsafe set\n` +
      (report.property ? `  ${certified ? 'proved' : 'not proved'}: ${report.property}\n` : '') +
      (verdict?.counterexample ? `  counterexample (${verdict.violated}): [${Array.from(verdict.counterexample, (v) => v.toPrecision(6)).join(', ')}]\n` : '') +
      (outputs.failure ? '' : `Wrote ${dir}/{${report.files.join(',')}}\n`) +
      (result.outcome !== 'certified' && checkpoints.iteration !== null ? `  checkpoint at iteration ${checkpoints.iteration}: continue with safe-control train --resume ${dir}\n` : ''),
  );
  if (io.json) io.stdout.write(JSON.stringify(report) + '\n');
  else if (!baseline) io.stdout.write(`\n${formatFindings(sink.findings)}\n`);
  outputs.throwIfFailed({ outcome: result.outcome, iterations: result.iterations, checkpoint: keptCheckpoint(checkpoints, resume ? { file: resume.file, iteration: saved!.policy.iteration } : null) });
  if (result.outcome === 'interrupted') return EXIT.interrupted;
  return certified || baseline ? EXIT.ok : EXIT.notCertified;
}

/** The part of a verdict the report, the picture and a checkpoint keep (plain data). */
export interface HeldVerdict {
  readonly method: string;
  readonly status: VerifierResult['status'];
  readonly violated: string | null;
  readonly counterexample: Float64Array | null;
  readonly samples: number | null;
  readonly summary: ReturnType<typeof verdictSummary>;
}

function holdVerdict(v: VerifierResult): HeldVerdict {
  return { method: v.method, status: v.status, violated: v.violated, counterexample: v.counterexample, samples: v.samples ?? null, summary: verdictSummary(v) };
}

/** The poly track's saved state, checked for shape (a checkpoint of another version is refused, not half-loaded). */
function polyTrainState(resume: TrainResume): { policy: PolicyState; lp: CertificateLpState | null; verdict: HeldVerdict | null; seconds: number; findings: Finding[] } {
  const st = resume.state as Record<string, unknown>;
  const policy = st.policy as PolicyState | undefined;
  const ok = policy && typeof policy === 'object' && policy.theta instanceof Float64Array && Number.isInteger(policy.iteration) && typeof st.seconds === 'number';
  if (!ok) throw new InputError('the checkpoint does not hold a poly-track policy state', resume.file);
  const findings = Array.isArray(st.findings) ? (st.findings as Finding[]) : [];
  return { policy, lp: (st.lp as CertificateLpState | null) ?? null, verdict: (st.verdict as HeldVerdict | null) ?? null, seconds: st.seconds as number, findings };
}
