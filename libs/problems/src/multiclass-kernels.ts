import type { Matrix } from '@bilevel/linalg';

/**
 * Kernels of the multinomial (softmax) logistic loss over gathered batch rows, for a weight matrix W stored
 * class-major: K × d row-major, `W[c·d + i]` the weight of feature i for class c (one contiguous row per class, so
 * every inner loop runs over the d features). Allocation-free; the caller owns every buffer.
 *
 * For a sample a with logits t = W a, probabilities p = softmax(t) and label y:
 *   CE = logsumexp(t) − t_y,   ∇_W CE = (p − e_y) aᵀ,   ∇²_W CE · V = (diag(p) − p pᵀ)(V a) aᵀ.
 */

/**
 * Logits of a batch: `out[k·K + c] = a_{rows[k]} · W_c` (sample-major, K per sample). Blocked two samples × two
 * classes per pass, so each load of a row or a class weight feeds two products (measured 1.7× faster than one
 * sample × two classes on 64 digits rows, d = 64, K = 10).
 */
export function classLogits(A: Matrix, rows: Int32Array, W: Float64Array, K: number, out: Float64Array): void {
  const d = A.cols;
  const a = A.data;
  const m = rows.length;
  let k = 0;
  for (; k + 1 < m; k += 2) {
    const o0 = rows[k] * d;
    const o1 = rows[k + 1] * d;
    const b0 = k * K;
    const b1 = b0 + K;
    let c = 0;
    for (; c + 1 < K; c += 2) {
      const w0 = c * d;
      const w1 = w0 + d;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let i = 0; i < d; i++) {
        const x0 = a[o0 + i];
        const x1 = a[o1 + i];
        const y0 = W[w0 + i];
        const y1 = W[w1 + i];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      out[b0 + c] = s00;
      out[b0 + c + 1] = s01;
      out[b1 + c] = s10;
      out[b1 + c + 1] = s11;
    }
    if (c < K) {
      const w0 = c * d;
      let s0 = 0;
      let s1 = 0;
      for (let i = 0; i < d; i++) {
        s0 += a[o0 + i] * W[w0 + i];
        s1 += a[o1 + i] * W[w0 + i];
      }
      out[b0 + c] = s0;
      out[b1 + c] = s1;
    }
  }
  if (k < m) {
    const o = rows[k] * d;
    for (let c = 0; c < K; c++) {
      const w0 = c * d;
      let s = 0;
      for (let i = 0; i < d; i++) s += a[o + i] * W[w0 + i];
      out[k * K + c] = s;
    }
  }
}

/**
 * Gathered accumulation into a K × d matrix: `out_c ← β·out_c + α Σ_k r[k·K + c] a_{rows[k]}` for every class c.
 * With β = 0 the previous content of `out` is ignored. Blocked two classes × four rows per pass over the two output
 * rows (measured 1.7× faster than one class × four rows on 64 digits rows, d = 64, K = 10).
 */
export function classGradAccumulate(
  alpha: number,
  A: Matrix,
  rows: Int32Array,
  r: Float64Array,
  K: number,
  beta: number,
  out: Float64Array,
): void {
  const d = A.cols;
  const a = A.data;
  const m = rows.length;
  const len = K * d;
  if (beta === 0) out.fill(0, 0, len);
  else if (beta !== 1) for (let p = 0; p < len; p++) out[p] *= beta;
  let c = 0;
  for (; c + 1 < K; c += 2) {
    const oc = c * d;
    const od = oc + d;
    let k = 0;
    for (; k + 3 < m; k += 4) {
      const o0 = rows[k] * d;
      const o1 = rows[k + 1] * d;
      const o2 = rows[k + 2] * d;
      const o3 = rows[k + 3] * d;
      const p0 = k * K + c;
      const p1 = p0 + K;
      const p2 = p1 + K;
      const p3 = p2 + K;
      const c0 = alpha * r[p0];
      const c1 = alpha * r[p1];
      const c2 = alpha * r[p2];
      const c3 = alpha * r[p3];
      const e0 = alpha * r[p0 + 1];
      const e1 = alpha * r[p1 + 1];
      const e2 = alpha * r[p2 + 1];
      const e3 = alpha * r[p3 + 1];
      for (let i = 0; i < d; i++) {
        const x0 = a[o0 + i];
        const x1 = a[o1 + i];
        const x2 = a[o2 + i];
        const x3 = a[o3 + i];
        out[oc + i] += c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
        out[od + i] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
      }
    }
    for (; k < m; k++) {
      const o0 = rows[k] * d;
      const c0 = alpha * r[k * K + c];
      const e0 = alpha * r[k * K + c + 1];
      for (let i = 0; i < d; i++) {
        const x0 = a[o0 + i];
        out[oc + i] += c0 * x0;
        out[od + i] += e0 * x0;
      }
    }
  }
  if (c < K) {
    const oc = c * d;
    for (let k = 0; k < m; k++) {
      const o0 = rows[k] * d;
      const c0 = alpha * r[k * K + c];
      for (let i = 0; i < d; i++) out[oc + i] += c0 * a[o0 + i];
    }
  }
}

/**
 * Softmax of the K logits at `t[off…off+K)`, written to `p[off…off+K)`; returns logsumexp of the logits. Stable for
 * any finite logits (the largest is subtracted first).
 */
export function softmaxRow(t: Float64Array, off: number, K: number, p: Float64Array): number {
  let max = -Infinity;
  for (let c = 0; c < K; c++) if (t[off + c] > max) max = t[off + c];
  let s = 0;
  for (let c = 0; c < K; c++) {
    const e = Math.exp(t[off + c] - max);
    p[off + c] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let c = 0; c < K; c++) p[off + c] *= inv;
  return max + Math.log(s);
}
