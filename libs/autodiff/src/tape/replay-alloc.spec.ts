// A dense layer whose loss ends in a mean replays without allocating, measured as the heap's growth with no
// collection in between (the heap tests' forced collections hide garbage that no scavenge has reached yet): a mean's
// 1/count, merged with the node's scale field in one conditional expression, was boxed, 16 bytes a replay (and the
// models benchmark's MLP saw a collection over 10⁵ HVPs). Recorded first in a fresh process (each spec file runs in
// its own), where V8's field layout for the tape's nodes is the one under which the box appeared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sampleData, SAMPLES } from '../fixtures/tape-cases';
import { Tape } from './tape';

const WARMUP = 5_000;
const REPLAYS = 50_000;
/** Bytes a replay allowed: the JIT's late code and feedback (a few KB in all); one boxed number is 16. */
const PER_REPLAY = 4;

/** Windows of REPLAYS calls measured; the least-allocating one counts. */
const WINDOWS = 3;

/**
 * heapUsed growth over REPLAYS calls with no collection forced in between, and the collections V8 ran, in the window
 * of WINDOWS that grew least. A replay that allocates (a boxed number) grows every window alike; the JIT's late code
 * and feedback land in one window, later on a loaded machine, where the compiler threads wait for a core (a CI run
 * with two busy loops beside it measured 1.8 MB in one window).
 */
function allocation(step: (i: number) => void): { growth: number; collections: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < WARMUP; i++) step(i);
  let best = { growth: Infinity, collections: Infinity };
  for (let w = 0; w < WINDOWS; w++) {
    gc();
    gc();
    const profiler = new GCProfiler();
    profiler.start();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < REPLAYS; i++) step(i);
    const after = process.memoryUsage().heapUsed;
    const collections = profiler.stop()?.statistics.length ?? 0;
    if (after - before < best.growth) best = { growth: after - before, collections };
  }
  return best;
}

for (const order of [0, 1, 2] as const) {
  test(`a dense layer's ${['values', 'gradients', 'HVPs'][order]} ending in a mean allocate nothing`, (t) => {
    const tape = new Tape({ maxBatch: 4 });
    const W = tape.input([20, 10], 'W');
    const b = tape.input([10], 'b');
    const labels = tape.gatherLabels(Int32Array.from({ length: SAMPLES }, (_, j) => j % 10));
    tape.output(tape.mean(tape.softmaxCrossEntropy(tape.relu(tape.linear(tape.gatherRows(sampleData(20), [20]), W, b)), labels)));
    const params = [W, b];
    params.forEach((p, k) => p.val.forEach((_, i) => (p.val[i] = p.dot[i] = Math.sin(i + k))));
    const plan = tape.plan({ order, wrt: params, direction: params });
    const batch = Int32Array.of(0, 2, 4, 6);
    const r = allocation(() => plan.run(batch));
    t.diagnostic(`heapUsed growth over ${REPLAYS} replays (the least of ${WINDOWS} windows), no collection forced: ${r.growth} bytes, ${r.collections} collections`);
    assert.equal(r.collections, 0, `garbage collections during ${REPLAYS} replays: ${r.collections}`);
    assert.ok(r.growth <= PER_REPLAY * REPLAYS, `${(r.growth / REPLAYS).toFixed(1)} bytes allocated a replay`);
  });
}
