import type { Solver, StreamPart } from '../solver';
import { knownKeys } from '../validate-options';
import type { AdaptOptions, MetaOuterOptions } from './meta-options';
import { ADAPT_KEYS, OUTER_KEYS, resolveAdapt, resolveOuter } from './meta-options';
import { adamOuterPart, metaInnerPart } from './meta-parts';

/** Options of {@link reptile}: those of the inner adaptation and of the outer Adam step (see {@link imaml}). */
export type ReptileOptions = AdaptOptions & MetaOuterOptions;

/**
 * Reptile (Nichol, Achiam, Schulman, "On First-Order Meta-Learning Algorithms", arXiv 1803.02999, 2018) on the
 * same problem and inner procedure as {@link imaml}: the meta-direction is the pull of θ towards the adapted weights,
 *   inner:  as iMAML (B tasks adapted from θ, z = mean φ_b);
 *   linsys: idle (v keeps its start value, no oracle call);
 *   outer:  d = θ − mean φ_b = θ − z; θ ← Adam(θ, d) (the paper's θ ← θ + ε(φ̄ − θ), with Adam's step instead of ε).
 * No query set is used. Schedule: gauss-seidel.
 */
export function reptile(options: ReptileOptions = {}): Solver {
  const fn = 'reptile';
  knownKeys(fn, options, [...ADAPT_KEYS, ...OUTER_KEYS]);
  const adapt = resolveAdapt(fn, options);
  const outerOpts = resolveOuter(fn, options);
  const linsys: StreamPart<null> = {
    stream: 'linsys',
    init: () => null,
    step(_s, { v }, _t, out) {
      out.set(v);
    },
  };
  return {
    name: fn,
    citation: 'Nichol, Achiam, Schulman. On First-Order Meta-Learning Algorithms. arXiv 1803.02999, 2018.',
    schedule: 'gauss-seidel',
    inner: metaInnerPart(fn, adapt, outerOpts.metaBatch) as StreamPart,
    linsys: linsys as StreamPart,
    outer: adamOuterPart(fn, outerOpts.outerStep, outerOpts.adamEps, (st, { z, x }) => {
      for (let k = 0; k < st.d.length; k++) st.d[k] = x[k] - z[k];
    }) as StreamPart,
    options: { ...adapt, ...outerOpts },
  };
}
