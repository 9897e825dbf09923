import { BlockSampler } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import type { PartDescription } from './part-description';
import { powerDecay } from './power-decay';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link soba}, with their defaults. */
export interface SobaOptions {
  /** Minibatch size of every oracle. Default 64 (the public benchmark). */
  readonly batchSize?: number;
  /** ρ₀, step of z and v. Default 0.1. */
  readonly innerStep?: number;
  /** γ₀, step of x. Default 0.1. */
  readonly outerStep?: number;
  /** a in ρ_t = ρ₀ (t+1)^−a. Default 0.4 (2/5, the paper's theory; the benchmark uses 0.5). */
  readonly innerDecay?: number;
  /** b in γ_t = γ₀ (t+1)^−b. Default 0.6 (3/5, the paper's theory; the benchmark uses 0.5). */
  readonly outerDecay?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'innerDecay', 'outerDecay'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly sampler: BlockSampler;
  readonly g: Float64Array;
  readonly rho: (t: number) => number;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly hv: Float64Array;
  readonly fz: Float64Array;
  readonly rho: (t: number) => number;
}
interface OuterState {
  readonly problem: BilevelProblem;
  readonly innerSampler: BlockSampler;
  readonly outerSampler: BlockSampler;
  readonly cv: Float64Array;
  readonly fx: Float64Array;
  readonly gamma: (t: number) => number;
}

/**
 * SOBA, the StOchastic Bilevel Algorithm (Dagréou, Ablin, Vaiter, Moreau, "A framework for bilevel optimization
 * that enables stochastic and global variance reduction algorithms", NeurIPS 2022).
 *
 * Three coupled updates with plain stochastic directions and decreasing steps, each stream drawing its own
 * minibatches (j from the inner samples, i from the outer samples):
 *   z ← z − ρ_t ∇_z g_j(z, x)
 *   v ← v − ρ_t (∇²_zz g_j(z, x) v + ∇_z f_i(z, x))
 *   x ← x − γ_t (∇²_xz g_j(z, x) v + ∇_x f_i(z, x))
 * with ρ_t = ρ₀ (t+1)^−a, γ_t = γ₀ (t+1)^−b; under the `jacobi` schedule all three read iterate t.
 *
 * @example run(problem, soba({ batchSize: 32, innerStep: 0.1, outerStep: 0.05 }), { maxIter: 10_000 })
 */
export function soba(options: SobaOptions = {}): Solver {
  const fn = 'soba';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const a = nonNegativeNumber(fn, 'innerDecay', options.innerDecay ?? 0.4);
  const b = nonNegativeNumber(fn, 'outerDecay', options.outerDecay ?? 0.6);

  const described = (base: number, exponent: number): PartDescription => ({ estimator: 'sgd', batchSize, step: { kind: 'power', base, exponent } });
  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: described(rho0, a),
    init: (problem, rng) => ({
      problem,
      sampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      g: new Float64Array(problem.dimZ),
      rho: powerDecay(rho0, a),
    }),
    step(s, { z, x }, t, out) {
      s.problem.innerGradZ(z, x, s.sampler.next().indices, s.g);
      const r = s.rho(t);
      for (let k = 0; k < out.length; k++) out[k] = z[k] - r * s.g[k];
    },
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: described(rho0, a),
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      hv: new Float64Array(problem.dimZ),
      fz: new Float64Array(problem.dimZ),
      rho: powerDecay(rho0, a),
    }),
    step(s, { z, v, x }, t, out) {
      s.problem.innerHvp(z, x, v, s.innerSampler.next().indices, s.hv);
      s.problem.outerGradZ(z, x, s.outerSampler.next().indices, s.fz);
      const r = s.rho(t);
      for (let k = 0; k < out.length; k++) out[k] = v[k] - r * (s.hv[k] + s.fz[k]);
    },
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    description: described(gamma0, b),
    init: (problem, rng) => ({
      problem,
      innerSampler: new BlockSampler(problem.nInner, batchSize, rng.split()),
      outerSampler: new BlockSampler(problem.nOuter, batchSize, rng.split()),
      cv: new Float64Array(problem.dimX),
      fx: new Float64Array(problem.dimX),
      gamma: powerDecay(gamma0, b),
    }),
    step(s, { z, v, x }, t, out) {
      s.problem.innerCross(z, x, v, s.innerSampler.next().indices, s.cv);
      s.problem.outerGradX(z, x, s.outerSampler.next().indices, s.fx);
      const g = s.gamma(t);
      for (let k = 0; k < out.length; k++) out[k] = x[k] - g * (s.cv[k] + s.fx[k]);
    },
  };

  return {
    name: 'soba',
    citation: 'Dagréou, Ablin, Vaiter, Moreau. A framework for bilevel optimization that enables stochastic and global variance reduction algorithms. NeurIPS 2022.',
    schedule: 'jacobi',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize, innerStep: rho0, outerStep: gamma0, innerDecay: a, outerDecay: b },
  };
}
