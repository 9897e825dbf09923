// sl-BAMM on the repository's toy with the other configurations of its authors' code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2 } from '@bilevel/linalg';
import { slBamm } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';
import { averagedToy } from './averaged-toy';

const n = 10;
const toy = averagedToy(n);
const start = { x0: new Float64Array(n).fill(0.01), z0: new Float64Array(2 * n).fill(0.01) };
const err = (x: Float64Array) => nrm2(x.map((e) => e - 1)) / Math.sqrt(n);

test("BOAT's data-cleaning configuration (s1, p = 100, τ = 0.01) converges on the toy: err < 1e-5 at 20000 iterations", () => {
  // measured 7.3e-7 (s3 with the same μ schedule: 2.9e-14)
  const last = runLoop(toy, slBamm({ strategy: 's1', p: 100, tau: 0.01 }), { ...start, maxIter: 20_000 });
  assert.ok(err(last.x) < 1e-5, `${err(last.x)}`);
});

test('s3 keeps converging: err < 1e-10 at 20000 iterations; s2 and s1 with p = 10 are slower (x step ∝ μ_k^5, μ_k^7)', () => {
  // measured: s3 1.4e-13, s2 1.3e-2, s1 0.49 (α_k ≈ 0.1·0.33^7 ≈ 5e-5 by then)
  const run = (strategy: 's1' | 's2' | 's3') => err(runLoop(toy, slBamm({ strategy }), { ...start, maxIter: 20_000 }).x);
  const [e3, e2, e1] = [run('s3'), run('s2'), run('s1')];
  assert.ok(e3 < 1e-10, `s3 ${e3}`);
  assert.ok(e3 < e2 && e2 < e1, `s3 ${e3}, s2 ${e2}, s1 ${e1}`);
});
