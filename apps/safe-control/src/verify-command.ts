import { join } from 'node:path';
import { writeFileAtomic } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import { lookupSystem } from './lookup-system';
import { readPolicyFile } from './policy-file';
import { readCertificateFile } from './certificate-file';
import { prepareOutDir } from '@bilevel/io';
import { appVerifier } from './app-verifier';
import { verdictSummary } from './verdict-summary';
import { VERDICT_FORMAT, VERDICT_VERSION } from './verdict-format';
import { certificateKind } from './neural-certificate-file';
import { verifyNeural } from './verify-neural';
import { certifiedProperty } from '@bilevel/control';

/** Everything `safe-control verify` needs, after parsing. */
export interface VerifyConfig {
  readonly system: string;
  readonly policy: string;
  readonly certificate: string;
  readonly seed: number;
  /** Samples per condition. */
  readonly samples: number;
  /** Optional folder for verdict.json. */
  readonly out?: string;
}

export { VERDICT_FORMAT, VERDICT_VERSION } from './verdict-format';

/**
 * `safe-control verify`: re-checks a written policy and certificate independently of the LP that produced them
 * (a certificate of kind 'neural' goes to {@link verifyNeural}) with the app's verifier ({@link appVerifier}:
 * `samples` sampled states per condition, then the sound branch and bound). The conditions are the system's (its
 * terms λ_B, ε, r₀): a certificate file that states other terms is refused (exit 2). Prints the verdict and the
 * property in words (and writes verdict.json to --out); exit 0 when every condition is proved, 3 otherwise (with the
 * counterexample when there is one).
 */
export async function verifyCommand(config: VerifyConfig, io: CommandIo): Promise<number> {
  const system = lookupSystem(config.system);
  const { policy, theta } = readPolicyFile(config.policy, system);
  if (certificateKind(config.certificate) === 'neural') {
    return verifyNeural({ system, policy, theta, policyPath: config.policy, certificatePath: config.certificate, samples: config.samples, seed: config.seed, ...(config.out !== undefined ? { out: config.out } : {}) }, io);
  }
  const { certificate, cStar } = readCertificateFile(config.certificate, system);
  const property = certifiedProperty(system, 'polynomial');
  const dir = config.out !== undefined ? prepareOutDir(config.out) : null;
  const log = io.log.child({ command: 'verify', system: system.name });
  const t0 = performance.now();
  // HiGHS (WebAssembly) only for the systems whose sound verifier solves an LP (a Lyapunov decrease stated on a ball)
  const lp = system.stateSpace === 'ball' ? await (await import('highs')).default() : undefined;
  const result = appVerifier(system, policy, config.samples, config.seed, lp ? { lp } : {})(theta, { cStar, found: true, certificate, dcdtheta: null, status: 'from file' });
  const seconds = (performance.now() - t0) / 1000;
  // certified means proved: a sampled pass alone (systems the sound verifier cannot express) is evidence, not a proof
  const passed = result.status === 'verified';
  const reports = result.conditions ?? [];
  const verdict = {
    format: VERDICT_FORMAT,
    version: VERDICT_VERSION,
    system: system.name,
    policy: config.policy,
    certificate: config.certificate,
    certified: passed,
    property,
    terms: { lambdaB: system.terms.lambdaB, epsilon: system.terms.epsilon, innerRadius: system.terms.innerRadius },
    ...verdictSummary(result),
    seed: config.seed,
    cStar,
    seconds,
  };
  log.info({ status: verdict.status, seconds }, 'verification finished');
  const cex = result.counterexample ? `[${Array.from(result.counterexample, (v) => v.toPrecision(6)).join(', ')}]` : 'no state recorded';
  io.stdout.write(
    reports.map((r) => `  ${r.name.padEnd(10)} ${r.samples} samples, ${r.violations} violations, worst margin ${r.worstMargin.toPrecision(4)}\n`).join('') +
      `${system.name}: ${passed ? `CERTIFIED (${result.method}: ${result.status}${result.method === 'sampled' ? ', a test, not a proof' : ''})` : result.status === 'passed' ? `NOT CERTIFIED (${result.method}: no violation among the samples, but no proof)` : result.status === 'unknown' ? `NOT CERTIFIED (${result.method}: unknown, the verifier's budget ran out on ${result.violated ?? 'a'} condition)` : `NOT CERTIFIED (${result.method}: ${result.status}): ${result.violated ?? 'a'} condition violated at ${cex}`}\n`,
  );
  io.stdout.write(`  ${passed ? 'proved' : 'not proved'}: ${property}\n`);
  if (dir) {
    writeFileAtomic(join(dir, 'verdict.json'), JSON.stringify(verdict, null, 2) + '\n');
    io.stdout.write(`Wrote ${dir}/verdict.json\n`);
  }
  if (io.json) io.stdout.write(JSON.stringify(verdict) + '\n');
  return passed ? EXIT.ok : EXIT.notCertified;
}
