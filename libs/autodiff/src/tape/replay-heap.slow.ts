// Replays allocate nothing, at length: 10⁵ Hessian-vector products (with the cross product in the same sweep) of the
// small convnet of replay-heap.spec.ts leave the heap flat and trigger no garbage collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smallConvnet } from '../fixtures/small-convnet';
import { HEAP_SLACK, heapProbe } from '../fixtures/heap-probe';

const HVPS = 100_000;
const WARMUP = 2_000;

test(`${HVPS} convnet HVPs leave the heap flat and collect no garbage`, (t) => {
  const net = smallConvnet({ size: 8, channels: 2, maxBatch: 4 });
  const batches = Array.from({ length: 4 }, (_, k) => Int32Array.from({ length: 4 - (k % 2) }, (_, j) => (3 * k + j) % net.samples));
  const figures = heapProbe((i) => net.hvp.run(batches[i % batches.length]), WARMUP, HVPS);
  t.diagnostic(`heapUsed over ${HVPS} HVPs: ${figures.before} → ${figures.after} bytes (growth ${figures.growth}), ${figures.collections} collections`);
  assert.ok(figures.growth <= HEAP_SLACK, `heap grew by ${figures.growth} bytes over ${HVPS} HVPs`);
  assert.equal(figures.collections, 0, `garbage collections during ${HVPS} HVPs: ${figures.collections}`);
});
