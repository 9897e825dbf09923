import type { Solver } from './solver';
import type { DoubleMomentumOptions } from './parts/double-momentum';
import { doubleMomentum } from './parts/double-momentum';

/** Options of {@link mrbo}, with their defaults (the public benchmark's `solvers/mrbo.py`, commit 3ad65dc). */
export type MrboOptions = DoubleMomentumOptions;

/**
 * MRBO, the Momentum-based Recursive Bilevel Optimizer (Yang, Ji, Liang, "Provably faster algorithms for bilevel
 * optimization", NeurIPS 2021, Algorithm 1). STORM momentum on both directions, from the same point (z_t, x_t):
 *   d^z_t = ∇_z g_B(z_t, x_t) + (1 − a_t)(d^z_{t−1} − ∇_z g_B(z_{t−1}, x_{t−1}))                 z_{t+1} = z_t − β_t d^z_t
 *   d^x_t = ĝ(z_t, x_t; S) + (1 − a_t)(d^x_{t−1} − ĝ(z_{t−1}, x_{t−1}; S))                       x_{t+1} = x_t − α_t d^x_t
 *   ĝ(z, x; S) = ∇_x f_I(z, x) + ∇²_xz g_J(z, x)·v̂,  v̂ = −η Σ_{q=0..N} (I − ηH_{B_q})⋯(I − ηH_{B_1}) ∇_z f_I(z, x)
 * (stocBiO's series, N independent Hessian batches; the same batches B, I, J, B_q at both points of a difference),
 * β_t = β₀(t+1)^−1/3, α_t = α₀(t+1)^−1/3, a_t = a(t+1)^−2/3: the paper's η_k ∝ k^−1/3 steps and momentum ∝ η_k².
 * Õ(ε^−1.5) samples for an ε-stationary point (nonconvex–strongly-convex), the paper's Theorem 1.
 *
 * Streams (schedule `multi-rate:1`): inner = STORM + power step on D_z ({@link stormEstimator}); linsys = the two
 * series estimates and the STORM recursion of d^x, v_{t+1} = v̂(z_t, x_t) ({@link recursiveHypergradientLinsys});
 * outer = x ← x − α_t d^x_t. Oracle calls per step: z: 2 ∇_z g (1 at t = 0); linsys: 2 ∇_z f, 2 ∇_x f, 2 cross
 * products and 2N HVPs (half at t = 0); outer: none.
 * Defaults: the benchmark's (step 0.1, η 0.1, N = 10, a = 0.5, exponents 1/3 and 2/3, batch 64). Differences from
 * the benchmark: each stream draws its own batches; the Hessian batches are independent draws (unbiased series);
 * d_0 is the first sample (the benchmark starts its memories at 0 with a previous point x = 0).
 *
 * @example run(problem, mrbo({ batchSize: 32, neumannStep: 0.5, neumannTerms: 20 }), { maxIter: 5000 })
 */
export function mrbo(options: MrboOptions = {}): Solver {
  return doubleMomentum('mrbo', 'Yang, Ji, Liang. Provably faster algorithms for bilevel optimization. NeurIPS 2021.', 'neumann', options);
}
