// The bit-for-bit comparison of two runs' checkpoints (the peer benchmark's check that our drivers agree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointMismatch } from './checkpoint-mismatch';

const cp = (iter: number, x: number[], z: number[], v: number[]) => ({ iter, x: Float64Array.from(x), z: Float64Array.from(z), v: Float64Array.from(v) });
const run = () => [cp(0, [0], [0, 0], [0, 0]), cp(10, [0.5], [0.1, 0.2], [0.3, NaN])];

test('identical runs (NaN included) have no mismatch', () => {
  assert.equal(checkpointMismatch(run(), run()), null);
});

test('one ulp in one entry is a mismatch that names the iteration, variable and entry', () => {
  const other = run();
  other[1].z[1] = 0.2 + Number.EPSILON / 4; // the next double after 0.2
  assert.notEqual(other[1].z[1], 0.2);
  assert.equal(checkpointMismatch(run(), other), `iteration 10: z[1] is ${other[1].z[1]}, expected 0.2`);
});

test('−0 against 0, another iteration or another count of checkpoints is a mismatch', () => {
  const negZero = run();
  negZero[0].v[0] = -0;
  assert.match(checkpointMismatch(run(), negZero) ?? '', /iteration 0: v\[0\] is 0, expected 0/);
  const shifted = run();
  shifted[1] = { ...shifted[1], iter: 20 };
  assert.equal(checkpointMismatch(run(), shifted), 'checkpoint 1 is at iteration 20, expected 10');
  assert.equal(checkpointMismatch(run(), run().slice(0, 1)), '1 checkpoints, expected 2');
});
