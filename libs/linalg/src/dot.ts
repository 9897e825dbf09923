/**
 * Inner product `xᵀy` of the first `n` entries (default: all of `x`).
 * @example dot(new Float64Array([1, 2]), new Float64Array([3, 4])) // 11
 */
export function dot(x: Float64Array, y: Float64Array, n: number = x.length): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  const m = n - (n % 2);
  for (; i < m; i += 2) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
  }
  if (i < n) s0 += x[i] * y[i];
  return s0 + s1;
}
