import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng';
import { BlockSampler } from './block-sampler';

const draws = (r: Rng, k: number) => Array.from({ length: k }, () => r.float());

test('same seed, same numbers; different seeds, different numbers', () => {
  assert.deepEqual(draws(Rng.fromSeed(42), 50), draws(Rng.fromSeed(42), 50));
  assert.notDeepEqual(draws(Rng.fromSeed(42), 50), draws(Rng.fromSeed(43), 50));
});

test('nearby, negative and large seeds all give different streams', () => {
  const seeds = [0, 1, -1, -2, 2, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  const firsts = seeds.map((s) => draws(Rng.fromSeed(s), 4).join());
  assert.equal(new Set(firsts).size, seeds.length);
  assert.throws(() => Rng.fromSeed(0.5), /seed must be a safe integer, received 0.5/);
});

test('state and fromState resume a generator exactly', () => {
  const r = Rng.fromSeed(3);
  draws(r, 17);
  const saved = r.state();
  const a = draws(r, 20);
  assert.deepEqual(draws(Rng.fromState(saved), 20), a);
});

test('split gives independent streams that do not depend on the parent drawing order', () => {
  const p1 = Rng.fromSeed(9);
  const c1 = p1.split();
  const c2 = p1.split();
  assert.notDeepEqual(draws(c1.clone(), 10), draws(c2.clone(), 10));
  const p2 = Rng.fromSeed(9);
  const d1 = p2.split();
  draws(d1, 1000); // consuming one child leaves the sibling unchanged
  const d2 = p2.split();
  assert.deepEqual(draws(d2, 10), draws(c2, 10));
});

test('normal draws have mean 0 and variance 1 (5 standard errors over 1e5 draws)', () => {
  const r = Rng.fromSeed(11);
  const n = 100000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n));
});

test('BlockSampler visits each fixed block exactly once per epoch and reshuffles the order', () => {
  const n = 103;
  const sampler = new BlockSampler(n, 10, Rng.fromSeed(5));
  assert.equal(sampler.nBlocks, 11);
  const sizes = Array.from({ length: 11 }, (_, b) => sampler.block(b).indices.length);
  assert.ok(Math.max(...sizes) <= 10 && Math.max(...sizes) - Math.min(...sizes) <= 1);
  assert.equal(sizes.reduce((a, b) => a + b, 0), n);
  const contents = Array.from({ length: 11 }, (_, b) => Array.from(sampler.block(b).indices).join());
  const orders: number[][] = [];
  for (let epoch = 0; epoch < 6; epoch++) {
    const seen = new Set<number>();
    const blocks: number[] = [];
    for (let k = 0; k < 11; k++) {
      const batch = sampler.next();
      blocks.push(batch.block);
      assert.equal(Array.from(batch.indices).join(), contents[batch.block], 'block content is fixed');
      batch.indices.forEach((i) => seen.add(i));
    }
    assert.equal(new Set(blocks).size, 11, 'every block once per epoch');
    assert.equal(seen.size, n, 'every sample once per epoch');
    orders.push(blocks);
    assert.equal(sampler.epoch, epoch + 1);
  }
  assert.ok(new Set(orders.map((o) => o.join())).size > 1, 'the block order changes between epochs');
  const weights = Array.from({ length: 11 }, (_, b) => sampler.block(b).weight).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(weights - 1) < 1e-15);
});

test('BlockSampler rejects bad sizes', () => {
  assert.throws(() => new BlockSampler(0, 4, Rng.fromSeed(1)), /n must be a positive integer/);
  assert.throws(() => new BlockSampler(10, 0.5, Rng.fromSeed(1)), /batchSize must be a positive integer/);
});
