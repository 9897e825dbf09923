import type { Solver } from './solver';
import type { DoubleMomentumOptions } from './parts/double-momentum';
import { doubleMomentum } from './parts/double-momentum';

/** Options of {@link sustain}, with their defaults (the public benchmark's `solvers/sustain.py`, commit 3ad65dc). */
export type SustainOptions = DoubleMomentumOptions;

/**
 * SUSTAIN, the double-momentum stochastic bilevel method of Khanduri, Zeng, Hong, Wai, Wang, Yang ("A near-optimal
 * algorithm for stochastic bilevel optimization via double-momentum", NeurIPS 2021, Algorithm 1). The same
 * recursions as {@link mrbo} from the same point (z_t, x_t):
 *   h^g_t = ∇_z g_B(z_t, x_t) + (1 − a_t)(h^g_{t−1} − ∇_z g_B(z_{t−1}, x_{t−1}))               z_{t+1} = z_t − β_t h^g_t
 *   h^f_t = ĝ(z_t, x_t; S) + (1 − a_t)(h^f_{t−1} − ĝ(z_{t−1}, x_{t−1}; S))                     x_{t+1} = x_t − α_t h^f_t
 * but ĝ uses Ghadimi & Wang's randomly truncated product instead of the full series:
 *   v̂ = −Nη (I − ηH_{B_p})⋯(I − ηH_{B_1}) ∇_z f_I(z, x),   p ~ U{0..N−1}  (the same p and batches at both points),
 * whose mean over p is −η Σ_{q<N} (I − ηH)^q ∇_z f. Steps α_t, β_t ∝ (t+1)^−1/3 and momentum a_t ∝ (t+1)^−2/3 as
 * in the paper's Theorem (Õ(ε^−3/2) samples for E‖∇h‖² ≤ ε, nonconvex–strongly-convex).
 *
 * Streams (schedule `multi-rate:1`) and oracle calls as {@link mrbo}, with p instead of N HVPs per point (N/2 on
 * average minus one half). Defaults: the benchmark's (step 0.1, η 0.1, N = 10 `n_hia_steps`, a = 0.5 `eta`,
 * exponents 1/3 and 2/3, batch 64); same differences from the benchmark as MRBO.
 *
 * @example run(problem, sustain({ batchSize: 32, neumannStep: 0.5, neumannTerms: 20 }), { maxIter: 5000 })
 */
export function sustain(options: SustainOptions = {}): Solver {
  return doubleMomentum(
    'sustain',
    'Khanduri, Zeng, Hong, Wai, Wang, Yang. A near-optimal algorithm for stochastic bilevel optimization via double-momentum. NeurIPS 2021.',
    'hia',
    options,
  );
}
