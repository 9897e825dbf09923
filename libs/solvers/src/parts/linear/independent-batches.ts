import { BlockSampler } from '@bilevel/linalg';
import type { Batch, Rng } from '@bilevel/linalg';

/**
 * Minibatches drawn independently (with replacement) from the fixed blocks of a {@link BlockSampler}: each call picks
 * block b with probability equal to its weight |b|/n, so E[q_B] is the full-batch mean of any sample-wise quantity q,
 * and, the draws being independent, the mean of a product of minibatch operators is the product of the means.
 *
 * That is what a stochastic Neumann series needs (StocBiO): a BlockSampler's epochs draw blocks *without*
 * replacement, so two products in one epoch never share a block and E[A_{B₁}A_{B₂}] = Ā² − Cov/(k − 1) ≠ Ā².
 *
 * @example const batches = new IndependentBatches(problem.nInner, 64, rng); problem.innerHvp(z, x, p, batches.next().indices, out)
 */
export class IndependentBatches {
  /** The fixed partition into blocks (the same blocks an epoch sampler with this RNG would use). */
  readonly blocks: BlockSampler;
  private readonly cumulative: Float64Array;

  constructor(
    n: number,
    batchSize: number,
    private readonly rng: Rng,
  ) {
    this.blocks = new BlockSampler(n, batchSize, rng.split());
    this.cumulative = new Float64Array(this.blocks.nBlocks);
    let c = 0;
    for (let b = 0; b < this.blocks.nBlocks; b++) {
      c += this.blocks.block(b).weight;
      this.cumulative[b] = c;
    }
  }

  /** An independent draw: block b with probability |b|/n. */
  next(): Batch {
    const u = this.rng.float() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < this.cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.blocks.block(lo);
  }
}
