import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSampler, Rng } from '@bilevel/linalg';
import { IndependentBatches } from './independent-batches';

test('IndependentBatches: block b is drawn with probability |b|/n (blocks of sizes 4, 3, 3)', () => {
  const batches = new IndependentBatches(10, 4, Rng.fromSeed(1));
  const counts = [0, 0, 0];
  const draws = 30_000;
  for (let i = 0; i < draws; i++) counts[batches.next().block]++;
  const weights = [0, 1, 2].map((b) => batches.blocks.block(b).weight);
  assert.deepEqual(weights.map((w) => w * 10).sort(), [3, 3, 4]);
  // binomial standard deviation √(0.4·0.6/30000) = 0.0028: 0.01 is a 3.5σ band
  for (let b = 0; b < 3; b++) assert.ok(Math.abs(counts[b] / draws - weights[b]) < 0.01, `block ${b}: ${counts[b] / draws} vs ${weights[b]}`);
});

test('IndependentBatches: the mean of a product of two draws is the product of the means; an epoch sampler is biased', () => {
  // a scalar per sample; q_B = its mean over a block. E[q_{B1} q_{B2}] = q̄² for independent draws, while
  // consecutive blocks of one epoch are distinct, which gives (k²q̄² − Σ_b q_b²)/(k(k − 1)) for k equal blocks.
  const n = 8;
  const value = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 40]); // one block has mean 20, the other three 0
  const mean = (idx: Int32Array) => idx.reduce((s, j) => s + value[j], 0) / idx.length;
  const qbar = value.reduce((s, v) => s + v, 0) / n;
  const iid = new IndependentBatches(n, 2, Rng.fromSeed(2));
  const epoch = new BlockSampler(n, 2, Rng.fromSeed(3));
  const k = epoch.nBlocks;
  const blockMeans = Array.from({ length: k }, (_, b) => mean(epoch.block(b).indices));
  const epochExpected = (k * k * qbar * qbar - blockMeans.reduce((s, q) => s + q * q, 0)) / (k * (k - 1));
  const reps = 40_000;
  let sIid = 0;
  let sEpoch = 0;
  for (let r = 0; r < reps; r++) {
    sIid += mean(iid.next().indices) * mean(iid.next().indices);
    sEpoch += mean(epoch.next().indices) * mean(epoch.next().indices); // two blocks of one epoch (4 blocks, even)
  }
  // q̄² = 25, while two distinct blocks never both hold the 40, so the epoch expectation is exactly 0. The product is
  // 400 with probability 1/16 for independent draws: standard deviation 97/√40000 = 0.48, so 2 is a 4σ band.
  assert.equal(epochExpected, 0);
  assert.ok(Math.abs(sIid / reps - qbar * qbar) < 2, `iid: ${sIid / reps} vs ${qbar * qbar}`);
  assert.equal(sEpoch, 0);
});
