import type { StopSignal } from '@bilevel/verify';
import type { CertificateLp } from '../certificate-lp';
import type { CertificateStage } from './pipeline-stages';

/** Options of {@link lpCertificateStage}. */
export interface LpCertificateStageOptions {
  /** A certificate is claimed when the LP is optimal with c* ≤ −margin. Default 1e-6 (jointTraining's default). */
  readonly margin?: number;
  /** Passed to each solve: once aborted, the stage throws an `AbortError` between the LP's blocks. */
  readonly signal?: StopSignal;
}

/**
 * The lower level of the polynomial track as a certificate stage: c*(θ) = min c over the Handelman LP of
 * {@link CertificateLp} (HiGHS), its certificate B = β*ᵀm(x) and ∂c* / ∂θ from the duals. A certificate is claimed
 * when HiGHS reports 'Optimal' and c* ≤ −margin (the margin absorbs HiGHS's feasibility tolerance 1e-7).
 *
 * @example
 * const stage = lpCertificateStage(new CertificateLp(PJ, policy, highs));
 */
export function lpCertificateStage(lp: CertificateLp, options: LpCertificateStageOptions = {}): CertificateStage {
  const margin = options.margin ?? 1e-6;
  if (!(margin >= 0)) throw new RangeError(`lpCertificateStage: options.margin must be ≥ 0, received ${margin}`);
  return (theta) => {
    const solution = lp.solve(theta, options.signal ? { signal: options.signal } : {});
    const optimal = solution.status === 'Optimal';
    return {
      cStar: solution.cStar,
      found: optimal && solution.cStar <= -margin,
      certificate: optimal ? solution.certificate : null,
      dcdtheta: optimal ? solution.dcdtheta : null,
      solution,
      status: solution.status,
    };
  };
}
