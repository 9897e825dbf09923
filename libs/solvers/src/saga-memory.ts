/**
 * SAGA memory of one sample-wise quantity q (Defazio, Bach, Lacoste-Julien, NeurIPS 2014), one row per batch
 * block, as SABA keeps it for each of its five quantities.
 *
 * For block j with weight w_j (its share of the samples), `direction(j, q, out)` writes
 *   d = q − m_j + m̄,  with  m̄ = Σ_b w_b m_b,
 * then updates m̄ ← m̄ + w_j (q − m_j) and m_j ← q. Weighted by block size, m̄ is exactly the full-batch mean
 * once every row holds the current quantity, even when blocks differ in size. Rows start at zero (as in the
 * public benchmark) unless filled with {@link SagaMemory.fill}. Updates its buffers in place.
 */
export class SagaMemory {
  readonly rows: Float64Array;
  readonly mean: Float64Array;

  constructor(
    readonly nBlocks: number,
    readonly dim: number,
    private readonly weights: ArrayLike<number>,
  ) {
    if (weights.length !== nBlocks) {
      throw new RangeError(`SagaMemory: ${weights.length} weights for ${nBlocks} blocks`);
    }
    this.rows = new Float64Array(nBlocks * dim);
    this.mean = new Float64Array(dim);
  }

  /** Direction for block j from its fresh value q (length dim), written into out; updates the memory. */
  direction(j: number, q: Float64Array, out: Float64Array): void {
    const d = this.dim;
    const off = j * d;
    const rows = this.rows;
    const mean = this.mean;
    const w = this.weights[j];
    for (let k = 0; k < d; k++) {
      const diff = q[k] - rows[off + k];
      out[k] = diff + mean[k];
      mean[k] += w * diff;
      rows[off + k] = q[k];
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
