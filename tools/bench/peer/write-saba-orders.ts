import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlockSampler, Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';

/** The five samplers of SABA, in the order the numpy peer names them. */
export const SABA_SAMPLERS = ['inner', 'hvp', 'outerZ', 'cross', 'outerX'] as const;

/**
 * Writes, for each of SABA's five samplers, the sample order (`<name>.order.bin`, int32, length n) and the block ids
 * it draws in its first `iters` calls (`<name>.sequence.bin`, int32), exactly as a run of `saba({ batchSize })` with
 * this `seed` draws them, so the numpy peer (`--replay`) sees the same minibatches.
 *
 * This mirrors how the drivers hand out randomness (libs/streams/src/run.ts `prepare`: `Rng.fromSeed(seed)`, one
 * split per stream in the order inner, linsys, outer) and how libs/solvers/src/saba.ts splits each stream's
 * generator (inner: the gradient sampler; linsys: the HVP sampler then the ∇_z F sampler; outer: the cross sampler
 * then the ∇_x F sampler, on the dense and the sparse path alike). If either changes, the replay check of
 * `npm run bench -- peer --check 1` fails loudly (the iterates no longer agree), which is what it is there for.
 */
export function writeSabaOrders(problem: BilevelProblem, batchSize: number, seed: number, iters: number, dir: string): void {
  const fn = 'writeSabaOrders';
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: batchSize must be a positive integer, received ${batchSize}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer, received ${seed}`);
  if (!Number.isSafeInteger(iters) || iters < 0) throw new RangeError(`${fn}: iters must be an integer ≥ 0, received ${iters}`);
  mkdirSync(dir, { recursive: true });
  const root = Rng.fromSeed(seed);
  const [inner, linsys, outer] = [root.split(), root.split(), root.split()];
  const samplers: Record<(typeof SABA_SAMPLERS)[number], BlockSampler> = {
    inner: new BlockSampler(problem.nInner, batchSize, inner.split()),
    hvp: new BlockSampler(problem.nInner, batchSize, linsys.split()),
    outerZ: new BlockSampler(problem.nOuter, batchSize, linsys.split()),
    cross: new BlockSampler(problem.nInner, batchSize, outer.split()),
    outerX: new BlockSampler(problem.nOuter, batchSize, outer.split()),
  };
  for (const name of SABA_SAMPLERS) {
    const s = samplers[name];
    const sequence = new Int32Array(iters);
    for (let t = 0; t < iters; t++) sequence[t] = s.next().block;
    const order = Int32Array.from(s.order);
    writeFileSync(join(dir, `${name}.order.bin`), new Uint8Array(order.buffer));
    writeFileSync(join(dir, `${name}.sequence.bin`), new Uint8Array(sequence.buffer));
  }
}
