import { nrm2 } from './nrm2';
import type { IterativeSolveOptions, LinearSolveResult, Matvec, Precond, SolveReason } from './linear-solve';
import { StallTest, checkSystem, optionalFunction, positiveOption, resolveSolveOptions, withRidge } from './linear-solve';

/** Options of {@link neumannSeries}, with their defaults; `maxIter` is N, the number of products of the series. */
export interface NeumannSeriesOptions extends IterativeSolveOptions {
  /** η, the series step: the series converges when the spectral radius of I − ηM⁻¹Â is below 1 (0 < η < 2/L for SPD Â, L = ‖Â‖). Default 0.1. */
  readonly eta?: number;
  /** M⁻¹ ≈ Â⁻¹: the series of I − ηM⁻¹Â (preconditioned Richardson). Default none. */
  readonly precond?: Precond;
  /**
   * Spend one more product at the end to report ‖b − Âx‖ of the returned x. Default true. When false the series
   * is exactly N products, and a series that ran all N terms reports `residualNorm: NaN`, `converged: false`.
   */
  readonly finalResidual?: boolean;
}

/**
 * Truncated Neumann series for `Â·x = b` (Â = A + λI): Â⁻¹ = η Σ_{q≥0} (I − ηM⁻¹Â)^q M⁻¹ when the series converges:
 *
 *   p₀ = b − Âx₀,  s = M⁻¹p₀;   for q = 1..N:  p_q = p_{q−1} − ηÂM⁻¹p_{q−1},  s += M⁻¹p_q;   x = x₀ + ηs
 *
 * which is N products (N = maxIter), plus one for p₀ when the warm start x₀ is non-zero (with x₀ = 0, p₀ = b and x
 * is exactly η Σ_{q≤N} (I − ηÂ)^q b). p_q is the residual of x₀ + η Σ_{i<q} M⁻¹p_i, so the residual test costs no
 * product: when ‖p_q‖ ≤ max(rtol·‖b‖, atol) the series stops there (`converged`, x without the term q). A series
 * whose residual does not fall by the stall factor over the stall window (η too large: it diverges; or a slow
 * contraction 1 − ημ) ends as `stalled`. For SPD Â with eigenvalues in [μ, L] and η ≤ 1/L the error after N terms
 * is at most (1 − ημ)^{N+1} of the initial one. Allocates three (four with M⁻¹) work vectors once per call.
 *
 * @example neumannSeries((p, out) => gemv(1, A, p, 0, out), b, x, { eta: 1 / L, maxIter: 200 })
 */
export function neumannSeries(matvec: Matvec, b: Float64Array, x: Float64Array, options: NeumannSeriesOptions = {}): LinearSolveResult {
  const fn = 'neumannSeries';
  checkSystem(fn, b, x);
  const n = b.length;
  const { rtol, atol, maxIter, ridge, stallWindow, stallFactor } = resolveSolveOptions(fn, options, n, ['eta', 'precond', 'finalResidual']);
  const eta = positiveOption(fn, 'eta', options.eta ?? 0.1);
  const precond = optionalFunction<Precond>(fn, 'precond', options.precond);
  const finalResidual = options.finalResidual ?? true;
  if (typeof finalResidual !== 'boolean') throw new RangeError(`${fn}: finalResidual must be a boolean, received ${String(finalResidual)}`);
  const op = withRidge(matvec, ridge);
  const p = new Float64Array(n);
  const ap = new Float64Array(n);
  const d = precond ? new Float64Array(n) : p;
  let matvecs = 0;
  const warm = x.some((e) => e !== 0);
  if (warm) {
    op(x, ap);
    matvecs++;
    for (let i = 0; i < n; i++) p[i] = b[i] - ap[i];
  } else {
    p.set(b);
  }
  const target = Math.max(rtol * nrm2(b), atol);
  // the residual is measured only when a test reads it (rtol = atol = 0 and no stall window: the plain series)
  const measure = target > 0 || stallWindow > 0;
  const stall = new StallTest(stallWindow, stallFactor);
  let residualNorm = measure ? nrm2(p) : NaN;
  let reason: SolveReason | undefined = measure && residualNorm <= target ? 'converged' : undefined;
  let it = 0;
  if (precond) precond(p, d);
  const s = reason === 'converged' ? new Float64Array(n) : Float64Array.from(d);
  while (reason === undefined && it < maxIter) {
    op(d, ap);
    matvecs++;
    for (let i = 0; i < n; i++) p[i] -= eta * ap[i];
    it++;
    if (measure) {
      residualNorm = nrm2(p);
      if (residualNorm <= target) {
        reason = 'converged';
        break;
      }
      if (Number.isNaN(residualNorm)) {
        reason = 'non-finite';
        break;
      }
      if (stall.push(residualNorm)) reason = 'stalled';
    }
    if (precond) precond(p, d);
    for (let i = 0; i < n; i++) s[i] += d[i];
  }
  for (let i = 0; i < n; i++) x[i] = (warm ? x[i] : 0) + eta * s[i];
  if (reason !== 'converged' && reason !== 'non-finite') {
    // x now holds the term of the last p too, whose residual p − ηÂM⁻¹p is one product away
    if (finalResidual) {
      op(x, ap);
      matvecs++;
      for (let i = 0; i < n; i++) ap[i] = b[i] - ap[i];
      residualNorm = nrm2(ap);
      if (residualNorm <= target) reason = 'converged';
    } else {
      residualNorm = NaN;
    }
  }
  reason ??= 'max-iter';
  const converged = reason === 'converged';
  return { iterations: it, matvecs, residualNorm, converged, stalled: reason === 'stalled' || reason === 'non-finite', reason };
}
