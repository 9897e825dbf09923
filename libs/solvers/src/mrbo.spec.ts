// MRBO's options, defaults (the public benchmark's solvers/mrbo.py) and the updates its parts declare. Its steps by
// hand, oracle calls and variance reduction: parts/double-momentum.spec.ts; the series: parts/neumann-hypergradient.spec.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mrbo } from './mrbo';

test('mrbo: the benchmark defaults (steps 0.1 (t+1)^−1/3, η 0.1, N = 10, momentum 0.5 (t+1)^−2/3, batch 64), multi-rate:1', () => {
  const s = mrbo();
  assert.deepEqual(s.options, { batchSize: 64, innerStep: 0.1, outerStep: 0.1, stepDecay: 1 / 3, neumannStep: 0.1, neumannTerms: 10, momentum: 0.5, momentumDecay: 2 / 3 });
  assert.equal(s.schedule, 'multi-rate:1');
  assert.match(s.citation, /Yang, Ji, Liang\. Provably faster algorithms for bilevel optimization\. NeurIPS 2021/);
  assert.deepEqual(s.inner.description, { estimator: 'storm', batchSize: 64, step: { kind: 'power', base: 0.1, exponent: 1 / 3 } });
  assert.deepEqual(s.linsys.description, { estimator: 'storm', batchSize: 64, linearSolver: { kind: 'neumann', step: 0.1, iterations: 10 } });
  assert.deepEqual(s.outer.description, { estimator: 'storm', batchSize: 64, step: { kind: 'power', base: 0.1, exponent: 1 / 3 } });
});

test('mrbo: options are validated, each error names the field and the value', () => {
  assert.throws(() => mrbo({ momentum: 1.5 }), /mrbo: momentum must be in \(0, 1\], received 1.5/);
  assert.throws(() => mrbo({ momentum: 0 }), /mrbo: momentum must be a positive finite number, received 0/);
  assert.throws(() => mrbo({ neumannTerms: 0 }), /mrbo: neumannTerms must be a positive integer, received 0/);
  assert.throws(() => mrbo({ stepDecay: -1 }), /mrbo: stepDecay must be a finite number ≥ 0, received -1/);
  assert.throws(() => mrbo({ eta: 0.5 } as never), /mrbo: unknown option "eta"; expected one of batchSize, innerStep/);
});
