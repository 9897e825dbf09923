import { SimdArena, simdAvailable } from '@bilevel/linalg';

/** Row length from which a {@link SagaMemory} lives in a WebAssembly arena and updates in SIMD (when available). */
const SIMD_MIN_DIM = 256;
/** Largest table kept in an arena (a WebAssembly memory holds at most 4 GiB); larger ones stay in JavaScript. */
const SIMD_MAX_BYTES = 2 ** 31;

/**
 * SAGA memory of one sample-wise quantity q (Defazio, Bach, Lacoste-Julien, NeurIPS 2014), one row per batch
 * block, as SABA keeps it for each of its five quantities.
 *
 * For block j with weight w_j (its share of the samples), `direction(j, q, out)` writes
 *   d = q − m_j + m̄,  with  m̄ = Σ_b w_b m_b,
 * then updates m̄ ← m̄ + w_j (q − m_j) and m_j ← q. Weighted by block size, m̄ is exactly the full-batch mean
 * once every row holds the current quantity, even when blocks differ in size. Rows start at zero (as in the
 * public benchmark) unless filled with {@link SagaMemory.fill}. Updates its buffers in place.
 *
 * Rows of 256 entries or more live in a WebAssembly arena when the runtime has SIMD (and `BILEVEL_KERNELS` is not
 * `js`): `direction` then runs in f64x2 SIMD, with the same bits, when its q and out are the memory's own buffers
 * {@link SagaMemory.q} and {@link SagaMemory.out} (measured at dim 7,840, 313 rows: 25–27 µs → 7–8 µs a call).
 */
export class SagaMemory {
  readonly rows: Float64Array;
  readonly mean: Float64Array;
  /** Buffers of length dim for `direction`'s q and out: in the arena when there is one, so the update runs in SIMD. */
  readonly q: Float64Array;
  readonly out: Float64Array;
  /** The SIMD update of row j, or undefined without an arena (a function: left out of captured state). */
  private readonly simd: ((j: number, q: Float64Array, out: Float64Array) => boolean) | undefined;

  constructor(
    readonly nBlocks: number,
    readonly dim: number,
    private readonly weights: ArrayLike<number>,
  ) {
    if (weights.length !== nBlocks) {
      throw new RangeError(`SagaMemory: ${weights.length} weights for ${nBlocks} blocks`);
    }
    const bytes = SimdArena.bytesFor({ f64: [nBlocks * dim, dim, dim, dim] });
    const arena = dim >= SIMD_MIN_DIM && bytes <= SIMD_MAX_BYTES && simdAvailable() ? new SimdArena(bytes, { prefault: true }) : undefined;
    // prefaulted: every row is written within the first epoch anyway; at set-up, not one page at a time then
    const f64 = (n: number) => (arena ? arena.f64(n) : new Float64Array(n));
    const rows = f64(nBlocks * dim);
    const mean = f64(dim);
    this.rows = rows;
    this.mean = mean;
    this.q = f64(dim);
    this.out = f64(dim);
    this.simd =
      arena &&
      ((j, q, out) => {
        if (!arena.holds(q) || !arena.holds(out)) return false;
        arena.sagaDirection(rows, j * dim, mean, q, out, weights[j]);
        return true;
      });
  }

  /**
   * Direction for block j from its fresh value q (length dim), written into out (which must not share memory with
   * q or the memory's buffers); updates the memory. Two coordinates a pass with every read before the writes, so
   * the engine need not reload after a store that might alias (measured at dim 7,840: 31 µs → 13 µs).
   */
  direction(j: number, q: Float64Array, out: Float64Array): void {
    if (this.simd !== undefined && this.simd(j, q, out)) return;
    const d = this.dim;
    const off = j * d;
    const rows = this.rows;
    const mean = this.mean;
    const w = this.weights[j];
    const even = d - (d % 2);
    let k = 0;
    for (; k < even; k += 2) {
      const q0 = q[k];
      const q1 = q[k + 1];
      const diff0 = q0 - rows[off + k];
      const diff1 = q1 - rows[off + k + 1];
      const m0 = mean[k];
      const m1 = mean[k + 1];
      out[k] = diff0 + m0;
      out[k + 1] = diff1 + m1;
      mean[k] = m0 + w * diff0;
      mean[k + 1] = m1 + w * diff1;
      rows[off + k] = q0;
      rows[off + k + 1] = q1;
    }
    if (k < d) {
      const q0 = q[k];
      const diff0 = q0 - rows[off + k];
      const m0 = mean[k];
      out[k] = diff0 + m0;
      mean[k] = m0 + w * diff0;
      rows[off + k] = q0;
    }
  }

  /** Sets row j to q, keeping the mean consistent (used to initialize the memory with full passes). */
  fill(j: number, q: Float64Array): void {
    const d = this.dim;
    const off = j * d;
    const w = this.weights[j];
    for (let k = 0; k < d; k++) {
      this.mean[k] += w * (q[k] - this.rows[off + k]);
      this.rows[off + k] = q[k];
    }
  }
}

/**
 * SAGA memory of a quantity whose value on block j is zero outside block j's own coordinates (one outer weight per
 * sample: the cross term ∇²_xz g_j·v of data hyper-cleaning), so the table of one row per block collapses to one
 * number per coordinate: `values[i]` is the memory entry of coordinate i in the row of the block that owns i. Memory
 * 2·dim numbers instead of (nBlocks + 1)·dim. The blocks must partition the coordinates (as {@link BlockSampler}
 * blocks do) and keep their content.
 *
 * `direction(j, indices, q, out)` takes the fresh values q on the block's coordinates and writes the block's part of
 * the SAGA direction, `out[k] = q[k] − m_j[i] + m̄[i]` (i = indices[k]), with exactly the arithmetic of
 * {@link SagaMemory.direction}; on every other coordinate the direction is `mean[i]`, which the update leaves
 * unchanged there. Updates its buffers in place.
 */
export class BlockSparseSagaMemory {
  readonly values: Float64Array;
  readonly mean: Float64Array;

  constructor(
    readonly dim: number,
    private readonly weights: ArrayLike<number>,
  ) {
    this.values = new Float64Array(dim);
    this.mean = new Float64Array(dim);
  }

  /** Block j's part of the direction from its fresh values q (length indices.length), written into out; updates the memory. */
  direction(j: number, indices: Int32Array, q: Float64Array, out: Float64Array): void {
    const values = this.values;
    const mean = this.mean;
    const w = this.weights[j];
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      const diff = q[k] - values[i];
      out[k] = diff + mean[i];
      mean[i] += w * diff;
      values[i] = q[k];
    }
  }
}
