import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { projectedSgdLinsys } from './parts/projected-sgd-linsys';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link boRep}, with their defaults (the authors' data hyper-cleaning script unless said). */
export interface BoRepOptions {
  /** Minibatch size of every oracle. Default 64 (the public benchmark; the authors use 50 inner, 512 outer). */
  readonly batchSize?: number;
  /** Step of the lower-level SGD steps on z. Default 0.05 (`inner_update_lr`). */
  readonly innerStep?: number;
  /** ν, step of v. Default 0.01 (`nu`). */
  readonly linsysStep?: number;
  /** η, length of every outer step (normalized). Default 0.05 (`outer_update_lr`). */
  readonly outerStep?: number;
  /** β, momentum of the outer direction. Default 0.9 (`beta`). */
  readonly momentum?: number;
  /** I, outer steps between lower-level updates. Default 2 (`interval`). */
  readonly period?: number;
  /** N, SGD steps on z at each lower-level update. Default 10 (`y_warm_start`). */
  readonly periodSteps?: number;
  /**
   * Initialization refinement: extra SGD steps on z at x₀ before the first update (the paper's subroutine at x₀). Default
   * 0: as the authors' code, whose first periodic update (t = 0) is the only refinement.
   */
  readonly refineSteps?: number;
  /** r: v is projected onto the ball ‖v‖ ≤ r after each step. Default Infinity (none, as the authors' code). */
  readonly linsysRadius?: number;
}

const KEYS = ['batchSize', 'innerStep', 'linsysStep', 'outerStep', 'momentum', 'period', 'periodSteps', 'refineSteps', 'linsysRadius'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
  /** Lower-level updates done so far. */
  updates: number;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
  /** m, the momentum of the outer directions (starts at 0). */
  readonly m: Float64Array;
  momentumNorm: number;
}

/**
 * BO-REP, Bilevel Optimization with lower-level initialization REfinement and Periodic updates (Hao, Gong, Liu,
 * "Bilevel Optimization under Unbounded Smoothness: A New Algorithm and Convergence Analysis", ICLR 2024), for an
 * upper level whose smoothness grows with its gradient (RNNs, LSTMs). Step t (gauss-seidel: v and x read the new z):
 *   inner:   t = 0: R refinement SGD steps on z at x₀;  t mod I = 0: N SGD steps z ← z − ρ ∇_z g_B(z, x_t), fresh
 *            batches each;  otherwise z is kept (the periodic update)
 *   linsys:  v ← Π_r(v − ν (∇²_zz g_j(z, x) v + ∇_z f_i(z, x)))
 *   outer:   m ← β m + (1 − β)(∇²_xz g_j(z, x) v + ∇_x f_i(z, x)),   x ← x − η m/‖m‖   (kept when m = 0)
 * Every outer step has length η whatever the size of the gradient, which is what unbounded smoothness needs; it also
 * makes the trajectory of x invariant to a rescaling of F (v and m scale with it). The paper proves Õ(ε⁻⁴) oracle
 * calls (ε-stationarity, nonconvex upper level with (L₀, L₁)-smoothness, strongly convex lower level). Defaults
 * from the authors' code (MingruiLiu-ML-Lab/Bilevel-Optimization-under-Unbounded-Smoothness, data_cleaning/main.py):
 * steps 0.05 / 0.01 / 0.05, β = 0.9, I = 2, N = 10; the paper's epoch-SGD refinement and projection of v are options.
 * Diagnostics (inner) lowerUpdates; (outer) momentumNorm = ‖m‖.
 *
 * @example run(problem, boRep({ batchSize: 32, outerStep: 0.01, period: 4 }), { maxIter: 20_000 })
 */
export function boRep(options: BoRepOptions = {}): Solver {
  const fn = 'boRep';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.05);
  const nu = positiveNumber(fn, 'linsysStep', options.linsysStep ?? 0.01);
  const eta = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.05);
  const beta = nonNegativeNumber(fn, 'momentum', options.momentum ?? 0.9);
  if (beta >= 1) throw new RangeError(`${fn}: momentum must be in [0, 1), received ${beta}`);
  const period = positiveInteger(fn, 'period', options.period ?? 2);
  const N = positiveInteger(fn, 'periodSteps', options.periodSteps ?? 10);
  const refine = options.refineSteps ?? 0;
  if (!Number.isInteger(refine) || refine < 0) throw new RangeError(`${fn}: refineSteps must be an integer ≥ 0, received ${String(refine)}`);
  const radius = options.linsysRadius ?? Infinity;
  if (!(radius > 0)) throw new RangeError(`${fn}: linsysRadius must be > 0 (Infinity: no projection), received ${String(radius)}`);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'sgd', batchSize, step: { kind: 'other', rule: `${N} SGD steps of ${rho} every ${period} outer steps` } },
    init: (problem, rng) => ({ problem, sampler: new BlockSampler(problem.nInner, batchSize, rng.split()), g: new Float64Array(problem.dimZ), updates: 0 }),
    step(s, { z, x }, t, out) {
      out.set(z);
      if (t % period !== 0) return;
      const steps = t === 0 ? refine + N : N;
      for (let m = 0; m < steps; m++) {
        s.problem.innerGradZ(out, x, s.sampler.next().indices, s.g);
        for (let k = 0; k < out.length; k++) out[k] -= rho * s.g[k];
      }
      s.updates++;
    },
    diagnostics: (s) => ({ lowerUpdates: s.updates }),
  };

  const linsys = projectedSgdLinsys(batchSize, nu, radius);

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: { estimator: 'sgd-momentum', batchSize, step: { kind: 'other', rule: `normalized: length ${eta}` } },
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      cv: new Float64Array(problem.dimX),
      fx: new Float64Array(problem.dimX),
      m: new Float64Array(problem.dimX),
      momentumNorm: 0,
    }),
    step(s, { z, v, x }, _t, out) {
      s.problem.innerCross(z, x, v, s.innerSampler.next().indices, s.cv);
      s.problem.outerGradX(z, x, s.outerSampler.next().indices, s.fx);
      const m = s.m;
      let sq = 0;
      for (let k = 0; k < m.length; k++) {
        m[k] = beta * m[k] + (1 - beta) * (s.cv[k] + s.fx[k]);
        sq += m[k] * m[k];
      }
      const norm = Math.sqrt(sq);
      s.momentumNorm = norm;
      if (!(norm > 0)) {
        out.set(x);
        return;
      }
      for (let k = 0; k < out.length; k++) out[k] = x[k] - eta * (m[k] / norm);
    },
    diagnostics: (s) => ({ momentumNorm: s.momentumNorm }),
  };

  return {
    name: 'bo-rep',
    citation: 'Hao, Gong, Liu. Bilevel Optimization under Unbounded Smoothness: A New Algorithm and Convergence Analysis. ICLR 2024.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      batchSize,
      innerStep: rho,
      linsysStep: nu,
      outerStep: eta,
      momentum: beta,
      period,
      periodSteps: N,
      refineSteps: refine,
      linsysRadius: radius === Infinity ? 'none' : radius,
    },
  };
}
