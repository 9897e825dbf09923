/**
 * Peak signal-to-noise ratio of an image against its reference, in dB, for values in [0, peak]:
 * PSNR = 10 log10(peak² / MSE), MSE = (1/P) Σ_p (a_p − b_p)². Both images are read at an offset of a longer
 * vector (P values each). Identical images give +∞.
 *
 * @example psnr(Float64Array.of(0.5, 0.5), 0, Float64Array.of(0.6, 0.4), 0, 2) // 20
 */
export function psnr(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, P: number, peak = 1): number {
  let se = 0;
  for (let p = 0; p < P; p++) {
    const d = a[ao + p] - b[bo + p];
    se += d * d;
  }
  return 10 * Math.log10((peak * peak * P) / se);
}

/** The mean over `count` images stored back to back of their {@link psnr} against the references. */
export function meanPsnr(a: ArrayLike<number>, b: ArrayLike<number>, P: number, count: number, peak = 1): number {
  let sum = 0;
  for (let j = 0; j < count; j++) sum += psnr(a, j * P, b, j * P, P, peak);
  return sum / count;
}
