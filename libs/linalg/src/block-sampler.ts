import type { Rng, RngState } from './rng';

/** One minibatch: the block's id (its row in a SAGA-style memory) and the sample indices it holds. */
export interface Batch {
  readonly block: number;
  readonly indices: Int32Array;
  /** Fraction of all samples in this block, `indices.length / n` (weights an unbiased average of blocks). */
  readonly weight: number;
}

/** Serializable position of a {@link BlockSampler}. */
export interface BlockSamplerState {
  readonly rng: RngState;
  readonly blockOrder: number[];
  readonly position: number;
  readonly epoch: number;
}

/**
 * Minibatches as contiguous blocks of a shuffled sample order, the sampling of the public bilevel benchmark
 * without its defects.
 *
 * - The samples 0..n-1 are shuffled once (seeded) and cut into `ceil(n / batchSize)` contiguous blocks whose sizes
 *   differ by at most one (so no block is a tiny remainder and none exceeds `batchSize`).
 * - Blocks keep their content for the whole run, so a block id names a fixed set of samples (a SAGA memory row).
 * - Each epoch visits every block exactly once, in an order drawn afresh each epoch (the first epoch too).
 *
 * `next()` returns views into internal buffers; they stay valid (the content of a block never changes).
 */
export class BlockSampler {
  readonly n: number;
  readonly batchSize: number;
  readonly nBlocks: number;
  /** The sample order fixed at construction; block b is `order.subarray(starts[b], starts[b + 1])`. */
  readonly order: Int32Array;
  private readonly batches: Batch[];
  private readonly blockOrder: Int32Array;
  private position = 0;
  private epochCount = 0;

  constructor(n: number, batchSize: number, private readonly rng: Rng, shuffleSamples = true) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`BlockSampler: n must be a positive integer, received ${n}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`BlockSampler: batchSize must be a positive integer, received ${batchSize}`);
    }
    this.n = n;
    this.batchSize = Math.min(batchSize, n);
    this.nBlocks = Math.ceil(n / this.batchSize);
    this.order = shuffleSamples ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const base = Math.floor(n / this.nBlocks);
    const extra = n % this.nBlocks;
    this.batches = [];
    let start = 0;
    for (let b = 0; b < this.nBlocks; b++) {
      const size = base + (b < extra ? 1 : 0);
      this.batches.push({ block: b, indices: this.order.subarray(start, start + size), weight: size / n });
      start += size;
    }
    this.blockOrder = Int32Array.from({ length: this.nBlocks }, (_, i) => i);
    this.rng.shuffle(this.blockOrder);
  }

  /** The next batch; after the last block of an epoch the block order is reshuffled. */
  next(): Batch {
    const batch = this.batches[this.blockOrder[this.position]];
    this.position++;
    if (this.position === this.nBlocks) {
      this.position = 0;
      this.epochCount++;
      this.rng.shuffle(this.blockOrder);
    }
    return batch;
  }

  /** The batch of block `b` (fixed content). */
  block(b: number): Batch {
    return this.batches[b];
  }

  /** Number of completed epochs. */
  get epoch(): number {
    return this.epochCount;
  }

  /** Position within the current epoch, for checkpoints. */
  state(): BlockSamplerState {
    return { rng: this.rng.state(), blockOrder: Array.from(this.blockOrder), position: this.position, epoch: this.epochCount };
  }
}
