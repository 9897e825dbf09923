import type { MetaLearningProblem } from '@bilevel/autodiff';
import type { Solver, StreamPart } from '../solver';
import { knownKeys } from '../validate-options';
import type { AdaptOptions, MetaOuterOptions } from './meta-options';
import { ADAPT_KEYS, OUTER_KEYS, resolveAdapt, resolveOuter } from './meta-options';
import { adamOuterPart, hypergradientDirection, metaBatchOf, metaInnerPart, metaProblem } from './meta-parts';

/** Options of {@link fomaml}: those of the inner adaptation and of the outer Adam step (see {@link imaml}). */
export type FomamlOptions = AdaptOptions & MetaOuterOptions;

interface LinsysState {
  readonly problem: MetaLearningProblem;
  readonly b: Float64Array;
}

/**
 * First-order MAML (Finn, Abbeel, Levine, ICML 2017, §5.2 "first-order approximation"; Nichol, Achiam, Schulman
 * 2018) on the same problem and inner procedure as {@link imaml}: the meta-gradient of task b is the query gradient at
 * the adapted weights, g_b = ∇L_b(φ_b), i.e. the implicit system (I + ∇²L̂_b/λ)g = ∇L_b with the Hessian dropped:
 *   inner:  as iMAML (B tasks adapted from θ, z = mean φ_b);
 *   linsys: no system: v_b = −∇L_b(φ_b)/λ (the contract's v with ∇²g_b ≈ λI), v = mean v_b: one gradient per task;
 *   outer:  d = ∇²_θφG·v = mean ∇L_b(φ_b); θ ← Adam(θ, d).
 * Schedule: gauss-seidel.
 */
export function fomaml(options: FomamlOptions = {}): Solver {
  const fn = 'fomaml';
  knownKeys(fn, options, [...ADAPT_KEYS, ...OUTER_KEYS]);
  const adapt = resolveAdapt(fn, options);
  const outerOpts = resolveOuter(fn, options);
  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    description: { estimator: 'meta-batch', batchSize: outerOpts.metaBatch },
    init(problem) {
      const p = metaProblem(fn, problem);
      return { problem: p, b: new Float64Array(p.dimZ) };
    },
    step(s, reads, _t, out) {
      const { tasks, phis } = metaBatchOf(fn, reads);
      const { problem, b } = s;
      const P = problem.dimZ;
      const B = tasks.length;
      const scale = -1 / (problem.lambda * B);
      out.fill(0);
      for (let k = 0; k < B; k++) {
        problem.outerGradZ(phis.subarray(k * P, (k + 1) * P), reads.x, tasks.subarray(k, k + 1), b);
        for (let i = 0; i < P; i++) out[i] += scale * b[i];
      }
    },
  };
  return {
    name: fn,
    citation: 'Finn, Abbeel, Levine. Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks (first-order approximation). ICML 2017.',
    schedule: 'gauss-seidel',
    inner: metaInnerPart(fn, adapt, outerOpts.metaBatch) as StreamPart,
    linsys: linsys as StreamPart,
    outer: adamOuterPart(fn, outerOpts.outerStep, outerOpts.adamEps, hypergradientDirection(fn)) as StreamPart,
    options: { ...adapt, ...outerOpts },
  };
}
