import type { BilevelProblem } from '@bilevel/problems';
import { powerIteration } from '@bilevel/problems';

/** Smoothness and strong convexity of the inner problem G(·, x), known or estimated. */
export interface InnerConstantsEstimate {
  /** λ_max of the inner Hessian. */
  readonly L: number;
  /** λ_min of the inner Hessian. */
  readonly mu: number;
  /** max_j λ_max(∇²_zz g_j): undefined when unknown and not estimated (too many samples). */
  readonly LMaxSample?: number;
  /** True when any of them comes from power iteration rather than `problem.innerConstants`. */
  readonly estimated: boolean;
}

/** Options of {@link innerConstantsAt}. */
export interface InnerConstantsOptions {
  /** Power iterations per eigenvalue estimate. Default 100. */
  readonly iterations?: number;
  /** Largest number of inner samples for which L_max is estimated sample by sample. Default 2000. */
  readonly maxSamples?: number;
}

/**
 * L, μ and L_max of the inner problem at (z, x): `problem.innerConstants(x)` where the problem has it (global
 * bounds), else local estimates at the current z by power iteration on Hessian-vector products:
 *
 *   L = λ_max(H),  μ = L − λ_max(L·I − H),  L_max = max_j λ_max(∇²_zz g_j)      H = ∇²_zz G(z, x) (full batch)
 *
 * An estimate carries no certificate: power iteration approaches λ_max from below, so a bound 1/L built from it
 * may be slightly too lenient. Cost of the estimate: 2·iterations full-batch HVPs, plus iterations single-sample
 * HVPs per sample for L_max (skipped above `maxSamples`).
 */
export function innerConstantsAt(problem: BilevelProblem, z: Float64Array, x: Float64Array, options: InnerConstantsOptions = {}): InnerConstantsEstimate {
  const iterations = options.iterations ?? 100;
  const maxSamples = options.maxSamples ?? 2000;
  const known = problem.innerConstants?.(x);
  const d = problem.dimZ;
  const hv = new Float64Array(d);
  let L = known?.L;
  let mu = known?.mu;
  let estimated = false;
  if (L === undefined || mu === undefined) {
    const full = problem.fullInner;
    const top = powerIteration((u, out) => problem.innerHvp(z, x, u, full, out), d, iterations);
    const shifted = powerIteration((u, out) => {
      problem.innerHvp(z, x, u, full, hv);
      for (let i = 0; i < d; i++) out[i] = top * u[i] - hv[i];
    }, d, iterations);
    L = top;
    mu = top - shifted;
    estimated = true;
  }
  let LMaxSample = known?.LMaxSample;
  if (LMaxSample === undefined && problem.nInner <= maxSamples) {
    const one = new Int32Array(1);
    LMaxSample = 0;
    for (let j = 0; j < problem.nInner; j++) {
      one[0] = j;
      LMaxSample = Math.max(LMaxSample, powerIteration((u, out) => problem.innerHvp(z, x, u, one, out), d, iterations));
    }
    estimated = true;
  }
  return { L, mu, ...(LMaxSample !== undefined ? { LMaxSample } : {}), estimated };
}
