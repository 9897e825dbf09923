import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import type { Snapshot } from '@bilevel/streams';
import { run, runLoop } from '@bilevel/streams';
import type { BilevelProblem, QuadraticProblem } from '@bilevel/problems';
import { quadraticProblemArb } from './quadratic-problem-arb';
import type { GeneratedProblem, SolverFactory, SolverProperty } from './solver-property';
import { snapshotDifference } from './snapshot-difference';
import { knownKeys, positiveInteger } from './validate-options';

/** Options of {@link replaysFromSeed}, with their defaults. */
export interface ReplayOptions<P extends BilevelProblem = QuadraticProblem> {
  /**
   * The problems. Default `quadraticProblemArb({ nInner: { min: 8, max: 32 }, nOuter: { min: 8, max: 32 } })`: at least
   * two minibatches for a batch size ≤ 4, so that the seed matters.
   */
  readonly problems?: fc.Arbitrary<GeneratedProblem<P>>;
  /** Outer steps of each run. Default {@link REPLAY_ITERATIONS} = 40. */
  readonly maxIter?: number;
  /** Snapshot every this many steps. Default 1 (every iterate is compared). */
  readonly sampleEvery?: number;
  /** Whether a different seed must give a different trajectory. Default true (false for a deterministic solver). */
  readonly seedMatters?: boolean;
}

/** Default length of the replayed runs: long enough for several epochs of every sampler at the default sizes. */
export const REPLAY_ITERATIONS = 40;

/** The default problems of the replay property. */
export const REPLAY_PROBLEMS = { nInner: { min: 8, max: 32 }, nOuter: { min: 8, max: 32 } } as const;

async function collect(...args: Parameters<typeof run>): Promise<Snapshot[]> {
  return lastValueFrom(run(...args).pipe(toArray()));
}

/**
 * Reproducibility: a run is a pure function of (problem, solver, options, seed), with all randomness in the state the
 * streams own (house style: no hidden globals, no Math.random, no clock inside math).
 *
 * Guarantee checked, for every generated problem and seed s:
 * 1. two runs through the RxJS streams ({@link run}) with seed s emit the same snapshots to the bit
 *    ({@link snapshotDifference}: every entry of z, v, x with Object.is, iterations, ticks, oracle counts);
 * 2. the plain synchronous loop ({@link runLoop}) with seed s gives the same snapshots to the bit;
 * 3. a run with seed s + 1 differs from the run with seed s in some entry (unless `seedMatters` is false).
 * Each run gets a fresh solver from `solverFactory`, as a user would build it.
 *
 * @example await fc.assert(replaysFromSeed((p) => saba(safeSabaOptions(p))), { seed: 42, numRuns: 10 })
 */
export function replaysFromSeed<P extends BilevelProblem = QuadraticProblem>(solverFactory: SolverFactory<P>, options: ReplayOptions<P> = {}): SolverProperty<GeneratedProblem<P>> {
  const fn = 'replaysFromSeed';
  knownKeys(fn, options, ['problems', 'maxIter', 'sampleEvery', 'seedMatters']);
  const maxIter = positiveInteger(fn, 'maxIter', options.maxIter ?? REPLAY_ITERATIONS);
  const sampleEvery = positiveInteger(fn, 'sampleEvery', options.sampleEvery ?? 1);
  const seedMatters = options.seedMatters ?? true;
  if (typeof seedMatters !== 'boolean') throw new RangeError(`${fn}: seedMatters must be a boolean, received ${String(seedMatters)}`);
  const problems = options.problems ?? (quadraticProblemArb(REPLAY_PROBLEMS) as unknown as fc.Arbitrary<GeneratedProblem<P>>);
  return fc.asyncProperty(problems, fc.integer({ min: 0, max: 0x7ffffffe }), async ({ problem }, seed) => {
    const opts = { seed, maxIter, sampleEvery };
    const first = await collect(problem, solverFactory(problem), opts);
    const second = await collect(problem, solverFactory(problem), opts);
    const loop: Snapshot[] = [];
    runLoop(problem, solverFactory(problem), opts, (s) => loop.push(s));
    const name = solverFactory(problem).name;
    const compare = (what: string, other: Snapshot[]) => {
      if (other.length !== first.length) throw new Error(`${fn}: solver "${name}": ${what} emitted ${other.length} snapshots, the first run ${first.length} (seed ${seed})`);
      for (let i = 0; i < first.length; i++) {
        const d = snapshotDifference(first[i], other[i]);
        if (d !== undefined) throw new Error(`${fn}: solver "${name}": ${what} differs from the first run with the same seed ${seed} at snapshot ${i}: ${d}`);
      }
    };
    compare('a second run through the streams', second);
    compare('the plain loop (runLoop)', loop);
    if (seedMatters) {
      const other = await collect(problem, solverFactory(problem), { ...opts, seed: seed + 1 });
      if (other.every((s, i) => i < first.length && snapshotDifference(first[i], s) === undefined)) {
        throw new Error(`${fn}: solver "${name}": seeds ${seed} and ${seed + 1} gave the same trajectory to the bit`);
      }
    }
  });
}
