/**
 * Euclidean norm `‖x‖₂`, safe from overflow and underflow: the plain sum of squares is used when it is finite
 * and normal, otherwise the entries are rescaled by the largest magnitude first (as LAPACK's dnrm2 does).
 * A NaN entry gives NaN; an infinite entry gives Infinity.
 */
export function nrm2(x: Float64Array, n: number = x.length): number {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[i] * x[i];
  if (ss > 1e-290 && ss < 1e290) return Math.sqrt(ss);
  if (Number.isNaN(ss)) return NaN;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]);
    if (a > scale) scale = a;
  }
  if (scale === 0) return 0;
  if (scale === Infinity) return Infinity;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = x[i] / scale;
    s += r * r;
  }
  return scale * Math.sqrt(s);
}
