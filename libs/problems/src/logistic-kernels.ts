/**
 * Numerically stable scalar pieces of the logistic loss ℓ(m) = log(1 + e^{−m}) of a margin m = y·aᵀz.
 * Shared by the logistic problem families; no overflow for any finite m.
 */

/** log(1 + e^{−m}). */
export function softplusNeg(m: number): number {
  return m >= 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
}

/** σ(−m) = 1 / (1 + e^{m}), so that −ℓ'(m) = σ(−m). */
export function sigmoidNeg(m: number): number {
  if (m >= 0) {
    const e = Math.exp(-m);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(m));
}

/** σ(m)·σ(−m) = ℓ''(m). */
export function sigmoidCurvature(m: number): number {
  const e = Math.exp(-Math.abs(m));
  return e / ((1 + e) * (1 + e));
}
