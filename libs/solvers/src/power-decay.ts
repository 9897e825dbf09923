/**
 * Decreasing step `s_t = s₀ (t + 1)^{−a}` for step index t = 0, 1, …; a = 0 gives a constant step.
 * @example powerDecay(0.1, 0.5)(3) // 0.05
 */
export function powerDecay(s0: number, a: number): (t: number) => number {
  if (!(s0 > 0) || !Number.isFinite(s0)) throw new RangeError(`powerDecay: s0 must be a positive finite number, received ${s0}`);
  if (!(a >= 0) || !Number.isFinite(a)) throw new RangeError(`powerDecay: a must be a finite number ≥ 0, received ${a}`);
  if (a === 0) return () => s0;
  return (t) => s0 * Math.pow(t + 1, -a);
}
