/** In place: `y ← αx + y` over the first `n` entries (default: all of `y`). */
export function axpy(alpha: number, x: Float64Array, y: Float64Array, n: number = y.length): void {
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}
