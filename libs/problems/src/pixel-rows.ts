import type { SimdArena } from '@bilevel/linalg';
import type { PairedBatches } from './paired-rows';
/**
 * Images stored as a sparse matrix of their raw 8-bit pixels (compressed sparse rows: only the non-zero pixels,
 * about half of a Fashion-MNIST image), read by the softmax kernels as *standardized* features
 *
 *   a_ip = (u_ip − μ_p) / s_p,
 *
 * with μ and s the per-pixel mean and standard deviation of a reference set (the training samples, as
 * scikit-learn's StandardScaler in the public benchmark; a pixel of zero spread gets s = 1, so it is only centred).
 * The standardization is never materialized: `A z = U (z ⊘ s) − 1 μᵀ(z ⊘ s)` and `Aᵀw = (Uᵀw − μ Σw) ⊘ s`, so the
 * kernels touch 3 bytes per non-zero pixel instead of 8 per pixel (20,000 Fashion-MNIST images: 23 MB instead of
 * 125 MB of float64, and measured 1.2–1.4× faster per batch than the dense float64 loop).
 */
export interface PixelRows {
  /** Number of images (rows). */
  readonly rows: number;
  /** Pixels per image (columns), at most 65,536. */
  readonly cols: number;
  /** Row i holds the entries `rowStart[i] .. rowStart[i + 1] − 1`. Length rows + 1. */
  readonly rowStart: Int32Array;
  /** Column (pixel index) of each stored entry. */
  readonly pixel: Uint16Array;
  /** Value 1..255 of each stored entry. */
  readonly value: Uint8Array;
  /** Set when the rows live in a WebAssembly arena: the softmax kernels then run in SIMD (see softmax-kernels.ts). */
  readonly simd?: PixelSimd;
}

/** The arena holding a {@link PixelRows} and the kernels' scratch buffers in it. */
export interface PixelSimd {
  readonly arena: SimdArena;
  /** Batch indices are copied here before a kernel call (length ≥ every batch). */
  readonly batch: Int32Array;
  /** Gradient accumulator, cols × 10. */
  readonly acc: Float64Array;
  /** Batches as pairs of rows for the gradient accumulation (built once per batch), when the arena has room for them. */
  readonly pairs?: PairedBatches;
}

/** Number of non-zero pixels of the rows `select` (the stored entries of {@link pixelRows}). */
export function countStored(pixels: Uint8Array, cols: number, select: ArrayLike<number>): number {
  let nnz = 0;
  for (let r = 0; r < select.length; r++) {
    const off = select[r] * cols;
    for (let p = 0; p < cols; p++) if (pixels[off + p] !== 0) nnz++;
  }
  return nnz;
}

/** Per-pixel standardization: a = (u − mean) ⊘ std, with `invStd = 1 / std` (1 where std = 0). */
export interface PixelScaling {
  readonly mean: Float64Array;
  readonly invStd: Float64Array;
  /** The arena `mean` and `invStd` live in, if any: then foldScaling and batchGradient run their passes in SIMD. */
  readonly arena?: SimdArena;
}

/** A copy of `scaling` in `arena` (2 × cols float64 of its space), for the SIMD passes of the pixel kernels. */
export function scalingIn(scaling: PixelScaling, arena: SimdArena): PixelScaling {
  return { mean: arena.copyF64(scaling.mean), invStd: arena.copyF64(scaling.invStd), arena };
}

/**
 * The rows `select` (indices of images in `pixels`, `cols` bytes each) as {@link PixelRows}, in the order given.
 * Throws a RangeError on an index outside the images or more than 65,536 pixels per image.
 */
export function pixelRows(pixels: Uint8Array, cols: number, select: ArrayLike<number>, simd?: PixelSimd): PixelRows {
  if (!Number.isInteger(cols) || cols < 1 || cols > 65536) throw new RangeError(`pixelRows: cols must be an integer in 1..65536, received ${cols}`);
  const count = Math.floor(pixels.length / cols);
  const rows = select.length;
  const rowStart = new Int32Array(rows + 1);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    const i = select[r];
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`pixelRows: row ${r} selects image ${i}, expected 0..${count - 1}`);
    const off = i * cols;
    for (let p = 0; p < cols; p++) if (pixels[off + p] !== 0) nnz++;
    rowStart[r + 1] = nnz;
  }
  const pixel = simd ? simd.arena.u16(nnz) : new Uint16Array(nnz);
  const value = simd ? simd.arena.u8(nnz) : new Uint8Array(nnz);
  const starts = simd ? simd.arena.i32(rows + 1) : rowStart;
  if (simd) starts.set(rowStart);
  let e = 0;
  for (let r = 0; r < rows; r++) {
    const off = select[r] * cols;
    for (let p = 0; p < cols; p++) {
      const u = pixels[off + p];
      if (u !== 0) {
        pixel[e] = p;
        value[e++] = u;
      }
    }
  }
  return simd ? { rows, cols, rowStart: starts, pixel, value, simd } : { rows, cols, rowStart, pixel, value };
}

/** Mean and (population) standard deviation of each pixel over all rows, as a {@link PixelScaling}. */
export function pixelScaling(X: PixelRows): PixelScaling {
  const { rows, cols, rowStart, pixel, value } = X;
  const sum = new Float64Array(cols);
  const stored = new Float64Array(cols);
  for (let e = 0; e < rowStart[rows]; e++) {
    sum[pixel[e]] += value[e];
    stored[pixel[e]]++;
  }
  const mean = new Float64Array(cols);
  for (let p = 0; p < cols; p++) mean[p] = sum[p] / rows;
  // two passes (Σ (u − μ)², the zero pixels contributing (rows − stored)·μ²), so a constant pixel gets exactly 0
  const ss = new Float64Array(cols);
  for (let e = 0; e < rowStart[rows]; e++) {
    const c = value[e] - mean[pixel[e]];
    ss[pixel[e]] += c * c;
  }
  const invStd = new Float64Array(cols);
  for (let p = 0; p < cols; p++) {
    const std = Math.sqrt((ss[p] + (rows - stored[p]) * mean[p] * mean[p]) / rows);
    invStd[p] = std > 0 ? 1 / std : 1;
  }
  return { mean, invStd };
}

/** The standardized features of row r as a dense array (for tests and reference computations). */
export function denseRow(X: PixelRows, scaling: PixelScaling, r: number, out: Float64Array = new Float64Array(X.cols)): Float64Array {
  const { mean, invStd } = scaling;
  for (let p = 0; p < X.cols; p++) out[p] = -mean[p] * invStd[p];
  for (let e = X.rowStart[r]; e < X.rowStart[r + 1]; e++) {
    const p = X.pixel[e];
    out[p] = (X.value[e] - mean[p]) * invStd[p];
  }
  return out;
}
