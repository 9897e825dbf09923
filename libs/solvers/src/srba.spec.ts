// SRBA's factory: options validated up front, defaults of the public benchmark (solvers/srba.py), and the refresh
// period derived from the problem's sizes in init, q = max(1, ⌊periodFrac·(n+m)/b⌋).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { srba } from './srba';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 100, nOuter: 60, seed: 1 });

/** The period one part reports after its first step. */
function periodOf(solver: ReturnType<typeof srba>, stream: 'inner' | 'linsys' | 'outer'): number {
  const part = solver[stream];
  const state = part.init(problem, Rng.fromSeed(0));
  const reads = { z: new Float64Array(6), v: new Float64Array(6), x: new Float64Array(3) };
  part.step(state, reads, 0, new Float64Array(stream === 'outer' ? 3 : 6));
  return part.diagnostics?.(state).period ?? NaN;
}

test('srba: the benchmark defaults (step 0.1, outer ratio 1, batch 64, period_frac 0.5) and a citation', () => {
  const s = srba();
  assert.equal(s.name, 'srba');
  assert.equal(s.schedule, 'jacobi');
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, periodFrac: 0.5, period: 'auto' });
  assert.match(s.citation, /Dagréou.*AISTATS 2024/);
});

test('srba: the period is ⌊periodFrac·(n+m)/b⌋ on every stream, at least 1, unless given', () => {
  // (100 + 60)·0.5 / 8 = 10; the sarahEstimator default would have been ⌊⌈100/8⌉/2⌋ = 6
  for (const stream of ['inner', 'linsys', 'outer'] as const) assert.equal(periodOf(srba({ batchSize: 8 }), stream), 10);
  assert.equal(periodOf(srba({ batchSize: 8, periodFrac: 2 }), 'inner'), 40);
  assert.equal(periodOf(srba({ batchSize: 1000 }), 'outer'), 1);
  assert.equal(periodOf(srba({ batchSize: 8, period: 3 }), 'linsys'), 3);
});

test('srba: options are validated with the function, field, value and expectation', () => {
  assert.throws(() => srba({ batchSize: 0 }), /srba: batchSize must be a positive integer, received 0/);
  assert.throws(() => srba({ innerStep: -1 }), /srba: innerStep must be a positive finite number, received -1/);
  assert.throws(() => srba({ outerStep: Infinity }), /srba: outerStep must be a positive finite number, received Infinity/);
  assert.throws(() => srba({ periodFrac: 0 }), /srba: periodFrac must be a positive finite number, received 0/);
  assert.throws(() => srba({ period: 2.5 }), /srba: period must be a positive integer, received 2.5/);
  assert.throws(() => srba({ step: 1 } as object), /srba: unknown option "step"/);
});
