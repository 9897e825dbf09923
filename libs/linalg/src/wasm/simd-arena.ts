import type { Matrix } from '../matrix';
import { WASM_BASE64 } from './simd-kernels-binary';
import { instantiateKernels, kernelModuleLoader } from './kernel-module';

/** The exports of simd-kernels.wat (pointers are byte offsets into `memory`). */
interface SimdExports {
  gemvRows(a: number, n: number, rows: number, m: number, x: number, out: number): void;
  gemvRows2(a: number, n: number, rows: number, m: number, x: number, out: number, y: number, outY: number): void;
  gemvRowsT(alpha: number, a: number, n: number, rows: number, m: number, w: number, out: number): void;
  csr10Logits(rowStart: number, pixel: number, value: number, batch: number, m: number, zt: number, offset: number, out: number, tab: number): void;
  csr10Logits2(
    rowStart: number, pixel: number, value: number, batch: number, m: number,
    zt: number, offset: number, out: number, vt: number, offsetV: number, outV: number, tab: number,
  ): void;
  csr10Accumulate(rowStart: number, pixel: number, value: number, batch: number, m: number, W: number, out: number, tab: number): void;
  csr10AccumulatePairs(pairStart: number, pairs: number, pixel: number, values: number, slots: number, W: number, out: number, tab: number): void;
  fold10(zt: number, scale: number, mean: number, cols: number, offset: number): void;
  scale10(
    acc: number, scale: number, mean: number, cols: number, alpha: number,
    s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number, s8: number, s9: number,
  ): void;
  sagaDirection(row: number, mean: number, q: number, out: number, n: number, w: number): void;
}

/** Compressed sparse rows of 8-bit values with 16-bit column indices (the layout of the pixel kernels). */
export interface CsrU8 {
  readonly rowStart: Int32Array;
  readonly pixel: Uint16Array;
  readonly value: Uint8Array;
}

/**
 * Rows of a {@link CsrU8} taken two at a time, each pair as the merged list of the two rows' stored pixels (the layout
 * of {@link SimdArena.csr10AccumulatePairs}): pair t covers entries `pairStart[t] .. pairStart[t + 1] − 1`, entry e
 * holds `pixel[e]` and the two rows' values `values[2e]`, `values[2e + 1]` (0 where that row does not store the
 * pixel); its rows are the batch positions `slots[2t]` and `slots[2t + 1]`.
 */
export interface PairedCsrU8 {
  readonly pairs: number;
  readonly pairStart: Int32Array;
  readonly pixel: Uint16Array;
  readonly values: Uint8Array;
  readonly slots: Uint16Array;
}

const ALIGN = 16;
/** The table of the 256 byte values as float64 that the pixel kernels read (tab[b] = b), at the arena's start. */
const BYTE_TABLE = 256;
/** The compiled kernel module, or null where WebAssembly SIMD is missing. Compiled once, synchronously. */
const kernelModule = kernelModuleLoader(WASM_BASE64);

/**
 * Whether the WebAssembly SIMD kernels are used: the runtime supports them and the environment variable
 * `BILEVEL_KERNELS` is not `js` (which forces the JavaScript kernels, for comparison and as a fallback).
 */
export function simdAvailable(): boolean {
  if (process.env.BILEVEL_KERNELS === 'js') return false;
  return kernelModule() !== null;
}

/** Bytes of a memory page of the host (x86-64 and most arm64 Linux): the prefault stride. */
const PAGE = 4096;

/**
 * A fixed-size WebAssembly memory holding a problem's data and scratch buffers, with the f64x2 SIMD kernels of
 * simd-kernels.wat operating on them. Arrays are carved out with {@link SimdArena.f64} etc. (16-byte aligned) and
 * are ordinary typed-array views, so JavaScript code reads and writes them as usual; the kernels take such views
 * (they must belong to this arena, see {@link SimdArena.holds}) and compute exactly what their JavaScript twins in
 * gemv.ts and the pixel kernels compute, bit for bit (same operations, same order, no fused multiply-add).
 *
 * The memory never grows (growing would detach every view), so the caller sizes it up front with
 * {@link SimdArena.bytesFor}. Measured on this 2-core machine (`npm run bench -- kernels`): about 2× the
 * throughput of the unrolled JavaScript loops on the logistic and 10-class pixel kernels.
 */
export class SimdArena {
  readonly memory: { readonly buffer: ArrayBuffer };
  private readonly k: SimdExports;
  private used = 0;
  private readonly capacity: number;
  /** Byte offset of the table of byte values (tab[b] = b) that the pixel kernels read their 8-bit values from. */
  private readonly byteTable: number;

  /** Bytes to reserve for arrays of these lengths (with alignment padding), the arena's own table included. */
  static bytesFor(lengths: { f64?: readonly number[]; i32?: readonly number[]; u16?: readonly number[]; u8?: readonly number[] }): number {
    const pad = (b: number) => Math.ceil(b / ALIGN) * ALIGN;
    let total = 8 * BYTE_TABLE;
    for (const n of lengths.f64 ?? []) total += pad(8 * n);
    for (const n of lengths.i32 ?? []) total += pad(4 * n);
    for (const n of lengths.u16 ?? []) total += pad(2 * n);
    for (const n of lengths.u8 ?? []) total += pad(n);
    return total;
  }

  /**
   * An arena of at least `bytes` bytes. Throws when WebAssembly SIMD is unavailable (check {@link simdAvailable}).
   *
   * `prefault`: write every page of the first `bytes` now (a zero byte, which fresh memory holds already), so that
   * the kernel maps them here, in the set-up, and not one page fault at a time during the run's first pass. For
   * arenas the run touches whole within its first epoch (SAGA tables, pairings): the same faults, moved. Measured on
   * this machine (a Firecracker VM): about 3 µs a fault; SABA's data cleaning took ~30,000 of them over its first
   * 400 iterations, which ran up to 2× slower than the rest.
   */
  constructor(bytes: number, options: { readonly prefault?: boolean } = {}) {
    const mod = kernelModule();
    if (!mod) throw new Error('SimdArena: this runtime has no WebAssembly SIMD; use the JavaScript kernels');
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`SimdArena: bytes must be a non-negative number, received ${bytes}`);
    const instance = instantiateKernels<SimdExports>(mod, bytes);
    this.memory = instance;
    this.k = instance.exports;
    this.capacity = instance.capacity;
    if (options.prefault) {
      const all = new Uint8Array(this.memory.buffer, 0, Math.min(Math.ceil(bytes), this.capacity));
      for (let at = 0; at < all.length; at += PAGE) all[at] = 0;
    }
    this.byteTable = this.take(8 * BYTE_TABLE);
    const tab = new Float64Array(this.memory.buffer, this.byteTable, BYTE_TABLE);
    for (let b = 0; b < BYTE_TABLE; b++) tab[b] = b;
  }

  private take(bytes: number): number {
    const at = this.used;
    const next = at + Math.ceil(bytes / ALIGN) * ALIGN;
    if (next > this.capacity) throw new RangeError(`SimdArena: out of space (${next} bytes needed, ${this.capacity} reserved)`);
    this.used = next;
    return at;
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(8 * n), n);
  }
  i32(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(4 * n), n);
  }
  u16(n: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, this.take(2 * n), n);
  }
  u8(n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.take(n), n);
  }

  /** A copy of `src` in the arena. */
  copyF64(src: Float64Array): Float64Array {
    const a = this.f64(src.length);
    a.set(src);
    return a;
  }

  /** Whether a view lives in this arena's memory. */
  holds(view: ArrayBufferView): boolean {
    return view.buffer === this.memory.buffer;
  }

  /** out[k] = A_{rows[k]} · x for k < m (twin of gemvRows). A.data, rows, x and out must be in the arena. */
  gemvRows(A: Matrix, rows: Int32Array, m: number, x: Float64Array, out: Float64Array): void {
    this.k.gemvRows(A.data.byteOffset, A.cols, rows.byteOffset, m, x.byteOffset, out.byteOffset);
  }

  /** {@link SimdArena.gemvRows} of x into out and of y into outY in one pass over the rows (same bits as two calls). */
  gemvRows2(A: Matrix, rows: Int32Array, m: number, x: Float64Array, out: Float64Array, y: Float64Array, outY: Float64Array): void {
    // gemvRows sums a last unpaired row sequentially: so does this, through gemvRows itself
    const even = m - (m % 2);
    this.k.gemvRows2(A.data.byteOffset, A.cols, rows.byteOffset, even, x.byteOffset, out.byteOffset, y.byteOffset, outY.byteOffset);
    if (even < m) {
      const r = rows.byteOffset + 4 * even;
      this.k.gemvRows(A.data.byteOffset, A.cols, r, 1, x.byteOffset, out.byteOffset + 8 * even);
      this.k.gemvRows(A.data.byteOffset, A.cols, r, 1, y.byteOffset, outY.byteOffset + 8 * even);
    }
  }

  /** out += α Σ_{k<m} w[k] A_{rows[k]} (twin of gemvRowsT with β = 1). Every array must be in the arena. */
  gemvRowsT(alpha: number, A: Matrix, rows: Int32Array, m: number, w: Float64Array, out: Float64Array): void {
    this.k.gemvRowsT(alpha, A.data.byteOffset, A.cols, rows.byteOffset, m, w.byteOffset, out.byteOffset);
  }

  /** out[k·10 + c] = Σ_e value_e zt[pixel_e·10 + c] − offset[c] over row batch[k]'s entries (twin of batchLogits). */
  csr10Logits(X: CsrU8, batch: Int32Array, m: number, zt: Float64Array, offset: Float64Array, out: Float64Array): void {
    this.k.csr10Logits(X.rowStart.byteOffset, X.pixel.byteOffset, X.value.byteOffset, batch.byteOffset, m, zt.byteOffset, offset.byteOffset, out.byteOffset, this.byteTable);
  }

  /** {@link SimdArena.csr10Logits} of two weight matrices on the same rows (same bits as two calls). */
  csr10Logits2(
    X: CsrU8, batch: Int32Array, m: number,
    zt: Float64Array, offset: Float64Array, out: Float64Array,
    vt: Float64Array, offsetV: Float64Array, outV: Float64Array,
  ): void {
    this.k.csr10Logits2(
      X.rowStart.byteOffset, X.pixel.byteOffset, X.value.byteOffset, batch.byteOffset, m,
      zt.byteOffset, offset.byteOffset, out.byteOffset, vt.byteOffset, offsetV.byteOffset, outV.byteOffset, this.byteTable,
    );
  }

  /** out[pixel_e·10 + c] += value_e W[k·10 + c] over the entries of rows batch[k], k < m, in row order. */
  csr10Accumulate(X: CsrU8, batch: Int32Array, m: number, W: Float64Array, out: Float64Array): void {
    this.k.csr10Accumulate(X.rowStart.byteOffset, X.pixel.byteOffset, X.value.byteOffset, batch.byteOffset, m, W.byteOffset, out.byteOffset, this.byteTable);
  }

  /**
   * {@link SimdArena.csr10Accumulate} on paired rows: for each pair and each merged pixel p,
   * `out[p·10 + c] ← (out[p·10 + c] + a·W[k0·10 + c]) + b·W[k1·10 + c]` (k0, k1 the pair's slots, a, b its values).
   * With the pairs of consecutive batch positions (0, 1), (2, 3)… and a finite W this gives the bits of
   * csr10Accumulate (a missing pixel's zero adds a signed zero) with one load and store of out per merged pixel.
   */
  csr10AccumulatePairs(P: PairedCsrU8, W: Float64Array, out: Float64Array): void {
    this.k.csr10AccumulatePairs(P.pairStart.byteOffset, P.pairs, P.pixel.byteOffset, P.values.byteOffset, P.slots.byteOffset, W.byteOffset, out.byteOffset, this.byteTable);
  }

  /**
   * In place, with z already in zt: zt[p·10 + c] ← zt[p·10 + c]·scale[p] and offset[c] = Σ_p mean[p] zt[p·10 + c]
   * (twin of foldScaling). zt, scale, mean and offset must be in the arena; cols = scale.length.
   */
  fold10(zt: Float64Array, scale: Float64Array, mean: Float64Array, offset: Float64Array): void {
    this.k.fold10(zt.byteOffset, scale.byteOffset, mean.byteOffset, scale.length, offset.byteOffset);
  }

  /**
   * In place: acc[p·10 + c] ← (α·scale[p])·(acc[p·10 + c] − mean[p]·sums[c]) for p < scale.length (the last pass of
   * batchGradient). acc, scale and mean must be in the arena; sums (10 numbers) need not be.
   */
  scale10(acc: Float64Array, scale: Float64Array, mean: Float64Array, alpha: number, sums: ArrayLike<number>): void {
    this.k.scale10(
      acc.byteOffset, scale.byteOffset, mean.byteOffset, scale.length, alpha,
      sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7], sums[8], sums[9],
    );
  }

  /**
   * One SAGA memory update (twin of SagaMemory.direction in @bilevel/solvers, same bits) on row j of a table, the
   * row `rows[at .. at + n)` with n = mean.length: with diff = q − row, out = diff + mean, then mean ← mean + w·diff
   * and row ← q. All four arrays must be in the arena (q and out of length n at least), out overlapping none of them.
   */
  sagaDirection(rows: Float64Array, at: number, mean: Float64Array, q: Float64Array, out: Float64Array, w: number): void {
    this.k.sagaDirection(rows.byteOffset + 8 * at, mean.byteOffset, q.byteOffset, out.byteOffset, mean.length, w);
  }
}
