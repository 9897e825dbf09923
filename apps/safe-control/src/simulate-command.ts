import { join } from 'node:path';
import { writeFileAtomic } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import { lookupSystem } from './lookup-system';
import { readPolicyFile } from './policy-file';
import { readCertificateFile } from './certificate-file';
import { certificateKind, readNeuralCertificateFile } from './neural-certificate-file';
import type { PlottedCertificate } from './phase-picture';
import type { Box } from '@bilevel/control';
import { neuralBarrierTerms } from '@bilevel/control';
import { defaultOutDir, prepareOutDir } from '@bilevel/io';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';

/** Everything `safe-control simulate` needs, after parsing. */
export interface SimulateConfig {
  readonly system: string;
  readonly policy: string;
  /** Optional certificate whose level set is drawn too. */
  readonly certificate?: string;
  readonly trajectories: number;
  readonly seed: number;
  readonly out?: string;
}

export const SIMULATION_FORMAT = 'safe-control.simulation';
export const SIMULATION_VERSION = 1;

/**
 * `safe-control simulate`: closed-loop rollouts of a written policy from `trajectories` initial states drawn in the
 * initial set (nominal parameters, the system's horizon), and the picture; writes simulation.json and
 * phase.svg/png. Exit 0 (the number of trajectories entering the unsafe set is reported, not judged).
 */
export async function simulateCommand(config: SimulateConfig, io: CommandIo): Promise<number> {
  const system = lookupSystem(config.system);
  const { policy, theta } = readPolicyFile(config.policy, system);
  let certificate: PlottedCertificate | null = null;
  let box: Box | undefined;
  if (config.certificate !== undefined && certificateKind(config.certificate) === 'neural') {
    const n = readNeuralCertificateFile(config.certificate, system);
    certificate = { evaluate: (x) => n.barrier.forward(n.psi, x) };
    box = neuralBarrierTerms(system, 'simulate').domain;
  } else if (config.certificate !== undefined) certificate = readCertificateFile(config.certificate, system).certificate;
  const dir = prepareOutDir(config.out ?? defaultOutDir('simulate', system.name));
  const trajectories = closedLoop(system, policy, theta, config.trajectories, config.seed);
  const entering = trajectories.filter((t) => t.unsafeStep >= 0);
  const picture = await phasePicture({
    system,
    trajectories,
    certificate,
    ...(box ? { box } : {}),
    title: `${system.name} · simulation · seed ${config.seed}`,
    subtitle: [`${entering.length}/${trajectories.length} trajectories enter the unsafe set (nominal parameters, ${system.horizon} steps of ${system.dt})`],
  });
  const summary = {
    format: SIMULATION_FORMAT,
    version: SIMULATION_VERSION,
    system: system.name,
    policy: config.policy,
    seed: config.seed,
    trajectories: trajectories.length,
    enteringUnsafe: entering.length,
    unsafe: entering.map((t) => ({ x0: Array.from(t.x0), step: t.unsafeStep })),
    projection: picture.projection,
  };
  writeFileAtomic(join(dir, 'simulation.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(join(dir, 'phase.svg'), picture.svg);
  writeFileAtomic(join(dir, 'phase.png'), picture.png);
  io.log.child({ command: 'simulate', system: system.name }).info({ trajectories: trajectories.length, enteringUnsafe: entering.length }, 'simulation finished');
  io.stdout.write(`${system.name}: ${entering.length}/${trajectories.length} trajectories enter the unsafe set\nWrote ${dir}/{phase.png,phase.svg,simulation.json}\n`);
  if (io.json) io.stdout.write(JSON.stringify(summary) + '\n');
  return EXIT.ok;
}
