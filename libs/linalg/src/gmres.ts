import { dot } from './dot';
import { nrm2 } from './nrm2';
import type { IterativeSolveOptions, LinearSolveResult, Matvec, Precond, SolveReason } from './linear-solve';
import { StallTest, checkSystem, optionalFunction, positiveIntegerOption, resolveSolveOptions, withRidge } from './linear-solve';

/** Options of {@link gmres}, with their defaults. */
export interface GmresOptions extends IterativeSolveOptions {
  /** m, the Krylov dimension between restarts (GMRES(m)); capped at n. Default 30. */
  readonly restart?: number;
  /** M⁻¹ ≈ Â⁻¹, applied on the right (ÂM⁻¹y = b, x = M⁻¹y), so the residual minimized is the true one. Default none. */
  readonly precond?: Precond;
}

/**
 * Restarted GMRES(m) (Saad & Schultz, SIAM J. Sci. Stat. Comput. 1986) for a general square `Â = A + λI`: each cycle
 * builds an orthonormal basis V of the Krylov space K_m(ÂM⁻¹, r₀) by Arnoldi with modified Gram-Schmidt, keeps the
 * Hessenberg matrix H in upper-triangular form by Givens rotations (so |g_{j+1}| is the residual norm after j + 1
 * steps at no extra cost), then sets x += M⁻¹V·y with y = argmin ‖βe₁ − Hy‖. Each cycle starts from the true
 * residual b − Âx (one product), so `residualNorm` at exit is the true one.
 *
 * Stops when ‖b − Âx‖ ≤ max(rtol·‖b‖, atol), at maxIter Arnoldi steps in total, when the best residual stalls
 * (restarted GMRES can stagnate on indefinite or non-normal systems), or on a breakdown: an invariant Krylov space
 * (h_{j+1,j} = 0) that does not contain the solution, or a zero pivot of the rotated H (Â singular on that space).
 * `x` holds the warm start on entry and the solution on exit. Allocates (m + 1)·n + 2n + O(m²) numbers once per call.
 *
 * @example gmres((p, out) => gemv(1, A, p, 0, out), b, x, { restart: 20, rtol: 1e-10 })
 */
export function gmres(matvec: Matvec, b: Float64Array, x: Float64Array, options: GmresOptions = {}): LinearSolveResult {
  const fn = 'gmres';
  checkSystem(fn, b, x);
  const n = b.length;
  const { rtol, atol, maxIter, ridge, stallWindow, stallFactor } = resolveSolveOptions(fn, options, n, ['restart', 'precond']);
  const precond = optionalFunction<Precond>(fn, 'precond', options.precond);
  const m = Math.max(1, Math.min(positiveIntegerOption(fn, 'restart', options.restart ?? 30), n));
  const op = withRidge(matvec, ridge);
  const V = new Float64Array((m + 1) * n);
  const H = new Float64Array((m + 1) * m); // column-major: H[i + j·(m + 1)] = h_{ij}
  const cs = new Float64Array(m);
  const sn = new Float64Array(m);
  const g = new Float64Array(m + 1);
  const y = new Float64Array(m);
  const w = new Float64Array(n);
  const t = new Float64Array(n);
  const stall = new StallTest(stallWindow, stallFactor);
  const target = Math.max(rtol * nrm2(b), atol);
  const ld = m + 1;
  let matvecs = 0;
  let it = 0;
  let residualNorm = NaN;
  let reason: SolveReason | undefined;
  for (;;) {
    op(x, w);
    matvecs++;
    for (let i = 0; i < n; i++) V[i] = b[i] - w[i];
    const beta = nrm2(V.subarray(0, n));
    residualNorm = beta;
    if (Number.isNaN(beta)) {
      reason = 'non-finite';
      break;
    }
    if (beta <= target) {
      reason = 'converged';
      break;
    }
    if (reason !== undefined || it >= maxIter) break;
    for (let i = 0; i < n; i++) V[i] /= beta;
    g.fill(0);
    g[0] = beta;
    let k = 0;
    for (let j = 0; j < m && it < maxIter; j++) {
      const vj = V.subarray(j * n, (j + 1) * n);
      if (precond) {
        precond(vj, t);
        op(t, w);
      } else {
        op(vj, w);
      }
      matvecs++;
      const wNorm0 = nrm2(w);
      for (let i = 0; i <= j; i++) {
        const vi = V.subarray(i * n, (i + 1) * n);
        const h = dot(w, vi);
        H[i + j * ld] = h;
        for (let l = 0; l < n; l++) w[l] -= h * vi[l];
      }
      const hNext = nrm2(w);
      H[j + 1 + j * ld] = hNext;
      // an invariant Krylov space: the basis cannot grow (rounding leaves ~ε‖Âv‖, hence the relative test)
      const invariant = !(hNext > 1e-14 * wNorm0);
      if (!invariant) {
        const vNext = V.subarray((j + 1) * n, (j + 2) * n);
        for (let l = 0; l < n; l++) vNext[l] = w[l] / hNext;
      }
      for (let i = 0; i < j; i++) {
        const a = H[i + j * ld];
        const c = H[i + 1 + j * ld];
        H[i + j * ld] = cs[i] * a + sn[i] * c;
        H[i + 1 + j * ld] = -sn[i] * a + cs[i] * c;
      }
      const a = H[j + j * ld];
      const c = invariant ? 0 : H[j + 1 + j * ld];
      const rho = Math.hypot(a, c);
      it++;
      k = j + 1;
      if (!(rho > 0)) {
        reason = Number.isNaN(rho) ? 'non-finite' : 'breakdown';
        k = j; // the last column is singular: keep the solution of the first j steps
        break;
      }
      cs[j] = a / rho;
      sn[j] = c / rho;
      H[j + j * ld] = rho;
      H[j + 1 + j * ld] = 0;
      g[j + 1] = -sn[j] * g[j];
      g[j] = cs[j] * g[j];
      const estimate = Math.abs(g[j + 1]);
      if (estimate <= target) break;
      if (invariant) {
        reason = 'breakdown';
        break;
      }
      if (stall.push(estimate)) {
        reason = 'stalled';
        break;
      }
    }
    // y = R⁻¹g (back substitution on the rotated H), then x += M⁻¹·V·y
    for (let i = k - 1; i >= 0; i--) {
      let s = g[i];
      for (let l = i + 1; l < k; l++) s -= H[i + l * ld] * y[l];
      y[i] = s / H[i + i * ld];
    }
    w.fill(0);
    for (let i = 0; i < k; i++) {
      const vi = V.subarray(i * n, (i + 1) * n);
      const yi = y[i];
      for (let l = 0; l < n; l++) w[l] += yi * vi[l];
    }
    if (precond) {
      precond(w, t);
      for (let l = 0; l < n; l++) x[l] += t[l];
    } else {
      for (let l = 0; l < n; l++) x[l] += w[l];
    }
  }
  const converged = residualNorm <= target;
  if (converged) reason = 'converged';
  reason ??= 'max-iter';
  return { iterations: it, matvecs, residualNorm, converged, stalled: reason !== 'converged' && reason !== 'max-iter', reason };
}
