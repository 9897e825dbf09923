import type { Conv2dShape } from './conv2d-shape';

/**
 * The packing and macro-kernel operations a backend of the tensor kernels provides (WebAssembly SIMD in
 * wasm/tensor-kernels.wat, JavaScript in tensor-kernels-js.ts), over one memory seen as a Float64Array `H` and an
 * Int32Array `I32`. Offsets and strides are in elements of those views. Both backends perform, for every entry of
 * C, the same floating-point operations in the same order (see {@link gemmBlocked}), so they give the same bits.
 *
 * Packed layouts (kc the length of the block of the reduction index p): A in panels of mr = 5 or 4 rows (see
 * {@link panelRows}), panel r holding A[mr·r + i, p] twice (a splatted pair) at (p·mr + i)·2 + 0..1; B in panels of
 * 4 columns, panel s holding B[p, 4s + 0..3] at p·4 + 0..3; entries past the block's rows or columns are +0. The
 * macro-kernel covers C with mr × 4 tiles.
 */
export interface PackedOps {
  /** The rows of the register tile for a block of m rows: 5 or 4 (see {@link panelRows}). */
  panelRows(m: number): number;
  /** Packs the mc × kc block A[i, p] = H[src + i·rs + p·cs] at dst, in panels of mr rows. */
  packA(mr: number, src: number, rs: number, cs: number, mc: number, kc: number, dst: number): void;
  /** Packs the kc × nc block B[p, j] = H[src + p·rs + j·cs] at dst. */
  packB(src: number, rs: number, cs: number, kc: number, nc: number, dst: number): void;
  /** Packs the kc × nc block B[p, j] = H[src + I32[pOff + p] + I32[jOff + j]] at dst (the implicit im2col). */
  packBTable(src: number, pOff: number, jOff: number, kc: number, nc: number, dst: number): void;
  /**
   * C[i, j] (+)= Σ_{p<kc} Apacked[i, p]·Bpacked[p, j] for i < mc, j < nc, C[i, j] = H[c + i·ldc + j], A packed in
   * panels of mr rows, each sum taken left to right from +0 (`first`) or from the current C[i, j]; `tile` is 20
   * numbers of scratch.
   */
  macro(mr: number, mc: number, nc: number, kc: number, pa: number, pb: number, c: number, ldc: number, first: boolean, tile: number): void;
  /** H[dst ..] ← ch × hb × wb zeros, then H[dst + (c·hb + oy + y·dy)·wb + ox + x·dx] = H[src + (c·h + y)·w + x]. */
  padCopy(src: number, ch: number, h: number, w: number, dst: number, hb: number, wb: number, oy: number, ox: number, dy: number, dx: number): void;
  /** H[dst + (c·o1 + o)·len + t] ← H[src + (o·c1 + c)·len + t]: swaps the two leading axes of an o1 × c1 × len array. */
  swapAxes(src: number, o1: number, c1: number, len: number, dst: number): void;
}

/**
 * The rows of the SIMD register tile (5 × 4 or 4 × 4) for a product with m rows: the 5 × 4 micro-kernel is about 4 %
 * faster (20.1 against 19.3 GFLOP/s measured in L1 on this machine), so it runs unless its panels would pad m by
 * more rows than that pays for (m = 32: 35 rows against 32). Changes which tiles compute an entry, not its sum.
 */
export function panelRows(m: number): number {
  return 100 * Math.ceil(m / 5) * 5 <= 104 * Math.ceil(m / 4) * 4 ? 5 : 4;
}

/**
 * Block sizes: a packed B block is KC × NC numbers (streamed panel by panel through L1), a packed A block MC × KC
 * numbers, stored twice (kept in L2). MC is a multiple of 5 and 4.
 */
export const GEMM_KC = 320;
export const GEMM_MC = 120;
export const GEMM_NC = 512;

/** Elements of scratch the matrix products use (packed A block, packed B block, one 5 × 4 tile). */
export const GEMM_SCRATCH = 2 * GEMM_MC * GEMM_KC + GEMM_KC * GEMM_NC + 20;

/** Where the scratch lives in the memory (element offsets of H): packed A, packed B, the edge tile, the convolutions' area. */
export interface ScratchLayout {
  readonly pa: number;
  readonly pb: number;
  readonly tile: number;
  /** First element of the convolution scratch, and its length in bytes. */
  readonly conv: number;
  readonly convBytes: number;
}

/** The scratch layout starting at element `start` (16-byte aligned), with `convBytes` of convolution scratch. */
export function scratchLayout(start: number, convBytes: number): ScratchLayout {
  const pa = start;
  const pb = pa + 2 * GEMM_MC * GEMM_KC;
  const tile = pb + GEMM_KC * GEMM_NC;
  return { pa, pb, tile, conv: tile + 20, convBytes };
}

/**
 * C (+)= A·B with A `m × k`, B `k × n`, C `m × n`: A[i, p] = H[a + i·ars + p·acs]; B[p, j] = H[b + p·brs + j·bcs]
 * or, when `table`, H[b + I32[brs + p] + I32[bcs + j]]; C[i, j] = H[c + i·ldc + j].
 *
 * The order of operations, shared by every backend and the reference loops of tensor-kernels.ts: each entry is
 *   C[i, j] ← ((C⁰[i, j] + A[i, 0]·B[0, j]) + A[i, 1]·B[1, j]) + … + A[i, k−1]·B[k−1, j]
 * with C⁰ the old C when `accumulate`, else +0; each term one rounded product, each step one rounded addition.
 * Cache blocking (k in equal blocks of at most {@link GEMM_KC}, rows in blocks of {@link GEMM_MC}, columns in blocks of
 * {@link GEMM_NC}) splits these sums across macro-kernel calls, storing C in between, without reordering them.
 */
export function gemmBlocked(
  ops: PackedOps, H: Float64Array, L: ScratchLayout, m: number, n: number, k: number,
  a: number, ars: number, acs: number, b: number, brs: number, bcs: number, table: boolean,
  c: number, ldc: number, accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) H.fill(0, c + i * ldc, c + i * ldc + n);
    return;
  }
  // k blocks of equal length: a short last block would run the micro-kernel for a few terms only
  const kcb = Math.ceil(k / Math.ceil(k / GEMM_KC));
  for (let jc = 0; jc < n; jc += GEMM_NC) {
    const nc = Math.min(GEMM_NC, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = Math.min(kcb, k - pc);
      if (table) ops.packBTable(b, brs + pc, bcs + jc, kc, nc, L.pb);
      else ops.packB(b + pc * brs + jc * bcs, brs, bcs, kc, nc, L.pb);
      const first = pc === 0 && !accumulate;
      for (let ic = 0; ic < m; ic += GEMM_MC) {
        const mc = Math.min(GEMM_MC, m - ic);
        const mr = ops.panelRows(mc);
        ops.packA(mr, a + ic * ars + pc * acs, ars, acs, mc, kc, L.pa);
        ops.macro(mr, mc, nc, kc, L.pa, L.pb, c + ic * ldc + jc, ldc, first, L.tile);
      }
    }
  }
}

/**
 * Bytes of convolution scratch a shape needs: the zero-padded image of one batch element with the two offset
 * tables of the implicit im2col (forward and filter gradient), or the zero-padded, stride-dilated output gradient of
 * one batch element, the filters with their two leading axes swapped and the two tables (input gradient); the larger.
 */
export function convScratchBytes(s: Conv2dShape): number {
  const { inChannels: C, height: H, width: W, outChannels: O, kernelH: KH, kernelW: KW } = s;
  const KK = KH * KW;
  const oh = Math.floor((H + 2 * s.padH - KH) / s.strideH) + 1;
  const ow = Math.floor((W + 2 * s.padW - KW) / s.strideW) + 1;
  const forward = 8 * C * (H + 2 * s.padH) * (W + 2 * s.padW) + 4 * (C * KK + oh * ow);
  const hd = dilatedSize(H, s.padH, KH, s.strideH, oh);
  const wd = dilatedSize(W, s.padW, KW, s.strideW, ow);
  const inputGrad = 8 * O * hd * wd + 8 * O * C * KK + 4 * (O * KK + H * W);
  return Math.ceil(Math.max(forward, inputGrad) / 16) * 16;
}

/**
 * The output gradient of one batch element is placed in a zero buffer so that every term of the input gradient reads
 * inside it: gradient row i sits at buffer row i·sh − lo, and the term of input row y and kernel row p at buffer row
 * y + ph − p − lo, with lo = min(0, ph − KH + 1) (likewise for columns). These are lo and the buffer's height.
 */
const dilatedLo = (pad: number, k: number) => Math.min(0, pad - k + 1);
const dilatedSize = (n: number, pad: number, k: number, stride: number, outN: number) => Math.max((outN - 1) * stride, n - 1 + pad) - dilatedLo(pad, k) + 1;

/**
 * The three convolutions as matrix products per batch element, over the scratch area L.conv (at least
 * {@link convScratchBytes}(s) bytes, checked by the caller). x, w, out, g, gx, gw are element offsets of H.
 *
 * - conv2d: out[n] (O × OH·OW) (+)= W (O × C·KH·KW) · col(x[n]), col[(c, p, q), (i, j)] = xpad[c, i·sh + p, j·sw + q]:
 *   out[n, o, i, j] = out⁰ + Σ over (c, p, q) in increasing order of w[o, c, p, q]·x[n, c, i·sh + p − ph, j·sw + q − pw],
 *   a padding position counting as the term w·(+0).
 * - conv2dFilterGrad: gw (O × C·KH·KW) (+)= Σ_n gOut[n] (O × OH·OW) · col(x[n])ᵀ:
 *   gw[o, c, p, q] = gw⁰ + Σ over (n, i, j) in increasing order of gOut[n, o, i, j]·x[n, c, i·sh + p − ph, j·sw + q − pw].
 * - conv2dInputGrad: gx[n] (C × H·W) (+)= Wᵀ (C × O·KH·KW) · dcol(gOut[n]):
 *   gx[n, c, y, x] = gx⁰ + Σ over (o, p, q) in increasing order of w[o, c, p, q]·gOut[n, o, (y + ph − p)/sh, (x + pw − q)/sw],
 *   the gradient counting as +0 where the quotient is not a whole number or falls outside the output.
 */
export function conv2dBlocked(ops: PackedOps, H: Float64Array, I32: Int32Array, L: ScratchLayout, x: number, w: number, out: number, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: Hh, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const oh = Math.floor((Hh + 2 * ph - KH) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - KW) / sw) + 1;
  const hp = Hh + 2 * ph;
  const wp = W + 2 * pw;
  const ckk = C * KH * KW;
  const taps = padTables(I32, L.conv + C * hp * wp, C, KH, KW, hp, wp, oh, ow, sh, sw);
  const pos = taps + ckk;
  for (let n = 0; n < N; n++) {
    ops.padCopy(x + n * C * Hh * W, C, Hh, W, L.conv, hp, wp, ph, pw, 1, 1);
    gemmBlocked(ops, H, L, O, oh * ow, ckk, w, ckk, 1, L.conv, taps, pos, true, out + n * O * oh * ow, oh * ow, accumulate);
  }
}

/** See {@link conv2dBlocked}. */
export function conv2dFilterGradBlocked(ops: PackedOps, H: Float64Array, I32: Int32Array, L: ScratchLayout, x: number, g: number, gw: number, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: Hh, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const oh = Math.floor((Hh + 2 * ph - KH) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - KW) / sw) + 1;
  const hp = Hh + 2 * ph;
  const wp = W + 2 * pw;
  const ckk = C * KH * KW;
  const taps = padTables(I32, L.conv + C * hp * wp, C, KH, KW, hp, wp, oh, ow, sh, sw);
  const pos = taps + ckk;
  for (let n = 0; n < N; n++) {
    ops.padCopy(x + n * C * Hh * W, C, Hh, W, L.conv, hp, wp, ph, pw, 1, 1);
    gemmBlocked(ops, H, L, O, ckk, oh * ow, g + n * O * oh * ow, oh * ow, 1, L.conv, pos, taps, true, gw, ckk, accumulate || n > 0);
  }
}

/** See {@link conv2dBlocked}. */
export function conv2dInputGradBlocked(ops: PackedOps, H: Float64Array, I32: Int32Array, L: ScratchLayout, g: number, w: number, gx: number, s: Conv2dShape, accumulate: boolean): void {
  const { batch: N, inChannels: C, height: Hh, width: W, outChannels: O, kernelH: KH, kernelW: KW, strideH: sh, strideW: sw, padH: ph, padW: pw } = s;
  const oh = Math.floor((Hh + 2 * ph - KH) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - KW) / sw) + 1;
  const loY = dilatedLo(ph, KH);
  const loX = dilatedLo(pw, KW);
  const hd = dilatedSize(Hh, ph, KH, sh, oh);
  const wd = dilatedSize(W, pw, KW, sw, ow);
  const okk = O * KH * KW;
  const wt = L.conv + O * hd * wd;
  const taps = (wt + C * okk) * 2;
  const pos = taps + okk;
  const plane = hd * wd;
  for (let o = 0, r = taps; o < O; o++)
    for (let p = 0; p < KH; p++) for (let q = 0; q < KW; q++) I32[r++] = o * plane + (ph - p - loY) * wd + (pw - q - loX);
  for (let y = 0, r = pos; y < Hh; y++) for (let xx = 0; xx < W; xx++) I32[r++] = y * wd + xx;
  ops.swapAxes(w, O, C, KH * KW, wt);
  for (let n = 0; n < N; n++) {
    ops.padCopy(g + n * O * oh * ow, O, oh, ow, L.conv, hd, wd, -loY, -loX, sh, sw);
    gemmBlocked(ops, H, L, C, Hh * W, okk, wt, okk, 1, L.conv, taps, pos, true, gx + n * C * Hh * W, Hh * W, accumulate);
  }
}

/**
 * Writes the im2col offset tables of a zero-padded image (C planes of hp × wp) after element `end` of H: the tap
 * table (c, p, q) → c·hp·wp + p·wp + q, then the position table (i, j) → i·sh·wp + j·sw. Returns the tap table's
 * index in I32 (the position table follows it).
 */
function padTables(I32: Int32Array, end: number, C: number, KH: number, KW: number, hp: number, wp: number, oh: number, ow: number, sh: number, sw: number): number {
  const taps = end * 2;
  let r = taps;
  for (let c = 0; c < C; c++) for (let p = 0; p < KH; p++) for (let q = 0; q < KW; q++) I32[r++] = c * hp * wp + p * wp + q;
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) I32[r++] = i * sh * wp + j * sw;
  return taps;
}
