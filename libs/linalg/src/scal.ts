/** In place: `x ← αx` over the first `n` entries (default: all of `x`). */
export function scal(alpha: number, x: Float64Array, n: number = x.length): void {
  for (let i = 0; i < n; i++) x[i] *= alpha;
}
