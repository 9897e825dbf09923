import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SagaMemory } from './saga-memory';
import { powerDecay } from './power-decay';
import { saba } from './saba';
import { soba } from './soba';
import { createSolver, SOLVERS } from './registry';
import { quadraticProblem } from '@bilevel/problems';
import { simdAvailable } from '@bilevel/linalg';
import { countingProblem, emptyCounts } from './oracle-counts';

test('SagaMemory: d = q − m_j + m̄, then m̄ tracks the weighted mean of the rows', () => {
  // blocks of sizes 3, 2 (weights 3/5, 2/5), dim 2
  const mem = new SagaMemory(2, 2, [0.6, 0.4]);
  const d = new Float64Array(2);
  mem.direction(0, Float64Array.from([1, 2]), d);
  assert.deepEqual(Array.from(d), [1, 2]); // zero memory: d = q
  assert.deepEqual(Array.from(mem.mean), [0.6, 1.2]);
  mem.direction(1, Float64Array.from([10, 0]), d);
  assert.deepEqual(Array.from(d), [10 + 0.6, 0 + 1.2]);
  mem.direction(0, Float64Array.from([3, 2]), d);
  assert.deepEqual(Array.from(d), [3 - 1 + (0.6 + 4), 2 - 2 + 1.2]);
  // once every row holds the current quantity, the mean is the weighted (full-batch) mean
  assert.ok(Math.abs(mem.mean[0] - (0.6 * 3 + 0.4 * 10)) < 1e-15);
  assert.ok(Math.abs(mem.mean[1] - (0.6 * 2 + 0.4 * 0)) < 1e-15);
});

test('SagaMemory.direction gives the bits of the one-coordinate-a-pass reference at even and odd dims', () => {
  for (const dim of [1, 2, 3, 7, 8]) {
    const weights = [0.5, 0.3, 0.2];
    const mem = new SagaMemory(3, dim, weights);
    const rows = new Float64Array(3 * dim);
    const mean = new Float64Array(dim);
    const d = new Float64Array(dim);
    for (let t = 0; t < 12; t++) {
      const j = (t * 7) % 3;
      const q = Float64Array.from({ length: dim }, (_, k) => Math.sin(1.3 * t + 0.7 * k) / (k + 1));
      mem.direction(j, q, d);
      for (let k = 0; k < dim; k++) {
        const diff = q[k] - rows[j * dim + k];
        const ref = diff + mean[k];
        mean[k] += weights[j] * diff;
        rows[j * dim + k] = q[k];
        assert.ok(Object.is(d[k], ref), `dim ${dim}, step ${t}, d[${k}]: ${d[k]} vs ${ref}`);
      }
    }
    assert.deepEqual(Array.from(mem.mean), Array.from(mean));
    assert.deepEqual(Array.from(mem.rows), Array.from(rows));
  }
});

test('SagaMemory.direction in SIMD (rows of 256 entries or more, the memory’s own q and out) gives the bits of the reference', () => {
  for (const dim of [256, 257, 301]) {
    const weights = [0.5, 0.3, 0.2];
    const mem = new SagaMemory(3, dim, weights);
    // with SIMD the table and the buffers share one WebAssembly arena (BILEVEL_KERNELS=js: plain arrays, the loop)
    assert.equal(mem.q.buffer === mem.rows.buffer && mem.out.buffer === mem.rows.buffer, simdAvailable());
    const rows = new Float64Array(3 * dim);
    const mean = new Float64Array(dim);
    for (let t = 0; t < 12; t++) {
      const j = (t * 7) % 3;
      for (let k = 0; k < dim; k++) mem.q[k] = (Math.sin(1.3 * t + 0.7 * k) / (k + 1)) * 10 ** ((k % 7) - 3);
      const q = Float64Array.from(mem.q);
      mem.direction(j, mem.q, mem.out);
      for (let k = 0; k < dim; k++) {
        const diff = q[k] - rows[j * dim + k];
        const ref = diff + mean[k];
        mean[k] += weights[j] * diff;
        rows[j * dim + k] = q[k];
        assert.ok(Object.is(mem.out[k], ref), `dim ${dim}, step ${t}, d[${k}]: ${mem.out[k]} vs ${ref}`);
      }
    }
    assert.deepEqual(Array.from(mem.mean), Array.from(mean));
    assert.deepEqual(Array.from(mem.rows), Array.from(rows));
  }
});

test('SagaMemory.fill keeps the mean consistent', () => {
  const mem = new SagaMemory(3, 1, [0.5, 0.25, 0.25]);
  mem.fill(0, Float64Array.from([2]));
  mem.fill(1, Float64Array.from([4]));
  mem.fill(2, Float64Array.from([8]));
  assert.equal(mem.mean[0], 0.5 * 2 + 0.25 * 4 + 0.25 * 8);
});

test('powerDecay: s₀ (t+1)^−a', () => {
  assert.equal(powerDecay(0.1, 0.5)(3), 0.05);
  assert.equal(powerDecay(0.1, 0)(1000), 0.1);
  assert.throws(() => powerDecay(0, 0.5), /powerDecay: s0 must be a positive finite number, received 0/);
  assert.throws(() => powerDecay(1, -1), /a must be a finite number ≥ 0/);
});

test('solver options are validated with the function, field, value and expectation', () => {
  assert.throws(() => saba({ innerStep: -1 }), /saba: innerStep must be a positive finite number, received -1/);
  assert.throws(() => saba({ batchSize: 2.5 }), /saba: batchSize must be a positive integer, received 2.5/);
  assert.throws(() => soba({ outerDecay: NaN }), /soba: outerDecay must be a finite number ≥ 0, received NaN/);
  assert.throws(() => saba({ stepSize: 1 } as never), /saba: unknown option "stepSize"/);
  assert.deepEqual(saba().options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1 });
  assert.deepEqual(soba().options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, innerDecay: 0.4, outerDecay: 0.6 });
});

test('the registry builds solvers by name and names the known ones on a typo', () => {
  for (const name of ['soba', 'saba', 'srba']) assert.ok(name in SOLVERS, name);
  assert.equal(createSolver('saba', { batchSize: 8 }).options.batchSize, 8);
  assert.throws(() => createSolver('sabba'), /unknown solver "sabba"; expected one of soba, saba, srba/);
  for (const name of Object.keys(SOLVERS)) {
    const s = createSolver(name);
    assert.equal(s.inner.stream, 'inner');
    assert.equal(s.linsys.stream, 'linsys');
    assert.equal(s.outer.stream, 'outer');
    assert.match(s.citation, /(19|20)\d\d/, `${name} cites its paper with a year`);
  }
});

test('countingProblem counts oracle calls and samples, and keeps the problem’s other members', () => {
  const p = quadraticProblem({ dimZ: 3, dimX: 2, nInner: 6, nOuter: 5, seed: 1 });
  const counts = emptyCounts();
  const c = countingProblem(p, counts);
  const z = new Float64Array(3);
  const x = new Float64Array(2);
  c.innerGradZ(z, x, Int32Array.from([0, 1]), new Float64Array(3));
  c.innerHvp(z, x, z, Int32Array.from([2]), new Float64Array(3));
  c.outerGradX(z, x, p.fullOuter, new Float64Array(2));
  assert.deepEqual([counts.innerGrad, counts.hvp, counts.outerGradX, counts.innerSamples, counts.outerSamples], [1, 1, 1, 3, 5]);
  assert.equal(c.outerHessian().rows, 2, 'class-specific members stay reachable');
  assert.deepEqual(c.solution().x, p.solution().x);
});
