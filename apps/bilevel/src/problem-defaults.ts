import { DATA_CLEANING_STEPS } from '@bilevel/problems';
import type { ProblemName } from './build-problem';

/** What `bilevel run` uses for a problem when the command line does not say. */
export interface ProblemDefaults {
  /** The solver, and its options when that solver is used (steps tuned for the problem). */
  readonly solver: string;
  readonly solverOptions: Readonly<Record<string, unknown>>;
  /** Minibatch size of every oracle. */
  readonly batch: number;
  readonly maxIter: number;
  readonly evalEvery: number;
  /**
   * Whether the run computes the reference minimum h* (full-batch L-BFGS on exact hypergradients) to report the
   * relative suboptimality. Off where one exact hypergradient is a full training run (data cleaning: 20,000 outer
   * weights) or h is non-convex with no meaningful global reference (imaging).
   */
  readonly reference: boolean;
  /**
   * Inner tolerance of the exact evaluations in the trace (default: the problem's own, ~1e-10). Imaging evaluates at
   * 1e-6 per image gradient norm: a deblurring solve at the starting θ takes 60,000 FISTA iterations at 1e-10, and
   * the PSNRs agree to < 1e-4 dB.
   */
  readonly evalTol?: number;
  /**
   * How the trace evaluates h: `exact` (inner solve to the tolerance, hypergradient: the suboptimality is exact) or
   * `iterate` (F(z_t, x_t) and the metrics at the solver's own z_t, no solve). Data cleaning uses `iterate`: one
   * exact solve at n = 20,000 takes 50–100 s, and the test error at z_t and at z*(x_t) agree to 1e-4 at the end of a
   * run (tools/bench/datacleaning.ts).
   */
  readonly evaluation: 'exact' | 'iterate';
}

/** Default number of outer iterations of `bilevel run` on the small problems (logreg-hpo, multiclass-hpo, quadratic). */
export const DEFAULT_MAX_ITER = 50_000;

const SMALL_HPO: ProblemDefaults = { solver: 'saba', solverOptions: {}, batch: 32, maxIter: DEFAULT_MAX_ITER, evalEvery: 500, reference: true, evaluation: 'exact' };

/**
 * The inexact stochastic method (isgd) with one lower-level problem per image, batch 6, Adam with α_k = α₀(k+1)^−0.3
 * (tools/bench/imaging.ts: reaches MAID's training PSNR with under half its computation).
 */
const IMAGING_TV = { lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.1, outerDecay: 0.3, shuffle: true } as const;
/** The Field of Experts by isgd: a constant Adam step 0.05 (the filters oscillate with the TV's 0.1). */
const IMAGING_FOE = { lowerLevel: 'per-sample', optimizer: 'adam', outerStep: 0.05, outerDecay: 0, shuffle: true } as const;

/** Per-problem defaults of `bilevel run`. */
export function problemDefaults(problem: ProblemName, regularizer: 'tv' | 'foe' = 'tv'): ProblemDefaults {
  switch (problem) {
    case 'logreg-hpo':
    case 'quadratic':
    case 'multiclass-hpo':
      return SMALL_HPO;
    case 'datacleaning':
      return {
        solver: 'saba',
        solverOptions: { innerStep: DATA_CLEANING_STEPS.innerStep, outerStep: DATA_CLEANING_STEPS.outerStep },
        batch: DATA_CLEANING_STEPS.batchSize,
        maxIter: 3_000,
        evalEvery: 500,
        reference: false,
        evaluation: 'iterate',
      };
    case 'deq':
      // DEQ training (deqTraining): Adam on minibatches of 64; the exact evaluation of h (every training sample's
      // equilibrium, the implicit gradient by GMRES) takes ~1 s on the bundled 900 images
      return { solver: 'deq', solverOptions: {}, batch: 64, maxIter: 300, evalEvery: 50, reference: false, evaluation: 'exact' };
    case 'denoise':
    case 'deblur':
      return {
        solver: 'isgd',
        solverOptions: regularizer === 'foe' ? IMAGING_FOE : IMAGING_TV,
        batch: 6,
        maxIter: regularizer === 'foe' ? 600 : 300,
        // deblurring is badly conditioned (ridge 1e-3): one exact evaluation (training solve + held-out solve to
        // 1e-8) takes 30–60 s against 0.08 s per isgd step, so it is evaluated at the start, middle and end only
        evalEvery: problem === 'deblur' ? 150 : 50,
        reference: false,
        evalTol: 1e-6,
        evaluation: 'exact',
      };
  }
}
