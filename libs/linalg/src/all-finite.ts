/** True when every entry of `x` is a finite number (no NaN, no ±Infinity). */
export function allFinite(x: ArrayLike<number>): boolean {
  // x * 0 is 0 for finite x and NaN for NaN or ±Infinity; one comparison per entry.
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += x[i] * 0;
  return acc === 0;
}
