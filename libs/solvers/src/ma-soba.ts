import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { projectedSgdLinsys } from './parts/projected-sgd-linsys';
import type { PartDescription } from './part-description';
import { knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link maSoba}, with their defaults. */
export interface MaSobaOptions {
  /** Minibatch size of every oracle. Default 64 (the public benchmark). */
  readonly batchSize?: number;
  /** β, constant step of z. Default 0.1. */
  readonly innerStep?: number;
  /** γ_v, constant step of v. Default: innerStep. */
  readonly linsysStep?: number;
  /** α, constant step of x. Default 0.1. */
  readonly outerStep?: number;
  /** θ ∈ (0, 1], weight of the fresh direction in the moving average. Default 0.1; θ = 1 is SOBA with constant steps. */
  readonly averaging?: number;
  /** r: v is projected onto the ball ‖v‖ ≤ r after each step (the analysis keeps v bounded). Default Infinity: none. */
  readonly linsysRadius?: number;
}

const KEYS = ['batchSize', 'innerStep', 'linsysStep', 'outerStep', 'averaging', 'linsysRadius'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
  /** w, the moving average of the outer directions (starts at 0). */
  readonly w: Float64Array;
}

/**
 * MA-SOBA, SOBA with a moving average on the outer direction (Chen, Xiao, Balasubramanian, "Optimal Algorithms for
 * Stochastic Bilevel Optimization under Relaxed Smoothness Conditions", arXiv 2306.12067, 2023; JMLR 2024). Each
 * stream draws its own minibatches (j inner, i outer samples); all three read iterate t (`jacobi`):
 *   z ← z − β ∇_z g_j(z, x)
 *   v ← Π_r(v − γ_v (∇²_zz g_j(z, x) v + ∇_z f_i(z, x)))
 *   w ← (1 − θ) w + θ (∇²_xz g_j(z, x) v + ∇_x f_i(z, x)),   x ← x − α w
 * The average w is a low-variance, slowly moving estimate of ∇h; with constant steps of order 1/√T the paper proves
 * the optimal O(ε⁻²) samples for E‖∇h‖² ≤ ε without the mean-squared smoothness or third-order smoothness of the
 * lower level that variance-reduced methods need. At a fixed point its noise variance is θ/(2 − θ) times that of one
 * SOBA direction. Π_r projects onto ‖v‖ ≤ r (off by default).
 * Defaults: steps 0.1, θ = 0.1, batch 64, x moved by the new average, as in the benchmark port of MA-SOBA in the SPABA
 * authors' repository (SUSTech-Optimization/SPABA, solvers/masoba.py; the paper's step sizes are constants times
 * 1/√T). Diagnostics (outer): averageNorm = ‖w‖.
 *
 * @example run(problem, maSoba({ batchSize: 32, outerStep: 0.05, averaging: 0.2 }), { maxIter: 20_000 })
 */
export function maSoba(options: MaSobaOptions = {}): Solver {
  const fn = 'maSoba';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const beta = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gammaV = positiveNumber(fn, 'linsysStep', options.linsysStep ?? beta);
  const alpha = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const theta = options.averaging ?? 0.1;
  if (typeof theta !== 'number' || !(theta > 0 && theta <= 1)) throw new RangeError(`${fn}: averaging must be in (0, 1], received ${String(theta)}`);
  const radius = options.linsysRadius ?? Infinity;
  if (!(radius > 0)) throw new RangeError(`${fn}: linsysRadius must be > 0 (Infinity: no projection), received ${String(radius)}`);

  const sgd = (value: number): PartDescription => ({ estimator: 'sgd', batchSize, step: { kind: 'constant', value } });
  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: sgd(beta),
    init: (problem, rng) => ({ problem, sampler: new BlockSampler(problem.nInner, batchSize, rng.split()), g: new Float64Array(problem.dimZ) }),
    step(s, { z, x }, _t, out) {
      s.problem.innerGradZ(z, x, s.sampler.next().indices, s.g);
      for (let k = 0; k < out.length; k++) out[k] = z[k] - beta * s.g[k];
    },
  };

  const linsys = projectedSgdLinsys(batchSize, gammaV, radius);

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { estimator: 'sgd-moving-average', batchSize, step: { kind: 'constant', value: alpha } },
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      cv: new Float64Array(problem.dimX),
      fx: new Float64Array(problem.dimX),
      w: new Float64Array(problem.dimX),
    }),
    step(s, { z, v, x }, _t, out) {
      s.problem.innerCross(z, x, v, s.innerSampler.next().indices, s.cv);
      s.problem.outerGradX(z, x, s.outerSampler.next().indices, s.fx);
      const w = s.w;
      for (let k = 0; k < out.length; k++) {
        w[k] = (1 - theta) * w[k] + theta * (s.cv[k] + s.fx[k]);
        out[k] = x[k] - alpha * w[k];
      }
    },
    diagnostics: (s) => {
      let sq = 0;
      for (const e of s.w) sq += e * e;
      return { averageNorm: Math.sqrt(sq) };
    },
  };

  return {
    name: 'ma-soba',
    citation: 'Chen, Xiao, Balasubramanian. Optimal Algorithms for Stochastic Bilevel Optimization under Relaxed Smoothness Conditions. arXiv 2306.12067, 2023 (JMLR 2024).',
    schedule: 'jacobi',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: beta, linsysStep: gammaV, outerStep: alpha, averaging: theta, linsysRadius: radius === Infinity ? 'none' : radius },
  };
}
