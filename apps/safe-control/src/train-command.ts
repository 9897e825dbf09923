import { join } from 'node:path';
import loadHighs from 'highs';
import { InputError } from '@bilevel/problems';
import { CertificateLp, FeaturePolicy } from '@bilevel/control';
import { polyTrack, runTrainingPipeline } from './control-pipeline';
import type { CertificateResult, PipelineEvent, VerifierResult } from './control-pipeline';
import { createProgress, writeFileAtomic } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import { lookupSystem } from './lookup-system';
import { polyTrackSetup } from './track-setup';
import { checkOutDir, defaultOutDir, prepareOutDir } from '@bilevel/problems';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';
import { policyDocument } from './policy-file';
import { certificateDocument } from './certificate-file';
import { verdictSummary } from './verdict-summary';
import { appVerifier } from './app-verifier';
import type { TrainConfig } from './train-config';
import { REPORT_FORMAT, REPORT_VERSION } from './train-config';
import { trainNeural } from './train-neural';

export type { TrainConfig } from './train-config';
export { REPORT_FORMAT, REPORT_VERSION } from './train-config';

/**
 * `safe-control train`: the joint training of Wang et al. (ICCPS 2023) as the pipeline of libs/control (policy,
 * certificate and verifier streams), or the SVG baseline, or with `--track neural` the neural track
 * ({@link trainNeural}); writes report.json, policy.json, certificate.json (when
 * the LP produced one) and phase.svg/png into a new folder. Exit 0 when certified (or the baseline ran), 3 when
 * training ended without an accepted certificate, 130 when interrupted (files written with what there is).
 */
export async function trainCommand(config: TrainConfig, io: CommandIo): Promise<number> {
  // 1. everything that can fail on bad input, before anything is written
  const system = lookupSystem(config.system);
  if (config.track === 'neural') {
    if (config.baseline !== undefined) throw new InputError(`the baseline runs without a certificate and belongs to --track poly, received --baseline '${config.baseline}' with --track neural`, '--baseline');
    return trainNeural(config, system, io);
  }
  if (config.track !== 'poly') throw new InputError(`expected poly or neural, received '${config.track}'`, '--track');
  if (config.baseline !== undefined && config.baseline !== 'svg') throw new InputError(`expected svg, received '${config.baseline}'`, '--baseline');
  const baseline = config.baseline === 'svg';
  const setup = polyTrackSetup(system);
  const out = config.out ?? defaultOutDir(baseline ? 'svg' : 'train', system.name);
  checkOutDir(out);
  const policy = new FeaturePolicy(system.nx, system.nu, { degree: setup.degree, constant: setup.constant });
  const highs = baseline ? null : await loadHighs();
  const lp = highs ? new CertificateLp(system, policy, highs) : null;
  const dir = prepareOutDir(out);
  const log = io.log.child({ command: 'train', system: system.name, track: baseline ? 'svg-baseline' : config.track, seed: config.seed });

  // 2. the run
  const { stages, init } = polyTrack(system, policy, lp, {
    theta0: Float64Array.from(setup.theta0),
    training: { seed: config.seed, ...(baseline ? { mode: 'svg' as const } : {}) },
    ...(lp ? { verifier: appVerifier(system, policy, lp.settings, config.samples, config.seed) } : {}),
  });
  const ac = new AbortController();
  io.interrupted?.then((signal) => {
    log.warn({ signal }, 'interrupted: saving what was computed so far');
    ac.abort();
  });
  const progress = createProgress({ total: Math.max(1, config.maxIter), enabled: io.progress, label: `${system.name} ${baseline ? 'svg' : config.track}`, stream: io.stderr });
  let lastCertified: { certificate: CertificateResult; verdict: VerifierResult | null; theta: Float64Array } | null = null;
  let lastVerdict: VerifierResult | null = null;
  log.info({ maxIter: config.maxIter, nTheta: policy.nTheta, lp: lp?.settings ?? null }, 'training started');
  let result;
  try {
    result = await runTrainingPipeline(stages, init, {
      maxIter: config.maxIter,
      ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}),
      signal: ac.signal,
      onEvent: (e: PipelineEvent) => {
        if (e.certificate !== null) lastCertified = { certificate: e.certificate, verdict: e.verdict, theta: e.policy.theta };
        if (e.verdict !== null) {
          lastVerdict = e.verdict;
          log.info({ iteration: e.iteration, cStar: e.certificate?.cStar, verdict: e.verdict.status, violated: e.verdict.violated }, 'certificate checked');
        }
        log.debug({ iteration: e.iteration, value: e.policy.value, cStar: e.certificate?.cStar ?? null, lambda: e.policy.lambda, stepNorm: e.policy.stepNorm }, 'iteration');
        progress.update(e.iteration, { 'c*': e.certificate?.cStar ?? NaN, V: e.policy.value });
      },
    });
  } finally {
    progress.stop();
    lp?.dispose();
  }
  const last = result.last;
  const theta = last.policy.theta;
  const certified = result.outcome === 'certified';
  const held = lastCertified as { certificate: CertificateResult; verdict: VerifierResult | null; theta: Float64Array } | null;
  const cert = held?.certificate ?? null;
  const verdict = lastVerdict as VerifierResult | null;

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
  const files = ['report.json', 'policy.json', 'phase.svg', 'phase.png'];
  writeFileAtomic(join(dir, 'policy.json'), JSON.stringify(policyDocument(system, policy, setup.degree, setup.constant, theta), null, 2) + '\n');
  if (cert?.certificate && lp) {
    writeFileAtomic(join(dir, 'certificate.json'), JSON.stringify(certificateDocument(system, cert.certificate, lp.settings, cert.cStar), null, 2) + '\n');
    files.push('certificate.json');
  }
  writeFileAtomic(join(dir, 'phase.svg'), picture.svg);
  writeFileAtomic(join(dir, 'phase.png'), picture.png);
  const report = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    system: system.name,
    track: config.track,
    baseline: baseline ? 'svg' : null,
    seed: config.seed,
    certified,
    outcome: result.outcome,
    cStar: cert ? cert.cStar : null,
    certificateClaimed: cert?.found ?? false,
    verifier: verdict ? verdictSummary(verdict) : null,
    iterations: result.iterations,
    seconds: result.seconds,
    secondsPerIteration: result.seconds / Math.max(1, result.iterations + 1),
    theta: Array.from(theta),
    trajectories: { count: trajectories.length, enteringUnsafe: entering.length, firstUnsafe: entering[0] ? { x0: Array.from(entering[0].x0), step: entering[0].unsafeStep } : null },
    unsafe: entering.length > 0,
    projection: picture.projection,
    lp: lp?.settings ?? null,
    files: files.sort(),
  };
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  log.info({ outcome: result.outcome, certified, iterations: result.iterations, seconds: result.seconds }, 'training finished');

  io.stdout.write(
    `${system.name} (${baseline ? 'SVG baseline' : `${config.track} track`}): ${baseline ? (entering.length > 0 ? 'UNSAFE' : 'no unsafe trajectory seen') : certified ? 'CERTIFIED' : 'NOT CERTIFIED'} ` +
      `after ${result.iterations} iterations (${result.outcome}), ${result.seconds.toFixed(2)} s` +
      `${cert ? `, c* = ${cert.cStar.toPrecision(4)}` : ''}${verdict ? `, verifier: ${verdict.method} ${verdict.status}${verdict.samples ? ` (${verdict.samples} samples per condition)` : ''}` : ''}\n` +
      `  ${entering.length}/${trajectories.length} closed-loop trajectories enter the unsafe set\n` +
      (verdict?.counterexample ? `  counterexample (${verdict.violated}): [${Array.from(verdict.counterexample, (v) => v.toPrecision(6)).join(', ')}]\n` : '') +
      `Wrote ${dir}/{${report.files.join(',')}}\n`,
  );
  if (io.json) io.stdout.write(JSON.stringify(report) + '\n');
  if (result.outcome === 'interrupted') return EXIT.interrupted;
  return certified || baseline ? EXIT.ok : EXIT.notCertified;
}
