import { join } from 'node:path';
import type { ControlSystem, Policy } from '@bilevel/control';
import { writeFileAtomic } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import type { CommandIo } from './command-io';
import { readNeuralCertificateFile } from './neural-certificate-file';
import { prepareOutDir } from '@bilevel/io';
import { barrierVerdictSummary, checkNeuralCertificate, sampledSummary } from './neural-check';
import { VERDICT_FORMAT, VERDICT_VERSION } from './verdict-format';
import { certifiedProperty, neuralBarrierTerms } from '@bilevel/control';

/** What `verify` passes on for a certificate of kind 'neural'. */
export interface VerifyNeuralInput {
  readonly system: ControlSystem;
  readonly policy: Policy;
  readonly theta: Float64Array;
  /** Paths, as given. */
  readonly policyPath: string;
  readonly certificatePath: string;
  readonly samples: number;
  readonly seed: number;
  readonly out?: string;
}

/**
 * `safe-control verify` of a neural certificate: reads certificate.json (kind 'neural'), runs the sampled check of
 * the four barrier conditions (`samples` states per condition) and, when no sample violates, re-proves them with
 * verifyBarrier (branch and bound with outward rounding on policy → dynamics → barrier, with the system's terms
 * (terms.neural: the box D, the decay, the unsafe margin) and the verifier's own budget; a file stating others is
 * refused). Certified only when every condition is `verified`; the property is printed in words. Exit 0 certified,
 * 3 not.
 */
export async function verifyNeural(input: VerifyNeuralInput, io: CommandIo): Promise<number> {
  const { system } = input;
  const cert = readNeuralCertificateFile(input.certificatePath, system);
  const property = certifiedProperty(system, 'neural');
  const terms = neuralBarrierTerms(system, 'verify');
  const dir = input.out !== undefined ? prepareOutDir(input.out) : null;
  const log = io.log.child({ command: 'verify', system: system.name, kind: 'neural' });
  const t0 = performance.now();
  const check = checkNeuralCertificate(system, input.policy, input.theta, cert, input.samples, input.seed);
  const seconds = (performance.now() - t0) / 1000;
  const certified = check.status === 'verified';
  const verdict = {
    format: VERDICT_FORMAT,
    version: VERDICT_VERSION,
    system: system.name,
    policy: input.policyPath,
    certificate: input.certificatePath,
    kind: 'neural',
    certified,
    property,
    terms: { domain: terms.domain, decay: terms.decay, unsafeMargin: terms.unsafeMargin },
    method: check.method,
    status: check.status,
    violated: check.violated,
    counterexample: check.counterexample ? Array.from(check.counterexample) : null,
    samplesPerCondition: input.samples,
    boxes: check.sound?.boxes ?? null,
    conditions: sampledSummary(check.sampled),
    sound: check.sound ? barrierVerdictSummary(check.sound) : null,
    seed: input.seed,
    cStar: null,
    seconds,
  };
  log.info({ status: check.status, boxes: verdict.boxes, seconds }, 'verification finished');
  const cex = check.counterexample ? `[${Array.from(check.counterexample, (v) => v.toPrecision(6)).join(', ')}]` : 'no state recorded';
  io.stdout.write(
    check.sampled.map((r) => `  ${r.name.padEnd(10)} ${r.samples} samples, ${r.violations} violations, worst margin ${r.worstMargin.toPrecision(4)}\n`).join('') +
      (check.sound ? check.sound.conditions.map((c) => `  ${c.name.padEnd(10)} branch and bound: ${c.result.status}, ${c.result.stats.boxesProcessed} boxes\n`).join('') : '') +
      `${system.name}: ${
        certified
          ? `CERTIFIED (${check.method}: verified)`
          : check.status === 'unknown'
            ? `NOT CERTIFIED (${check.method}: unknown, the verifier's budget ran out on the ${check.violated} condition)`
            : `NOT CERTIFIED (${check.method}: falsified): ${check.violated} condition violated at ${cex}`
      }\n`,
  );
  io.stdout.write(`  ${certified ? 'proved' : 'not proved'}: ${property}\n`);
  if (dir) {
    writeFileAtomic(join(dir, 'verdict.json'), JSON.stringify(verdict, null, 2) + '\n');
    io.stdout.write(`Wrote ${dir}/verdict.json\n`);
  }
  if (io.json) io.stdout.write(JSON.stringify(verdict) + '\n');
  return certified ? EXIT.ok : EXIT.notCertified;
}
