import { dot } from './dot';
import { nrm2 } from './nrm2';

/** Options of {@link lbfgs}. */
export interface LbfgsOptions {
  /** Stop when ‖∇f‖ ≤ gtol. Default 1e-10. */
  readonly gtol?: number;
  /** Iteration cap. Default 1000. */
  readonly maxIter?: number;
  /** Number of curvature pairs kept. Default 10. */
  readonly memory?: number;
}

/** What {@link lbfgs} reports; `x` is the argument passed in, updated in place. */
export interface LbfgsResult {
  readonly value: number;
  readonly gradNorm: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Limited-memory BFGS (Nocedal, 1980) with an Armijo backtracking line search, minimizing a smooth function given
 * as `fg(x, grad)`, which returns f(x) and writes ∇f(x) into `grad`. `x` is the starting point and, on return,
 * the final iterate. Curvature pairs with `sᵀy ≤ 0` are skipped, so the direction stays a descent direction.
 */
export function lbfgs(fg: (x: Float64Array, grad: Float64Array) => number, x: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const n = x.length;
  const gtol = options.gtol ?? 1e-10;
  const maxIter = options.maxIter ?? 1000;
  const m = options.memory ?? 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const g = new Float64Array(n);
  const gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let f = fg(x, g);
  let it = 0;
  // Below the precision floor, round-off can satisfy the Armijo test forever: stop after a few accepted steps
  // that lower f by no more than its rounding.
  let stalled = 0;
  while (it < maxIter && nrm2(g) > gtol && Number.isFinite(f) && stalled < 3) {
    // two-loop recursion: d = -H·g
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const gn = nrm2(g);
      for (let i = 0; i < n; i++) d[i] /= Math.max(gn, 1);
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], d);
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * S[k][i];
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    let step = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f + 1e-4 * step * slope)) break; // line search failed: at the precision floor
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-16 * nrm2(s) * nrm2(y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    stalled = f - fNew <= 4 * Number.EPSILON * Math.abs(f) ? stalled + 1 : 0;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    it++;
  }
  const gradNorm = nrm2(g);
  return { value: f, gradNorm, iterations: it, converged: gradNorm <= gtol };
}
