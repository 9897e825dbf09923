import { join } from 'node:path';
import fc from 'fast-check';
import type { CaseKind, FuzzCase } from './argv-arbitraries';
import type { CliUnderTest } from './cli-under-test';
import { runCase } from './run-case';
import type { KnownIssue, Tally } from './tally';
import { emptyTally, record } from './tally';
import { withUncaughtTrap } from './uncaught-trap';

/** Options of {@link fuzzCli}. */
export interface FuzzCliOptions {
  /** The generator of each kind's cases (an app's cases over its vocabulary). */
  readonly cases: (kind: CaseKind) => fc.Arbitrary<FuzzCase>;
  /**
   * The command line run for a case, given a fresh `--out` folder: the case's argv with the options that keep it
   * cheap and inside the temporary folder put after the command word (they come first: a later repetition wins in
   * commander, and a trailing option expecting a value would swallow anything appended).
   */
  readonly prepare: (argv: readonly string[], out: string) => string[];
  /** The working directory meanwhile (a temporary folder: a relative `--out` or default run folder lands there). */
  readonly cwd: string;
  /** Where each case's `--out` folder goes (`case-N`, one fresh name per case). */
  readonly outRoot: string;
  /** Cases per kind, run in this object's key order. */
  readonly runsPerKind: Readonly<Partial<Record<CaseKind, number>>>;
  /** fast-check seed (fixed: the same cases every time). */
  readonly seed: number;
  /** CPU-time bound of one case, ms. */
  readonly maxCpuMs: number;
  /** Known defects of the program: a case they explain is counted, not failed. */
  readonly known: readonly KnownIssue[];
}

/**
 * Runs the generated cases of every kind against `cli` in process, each checked by {@link runCase}, and tallies
 * them. The working directory is `options.cwd` meanwhile, and the uncaught errors are trapped (each one a problem
 * of the case it followed).
 *
 * @example const tally = await fuzzCli(bilevel, { cases, prepare, cwd: root, outRoot, runsPerKind: { 'random-tokens': 25 }, seed: 8, maxCpuMs: 15_000, known: [] });
 */
export async function fuzzCli(cli: CliUnderTest, options: FuzzCliOptions): Promise<Tally> {
  const tally = emptyTally();
  const cwd = process.cwd();
  process.chdir(options.cwd);
  let n = 0;
  try {
    await withUncaughtTrap(async (uncaught) => {
      for (const [kind, numRuns] of Object.entries(options.runsPerKind) as [CaseKind, number][]) {
        await fc.assert(
          fc.asyncProperty(options.cases(kind), async (c) => {
            const out = join(options.outRoot, `case-${n++}`);
            record(tally, kind, await runCase(cli, options.prepare(c.argv, out), out, options.maxCpuMs, uncaught), options.known);
          }),
          { numRuns, seed: options.seed, endOnFailure: true },
        );
      }
    });
  } finally {
    process.chdir(cwd);
  }
  return tally;
}
