import { lastValueFrom, reduce } from 'rxjs';
import { nrm2 } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { knownKeys, nonNegativeInteger, positiveInteger } from './validate-options';

/** Options of {@link measureRunningMean}, with their defaults. */
export interface MeasureRunningMeanOptions {
  /** T₀, the first checkpoint. Default {@link RUNNING_MEAN_FIRST_CHECKPOINT} = 50. */
  readonly firstCheckpoint?: number;
  /** K: checkpoints T_k = T₀·2^k for k = 0..K. Default {@link RUNNING_MEAN_DOUBLINGS} = 6 (T_K = 3200). */
  readonly doublings?: number;
  /** Seed of the run. Default 0. */
  readonly seed?: number;
  /** Starting point x₀. Default zeros. */
  readonly x0?: Float64Array;
}

/** Default T₀ of {@link measureRunningMean}: the first checkpoint. */
export const RUNNING_MEAN_FIRST_CHECKPOINT = 50;
/** Default K of {@link measureRunningMean}: checkpoints T₀·2^k for k = 0..K. */
export const RUNNING_MEAN_DOUBLINGS = 6;

/** The running means at the checkpoints. */
export interface RunningMeanMeasurement {
  /** T_k = T₀·2^k. */
  readonly checkpoints: readonly number[];
  /** M(T_k) = (1/T_k) Σ_{t<T_k} ‖∇h(x_t)‖². */
  readonly means: readonly number[];
}

/**
 * Runs `solver` through the RxJS streams ({@link run}) for T_K = T₀·2^K outer steps with a snapshot at every step and
 * returns the running means M(T_k) = (1/T_k) Σ_{t<T_k} ‖∇h(x_t)‖² of the exact squared hypergradient norm
 * (`problem.hypergradient`) at the geometric checkpoints T_k = T₀·2^k. Rejects with the run's error.
 *
 * @example await measureRunningMean(problem, soba(safeSobaOptions(problem)), { seed: 1 })
 */
export async function measureRunningMean(problem: BilevelProblem, solver: Solver, options: MeasureRunningMeanOptions = {}): Promise<RunningMeanMeasurement> {
  const fn = 'measureRunningMean';
  knownKeys(fn, options, ['firstCheckpoint', 'doublings', 'seed', 'x0']);
  const t0 = positiveInteger(fn, 'firstCheckpoint', options.firstCheckpoint ?? RUNNING_MEAN_FIRST_CHECKPOINT);
  const K = nonNegativeInteger(fn, 'doublings', options.doublings ?? RUNNING_MEAN_DOUBLINGS);
  const checkpoints = Array.from({ length: K + 1 }, (_, k) => t0 * 2 ** k);
  const horizon = checkpoints[K];
  const opts = { seed: options.seed ?? 0, maxIter: horizon, sampleEvery: 1, ...(options.x0 ? { x0: options.x0 } : {}) };
  const acc = await lastValueFrom(
    run(problem, solver, opts).pipe(
      reduce(
        (a, s) => {
          if (s.iteration >= horizon) return a; // the final snapshot x_T is not in the mean over t < T
          if (s.iteration !== a.next) throw new Error(`${fn}: expected a snapshot of iterate ${a.next}, received ${s.iteration}`);
          a.next++;
          a.sum += nrm2(problem.hypergradient(s.x).grad) ** 2;
          if (s.iteration + 1 === checkpoints[a.means.length]) a.means.push(a.sum / (s.iteration + 1));
          return a;
        },
        { next: 0, sum: 0, means: [] as number[] },
      ),
    ),
  );
  return { checkpoints, means: acc.means };
}
