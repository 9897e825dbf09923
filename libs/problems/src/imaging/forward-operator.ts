import { InputError } from '@bilevel/io';

/**
 * The forward model `A` of an imaging task on one `width × height` image (row-major), applied to the segment of
 * a long vector that starts at an offset, so a batch of images stored back to back needs no copies or views.
 */
export interface ForwardOperator {
  /** `identity` (denoising) or `gaussian-blur` (deblurring). */
  readonly name: 'identity' | 'gaussian-blur';
  readonly width: number;
  readonly height: number;
  /** dst[do…] ← A·src[so…]. */
  apply(src: Float64Array, so: number, dst: Float64Array, dOff: number): void;
  /** dst[do…] += scale·Aᵀ·src[so…]. */
  adjointAdd(src: Float64Array, so: number, dst: Float64Array, dOff: number, scale: number): void;
  /** An upper bound on ‖A‖² (1 for the identity). */
  readonly normSquaredBound: number;
  /** A lower bound on the smallest eigenvalue of AᵀA (1 for the identity, 0 when unknown). */
  readonly minEigenvalueBound: number;
}

/** The identity: denoising. */
export function identityOperator(width: number, height: number): ForwardOperator {
  return {
    name: 'identity',
    width,
    height,
    apply(src, so, dst, dOff) {
      dst.set(src.subarray(so, so + width * height), dOff);
    },
    adjointAdd(src, so, dst, dOff, scale) {
      for (let p = 0; p < width * height; p++) dst[dOff + p] += scale * src[so + p];
    },
    normSquaredBound: 1,
    minEigenvalueBound: 1,
  };
}

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** Kernel side (odd). Default 5. */
  readonly size?: number;
  /** Standard deviation in pixels. Default 1. */
  readonly sigma?: number;
}

/** Mirror index about the edge pixel (numpy/torch `reflect`: −1 → 1, n → n − 2); for n = 1 always 0. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/**
 * Blur by a normalized `size × size` Gaussian kernel of standard deviation `sigma` (defaults 5 × 5, σ = 1: the
 * deblurring task of the MAID paper), with reflect boundary (numpy/torch `reflect`, mirrored about the edge pixel):
 * (A z)[r, c] = Σ_{a,b} k[a, b] z[refl(r + a), refl(c + b)], a, b ∈ −h…h. Aᵀ scatters with the same index table.
 * ‖A‖² is bounded by (max row sum)·(max column sum) of |A| (Schur's test); AᵀA is nearly singular at the highest
 * frequencies, so no useful lower bound is claimed.
 */
export function gaussianBlur(width: number, height: number, options: GaussianBlurOptions = {}): ForwardOperator {
  const size = options.size ?? 5;
  const sigma = options.sigma ?? 1;
  if (!(Number.isInteger(size) && size >= 1 && size % 2 === 1)) throw new InputError(`blur size must be an odd positive integer, received ${String(size)}`, 'gaussianBlur');
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new InputError(`blur sigma must be a positive number, received ${String(sigma)}`, 'gaussianBlur');
  const half = (size - 1) / 2;
  const k1 = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const s1 = k1.reduce((a, b) => a + b, 0);
  const kernel = new Float64Array(size * size);
  for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) kernel[a * size + b] = (k1[a] * k1[b]) / (s1 * s1);
  const n = width * height;
  const s2 = size * size;
  const index = new Int32Array(n * s2);
  const colSum = new Float64Array(n);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      for (let a = 0; a < size; a++) {
        const rr = reflectIndex(r + a - half, height);
        for (let b = 0; b < size; b++) {
          const q = rr * width + reflectIndex(c + b - half, width);
          index[p * s2 + a * size + b] = q;
          colSum[q] += kernel[a * size + b];
        }
      }
    }
  }
  let maxCol = 0;
  for (let q = 0; q < n; q++) maxCol = Math.max(maxCol, colSum[q]);
  return {
    name: 'gaussian-blur',
    width,
    height,
    apply(src, so, dst, dOff) {
      for (let p = 0; p < n; p++) {
        let s = 0;
        const base = p * s2;
        for (let t = 0; t < s2; t++) s += kernel[t] * src[so + index[base + t]];
        dst[dOff + p] = s;
      }
    },
    adjointAdd(src, so, dst, dOff, scale) {
      for (let p = 0; p < n; p++) {
        const v = scale * src[so + p];
        const base = p * s2;
        for (let t = 0; t < s2; t++) dst[dOff + index[base + t]] += kernel[t] * v;
      }
    },
    normSquaredBound: maxCol, // rows sum to 1
    minEigenvalueBound: 0,
  };
}
