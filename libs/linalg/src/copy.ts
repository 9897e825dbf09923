/** `y ← x` for the first `n` entries (default: all of `x`); returns `y`. */
export function copy(x: Float64Array, y: Float64Array, n: number = x.length): Float64Array {
  if (n === x.length && n <= y.length) y.set(x);
  else for (let i = 0; i < n; i++) y[i] = x[i];
  return y;
}
