/**
 * Scalar float64 multiply-add throughput of JavaScript on this machine: n iterations of
 *
 *   a_i ← a_i·m + c      for i = 0 … 7   (8 independent chains held in registers by the JIT),
 *
 * 2 flops per step (V8 does not fuse the multiply and the add), 16 flops per iteration, with m = 0.999, c = 0.001
 * (a contraction towards 1: no overflow, no subnormals). Returns Σ a_i so the loop cannot be removed. Eight chains
 * hide the ≈ 7-cycle latency of a multiply then an add; the bound is then the multiply/add ports.
 */
export function scalarFma(n: number): number {
  const m = 0.999;
  const c = 0.001;
  let a0 = 1, a1 = 1.0625, a2 = 1.125, a3 = 1.1875, a4 = 1.25, a5 = 1.3125, a6 = 1.375, a7 = 1.4375;
  for (let t = 0; t < n; t++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/** Flops of one iteration of {@link scalarFma}. */
export const SCALAR_FMA_FLOPS_PER_ITER = 16;
