import type { PixelRows, PixelScaling, PixelSimd } from './pixel-rows';

/**
 * Batched kernels of a linear 10-class softmax model on {@link PixelRows}: logits `A_B z`, gradient accumulation
 * `A_Bᵀ W`, and the softmax itself. The weights `z` (and any direction `v`) are `cols × 10`, pixel-major:
 * `z[p·10 + c]` (the public benchmark's `reshape(n_features, n_classes)`).
 *
 * Measured on this 2-core machine, batch 64 of 784-pixel Fashion-MNIST rows, logits (`64×784 · 784×10`, µs per
 * call, median of noisy runs): this CSR loop with 10 register accumulators 260–310; the same loop over dense
 * float64 rows 370–400 (float32 rows: no faster); `@bilevel/linalg` gemm on a gathered copy of the batch 1600–2700;
 * ten `gemvRows` calls on zᵀ 670–750; a row-of-z-transposed layout with 5 dot products per pass 480; tfjs-wasm
 * `matMul` (gather + upload + matMul + download, float32) 230, with the data resident and `tf.gather` 3600.
 * tfjs-wasm is the only faster option and only by ~1.2×, in float32 (the oracles must be float64: the evaluation
 * solves to ‖∇G‖ ≤ 1e-10), so the hand-written float64 loop is kept. Gradient accumulation (`A_Bᵀ W`): this CSR
 * loop 360–570; dense float64 two rows per pass 300–320 (but 5× the memory).
 */

/** Number of classes the kernels are unrolled for (MNIST, Fashion-MNIST). */
export const CLASSES = 10;

/**
 * zt ← z with row p divided by s_p, and offset[c] ← Σ_p μ_p zt[p, c], so that `A z = U zt − 1·offsetᵀ`. In SIMD
 * (the same bits) when the scaling, zt and offset live in one arena (`scalingIn`): z is copied into zt and
 * folded there.
 */
export function foldScaling(z: Float64Array, scaling: PixelScaling, zt: Float64Array, offset: Float64Array): void {
  const { mean, invStd } = scaling;
  const arena = scaling.arena;
  const dim = mean.length * 10;
  if (arena !== undefined && arena.holds(zt) && arena.holds(offset) && zt.length >= dim && offset.length >= 10) {
    zt.set(z.length === dim ? z : z.subarray(0, dim));
    arena.fold10(zt, invStd, mean, offset);
    return;
  }
  let o0 = 0, o1 = 0, o2 = 0, o3 = 0, o4 = 0, o5 = 0, o6 = 0, o7 = 0, o8 = 0, o9 = 0;
  for (let p = 0; p < mean.length; p++) {
    const s = invStd[p];
    const m = mean[p];
    const q = p * 10;
    const t0 = z[q] * s, t1 = z[q + 1] * s, t2 = z[q + 2] * s, t3 = z[q + 3] * s, t4 = z[q + 4] * s;
    const t5 = z[q + 5] * s, t6 = z[q + 6] * s, t7 = z[q + 7] * s, t8 = z[q + 8] * s, t9 = z[q + 9] * s;
    zt[q] = t0; zt[q + 1] = t1; zt[q + 2] = t2; zt[q + 3] = t3; zt[q + 4] = t4;
    zt[q + 5] = t5; zt[q + 6] = t6; zt[q + 7] = t7; zt[q + 8] = t8; zt[q + 9] = t9;
    o0 += m * t0; o1 += m * t1; o2 += m * t2; o3 += m * t3; o4 += m * t4;
    o5 += m * t5; o6 += m * t6; o7 += m * t7; o8 += m * t8; o9 += m * t9;
  }
  offset[0] = o0; offset[1] = o1; offset[2] = o2; offset[3] = o3; offset[4] = o4;
  offset[5] = o5; offset[6] = o6; offset[7] = o7; offset[8] = o8; offset[9] = o9;
}

/**
 * Logits of the rows `batch`: `out[k·10 + c] = (A_{batch[k]} z)_c`, from `zt` and `offset` of {@link foldScaling}.
 * One pass over each row's stored pixels with ten accumulators held in registers.
 */
export function batchLogits(X: PixelRows, batch: Int32Array, zt: Float64Array, offset: Float64Array, out: Float64Array): void {
  const simd = X.simd;
  if (simd !== undefined && simd.arena.holds(zt) && simd.arena.holds(offset) && simd.arena.holds(out)) {
    simd.batch.set(batch);
    simd.arena.csr10Logits(X, simd.batch, batch.length, zt, offset, out);
    return;
  }
  const { rowStart, pixel, value } = X;
  const f0 = offset[0], f1 = offset[1], f2 = offset[2], f3 = offset[3], f4 = offset[4];
  const f5 = offset[5], f6 = offset[6], f7 = offset[7], f8 = offset[8], f9 = offset[9];
  for (let k = 0; k < batch.length; k++) {
    const i = batch[k];
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0, c9 = 0;
    const end = rowStart[i + 1];
    for (let e = rowStart[i]; e < end; e++) {
      const a = value[e];
      const q = pixel[e] * 10;
      c0 += a * zt[q]; c1 += a * zt[q + 1]; c2 += a * zt[q + 2]; c3 += a * zt[q + 3]; c4 += a * zt[q + 4];
      c5 += a * zt[q + 5]; c6 += a * zt[q + 6]; c7 += a * zt[q + 7]; c8 += a * zt[q + 8]; c9 += a * zt[q + 9];
    }
    const r = k * 10;
    out[r] = c0 - f0; out[r + 1] = c1 - f1; out[r + 2] = c2 - f2; out[r + 3] = c3 - f3; out[r + 4] = c4 - f4;
    out[r + 5] = c5 - f5; out[r + 6] = c6 - f6; out[r + 7] = c7 - f7; out[r + 8] = c8 - f8; out[r + 9] = c9 - f9;
  }
}

/**
 * {@link batchLogits} of two weight matrices on the same rows: `out` from (zt, offset) and `outV` from (vt, offsetV),
 * each with exactly the bits of its own call; in SIMD both share one pass over the stored entries.
 */
export function batchLogits2(
  X: PixelRows,
  batch: Int32Array,
  zt: Float64Array,
  offset: Float64Array,
  out: Float64Array,
  vt: Float64Array,
  offsetV: Float64Array,
  outV: Float64Array,
): void {
  const simd = X.simd;
  const a = simd?.arena;
  if (simd !== undefined && a !== undefined && a.holds(zt) && a.holds(offset) && a.holds(out) && a.holds(vt) && a.holds(offsetV) && a.holds(outV)) {
    simd.batch.set(batch);
    a.csr10Logits2(X, simd.batch, batch.length, zt, offset, out, vt, offsetV, outV);
    return;
  }
  batchLogits(X, batch, zt, offset, out);
  batchLogits(X, batch, vt, offsetV, outV);
}

/**
 * Gradient accumulation over the rows `batch`: `out ← α·A_Bᵀ W` (`cols × 10`), with `W[k·10 + c]` the weight of
 * row batch[k] and class c. Overwrites `out`.
 */
export function batchGradient(X: PixelRows, scaling: PixelScaling, batch: Int32Array, W: Float64Array, alpha: number, out: Float64Array): void {
  const { rowStart, pixel, value } = X;
  const { mean, invStd } = scaling;
  const simd = X.simd;
  if (simd !== undefined && simd.arena.holds(W)) {
    batchGradientSimd(X, simd, scaling, batch, W, alpha, out);
    return;
  }
  out.fill(0, 0, X.cols * 10);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0;
  for (let k = 0; k < batch.length; k++) {
    const i = batch[k];
    const r = k * 10;
    const w0 = W[r], w1 = W[r + 1], w2 = W[r + 2], w3 = W[r + 3], w4 = W[r + 4];
    const w5 = W[r + 5], w6 = W[r + 6], w7 = W[r + 7], w8 = W[r + 8], w9 = W[r + 9];
    s0 += w0; s1 += w1; s2 += w2; s3 += w3; s4 += w4; s5 += w5; s6 += w6; s7 += w7; s8 += w8; s9 += w9;
    const end = rowStart[i + 1];
    for (let e = rowStart[i]; e < end; e++) {
      const a = value[e];
      const q = pixel[e] * 10;
      out[q] += a * w0; out[q + 1] += a * w1; out[q + 2] += a * w2; out[q + 3] += a * w3; out[q + 4] += a * w4;
      out[q + 5] += a * w5; out[q + 6] += a * w6; out[q + 7] += a * w7; out[q + 8] += a * w8; out[q + 9] += a * w9;
    }
  }
  for (let p = 0; p < X.cols; p++) {
    const s = alpha * invStd[p];
    const m = mean[p];
    const q = p * 10;
    out[q] = s * (out[q] - m * s0); out[q + 1] = s * (out[q + 1] - m * s1); out[q + 2] = s * (out[q + 2] - m * s2);
    out[q + 3] = s * (out[q + 3] - m * s3); out[q + 4] = s * (out[q + 4] - m * s4); out[q + 5] = s * (out[q + 5] - m * s5);
    out[q + 6] = s * (out[q + 6] - m * s6); out[q + 7] = s * (out[q + 7] - m * s7); out[q + 8] = s * (out[q + 8] - m * s8);
    out[q + 9] = s * (out[q + 9] - m * s9);
  }
}

/** Whether the first `rows` rows of 10 class weights are all finite. */
function finiteRows(W: Float64Array, rows: number): boolean {
  let s = 0;
  for (let i = 0; i < rows * 10; i++) s += W[i] * 0;
  return s === 0;
}

/** Scratch of {@link batchGradientSimd}: the class sums handed to the SIMD scaling pass (read at once, never kept). */
const CLASS_SUMS = new Float64Array(CLASSES);

/**
 * {@link batchGradient} with the accumulation in SIMD (same bits): sums of W, accumulate, then the scaling pass, in
 * SIMD too when the scaling lives in the rows' arena (`scalingIn`).
 */
function batchGradientSimd(X: PixelRows, simd: PixelSimd, scaling: PixelScaling, batch: Int32Array, W: Float64Array, alpha: number, out: Float64Array): void {
  const { mean, invStd } = scaling;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0;
  for (let k = 0; k < batch.length; k++) {
    const r = k * 10;
    s0 += W[r]; s1 += W[r + 1]; s2 += W[r + 2]; s3 += W[r + 3]; s4 += W[r + 4];
    s5 += W[r + 5]; s6 += W[r + 6]; s7 += W[r + 7]; s8 += W[r + 8]; s9 += W[r + 9];
  }
  const acc = simd.acc;
  acc.fill(0, 0, X.cols * 10);
  // the paired kernel gives the same bits only for a finite W (a missing pixel's zero times W must be a zero)
  const paired = simd.pairs !== undefined && finiteRows(W, batch.length) ? simd.pairs.get(X, batch) : undefined;
  if (paired !== undefined) simd.arena.csr10AccumulatePairs(paired, W, acc);
  else {
    simd.batch.set(batch);
    simd.arena.csr10Accumulate(X, simd.batch, batch.length, W, acc);
  }
  if (scaling.arena === simd.arena) {
    const sums = CLASS_SUMS;
    sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3; sums[4] = s4;
    sums[5] = s5; sums[6] = s6; sums[7] = s7; sums[8] = s8; sums[9] = s9;
    simd.arena.scale10(acc, invStd, mean, alpha, sums);
    out.set(acc.subarray(0, X.cols * 10));
    return;
  }
  for (let p = 0; p < X.cols; p++) {
    const s = alpha * invStd[p];
    const m = mean[p];
    const q = p * 10;
    out[q] = s * (acc[q] - m * s0); out[q + 1] = s * (acc[q + 1] - m * s1); out[q + 2] = s * (acc[q + 2] - m * s2);
    out[q + 3] = s * (acc[q + 3] - m * s3); out[q + 4] = s * (acc[q + 4] - m * s4); out[q + 5] = s * (acc[q + 5] - m * s5);
    out[q + 6] = s * (acc[q + 6] - m * s6); out[q + 7] = s * (acc[q + 7] - m * s7); out[q + 8] = s * (acc[q + 8] - m * s8);
    out[q + 9] = s * (acc[q + 9] - m * s9);
  }
}

/**
 * Softmax of `count` rows of 10 logits: `probs[k·10 + c] = exp(t_kc − lse_k)` and
 * `lse[k] = log Σ_c exp(t_kc)`, shifted by the row maximum so no logit overflows.
 */
export function softmaxRows(logits: Float64Array, count: number, probs: Float64Array, lse: Float64Array): void {
  for (let k = 0; k < count; k++) {
    const r = k * 10;
    let max = logits[r];
    for (let c = 1; c < 10; c++) if (logits[r + c] > max) max = logits[r + c];
    let sum = 0;
    for (let c = 0; c < 10; c++) {
      const e = Math.exp(logits[r + c] - max);
      probs[r + c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < 10; c++) probs[r + c] *= inv;
    lse[k] = max + Math.log(sum);
  }
}

/**
 * Softmax Hessian products of `count` rows: `out[k] = (diag(p_k) − p_k p_kᵀ) u_k` (10 entries each), the curvature of
 * the cross-entropy in the logits applied to the logit directions `u = A_B v`, times `scale[k]`.
 */
export function softmaxHessianRows(probs: Float64Array, u: Float64Array, count: number, scale: Float64Array, out: Float64Array): void {
  for (let k = 0; k < count; k++) {
    const r = k * 10;
    let pu = 0;
    for (let c = 0; c < 10; c++) pu += probs[r + c] * u[r + c];
    const s = scale[k];
    for (let c = 0; c < 10; c++) out[r + c] = s * probs[r + c] * (u[r + c] - pu);
  }
}
