import fc from 'fast-check';
import type { BilevelProblem, QuadraticProblem } from '@bilevel/problems';
import { quadraticProblemArb } from './quadratic-problem-arb';
import type { GeneratedProblem, SolverFactory, SolverProperty } from './solver-property';
import { farStart } from './far-start';
import { measureRunningMean, RUNNING_MEAN_DOUBLINGS, RUNNING_MEAN_FIRST_CHECKPOINT } from './measure-running-mean';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link runningMeanDecreases}, with their defaults. */
export interface RunningMeanOptions<P extends BilevelProblem = QuadraticProblem> {
  /** The problems. Default `quadraticProblemArb()`. They need a closed-form `solution()` (the start is drawn around x*). */
  readonly problems?: fc.Arbitrary<GeneratedProblem<P>>;
  /** T₀, the first checkpoint. Default 50. */
  readonly firstCheckpoint?: number;
  /** K ≥ 1, the number of doublings: checkpoints T₀·2^k, k = 0..K. Default 6 (3200 steps). */
  readonly doublings?: number;
  /** τ: M(T_{k+1}) ≤ (1 + τ)·M(T_k) is required. Default {@link RUNNING_MEAN_INCREASE_TOLERANCE} = 0.05. */
  readonly increaseTolerance?: number;
  /** F: M(T_K) ≤ M(T₀)/F is required (F < 2^K). Default {@link RUNNING_MEAN_MIN_DECREASE} = 1.5. */
  readonly minDecrease?: number;
  /** G: the run starts at x₀ on a random ray from x* with ‖∇h(x₀)‖ = G ({@link farStart}). Default {@link RUNNING_MEAN_START_GRADIENT} = 10. */
  readonly startGradientNorm?: number;
}

/**
 * τ. Calibrated (`scripts/calibrate-soba.ts`: SOBA with {@link safeSobaOptions} through the streams, T₀ = 50, K = 6,
 * start at ‖∇h(x₀)‖ = 10): the largest M(T_{k+1})/M(T_k) measured was 0.912 over 1000 default problems
 * (median 0.57, p90 0.70), 0.87 over 300 with batch 1 or 16. The running mean of a decreasing sequence never
 * increases; τ only absorbs the noise of the stochastic steps. Calibrated for the default family (κ ≤ 10): with
 * maxKappa = 100, 4 of 200 problems (κ ≥ 38) fail with the safe SOBA steps (see {@link safeSobaOptions}).
 */
export const RUNNING_MEAN_INCREASE_TOLERANCE = 0.05;

/**
 * F. By construction M(T_K) ≥ M(T₀)·T₀/T_K = M(T₀)/2^K (the first T₀ terms stay in the sum), so F < 2^K = 64.
 * Measured M(T_K)/M(T₀): median 0.022, p90 0.057, max 0.378 over 1000 default problems; max 0.27 and 0.24 with
 * batch 1 and 16. The slowest problems are those where γ₀·μ_h is small: x is still far from x* after T_K steps
 * (γ_t = γ₀(t+1)^−3/5 moves x by only Σγ_t ≈ γ₀·T^{2/5}/0.4 in T steps). F = 1.5 leaves a factor 1.76 on the worst
 * default problem; it still fails a solver that stalls (ratio ≈ 1) or diverges.
 */
export const RUNNING_MEAN_MIN_DECREASE = 1.5;

/**
 * G. Starting far from x* makes the initial gap dominate the gradient noise of SOBA (its floor was up to ~0.2 in
 * ‖∇h‖² on the default family) and the warm-up of v (v₀ = 0 leaves the implicit term out of the first outer steps).
 * Measured largest M(T_{k+1})/M(T_k) for correct SOBA: from x₀ = 0 (‖∇h(0)‖ is of the order of the per-sample
 * noise) up to 12 over 300 problems; over 1000: G = 3: 1.34, G = 5: 1.04, G = 10 and G = 100: 0.912. But a larger G
 * also hides bugs whose effect does not grow with the distance: SOBA with the HVP dropped from its linear system
 * failed on 33/60 problems at G = 3, 12/60 at G = 10, 1/60 at G = 100 (a flipped HVP: 56/60 at every G).
 * G = 10 is the smallest start with the full margin.
 */
export const RUNNING_MEAN_START_GRADIENT = 10;

/**
 * Sublinear convergence of a solver with decreasing steps (SOBA: Dagréou, Ablin, Vaiter, Moreau, NeurIPS 2022,
 * (1/T) Σ_{t<T} E‖∇h(x_t)‖² = O(T^−2/5) with ρ_t ∝ t^−2/5, γ_t ∝ t^−3/5).
 *
 * Guarantee checked: on every generated problem and run seed, the run through the RxJS streams from x₀ with
 * ‖∇h(x₀)‖ = G on a random ray from x* (z₀ = v₀ = 0) has running means M(T) = (1/T) Σ_{t<T} ‖∇h(x_t)‖² (exact hypergradient) at the
 * checkpoints T_k = T₀·2^k that are non-increasing up to τ, M(T_{k+1}) ≤ (1 + τ)·M(T_k), and whose last is at least
 * F times smaller than the first, M(T_K) ≤ M(T₀)/F. Constants: {@link RUNNING_MEAN_INCREASE_TOLERANCE},
 * {@link RUNNING_MEAN_MIN_DECREASE}, {@link RUNNING_MEAN_START_GRADIENT}, calibrated by measurement. This property
 * does not see a *biased* fixed point (e.g. an HVP off by 10%: the mean still falls to the bias floor, far below
 * its start); {@link linearConvergence} does, for solvers that claim a linear rate.
 *
 * @example await fc.assert(runningMeanDecreases((p) => soba(safeSobaOptions(p))), { seed: 42, numRuns: 10 })
 */
export function runningMeanDecreases<P extends BilevelProblem = QuadraticProblem>(
  solverFactory: SolverFactory<P>,
  options: RunningMeanOptions<P> = {},
): SolverProperty<GeneratedProblem<P>> {
  const fn = 'runningMeanDecreases';
  knownKeys(fn, options, ['problems', 'firstCheckpoint', 'doublings', 'increaseTolerance', 'minDecrease', 'startGradientNorm']);
  const firstCheckpoint = positiveInteger(fn, 'firstCheckpoint', options.firstCheckpoint ?? RUNNING_MEAN_FIRST_CHECKPOINT);
  const doublings = positiveInteger(fn, 'doublings', options.doublings ?? RUNNING_MEAN_DOUBLINGS);
  const tau = options.increaseTolerance ?? RUNNING_MEAN_INCREASE_TOLERANCE;
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new RangeError(`${fn}: increaseTolerance must be a finite number ≥ 0, received ${tau}`);
  const minDecrease = positiveNumber(fn, 'minDecrease', options.minDecrease ?? RUNNING_MEAN_MIN_DECREASE);
  if (minDecrease >= 2 ** doublings) {
    throw new RangeError(`${fn}: minDecrease must be < 2^doublings = ${2 ** doublings} (the first T₀ terms stay in the mean), received ${minDecrease}`);
  }
  const startGradient = positiveNumber(fn, 'startGradientNorm', options.startGradientNorm ?? RUNNING_MEAN_START_GRADIENT);
  const problems = options.problems ?? (quadraticProblemArb() as unknown as fc.Arbitrary<GeneratedProblem<P>>);
  return fc.asyncProperty(problems, fc.integer({ min: 0, max: 0x7fffffff }), async ({ problem }, seed) => {
    const solver = solverFactory(problem);
    const x0 = farStart(problem, seed, startGradient);
    const { checkpoints, means } = await measureRunningMean(problem, solver, { firstCheckpoint, doublings, seed, x0 });
    const table = () => checkpoints.map((t, k) => `M(${t}) = ${means[k].toExponential(3)}`).join(', ');
    for (let k = 0; k + 1 < means.length; k++) {
      if (!(means[k + 1] <= (1 + tau) * means[k])) {
        throw new Error(`${fn}: solver "${solver.name}": the running mean increased by more than τ = ${tau} from T = ${checkpoints[k]} to ${checkpoints[k + 1]} (run seed ${seed}): ${table()}`);
      }
    }
    if (!(means[means.length - 1] <= means[0] / minDecrease)) {
      throw new Error(`${fn}: solver "${solver.name}": the running mean decreased by less than F = ${minDecrease} from T = ${checkpoints[0]} to ${checkpoints[checkpoints.length - 1]} (run seed ${seed}): ${table()}`);
    }
  });
}
