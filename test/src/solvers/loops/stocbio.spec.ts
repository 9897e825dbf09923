// StocBiO through the coupled streams: its hypergradient is biased by the truncation of the Neumann series, so x
// settles where the biased hypergradient vanishes; the residual ‖∇h‖ shrinks like (1 − ημ)^N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, symEig } from '@bilevel/linalg';
import { quadraticProblem } from '@bilevel/problems';
import { stocbio, CONTRACT_QUADRATIC } from '@bilevel/solvers';
import { runLoop } from '@bilevel/streams';

const problem = quadraticProblem(CONTRACT_QUADRATIC); // inner spectrum in [μ, L] = [0.1, 1]
const spectrum = symEig(problem.outerHessian()).values;
const Lh = spectrum[spectrum.length - 1];
const g0 = nrm2(problem.hypergradient(new Float64Array(problem.dimX)).grad);
const rel = (x: Float64Array) => nrm2(problem.hypergradient(x).grad) / g0;

test('stocbio (full batch): the floor of ‖∇h‖ shrinks by (1 − ημ)^ΔN as the series gets longer', () => {
  // batch 64 = n: every oracle is full batch, so only the truncation bias remains. With η = 1/L = 1, μ = 0.1 the
  // bias of v is (1 − ημ)^{N+1} along the bottom eigenvector, and x settles where the biased hypergradient is 0.
  const floor = (N: number) => rel(runLoop(problem, stocbio({ batchSize: 64, neumannStep: 1, neumannTerms: N, outerStep: 1 / Lh }), { maxIter: 200 }).x);
  const f20 = floor(20);
  const f50 = floor(50);
  const f100 = floor(100);
  // measured 6.07e-2, 2.52e-3, 1.31e-5; predicted ratio f20/f50 = 0.9^−30 = 23.6, measured 24.1
  const predicted = Math.pow(0.9, -30);
  assert.ok(f20 / f50 > predicted / 2 && f20 / f50 < predicted * 2, `f20/f50 = ${f20 / f50}`);
  assert.ok(f100 < 1e-4, `N = 100: ${f100}`);
});

test('stocbio (stochastic, batch 8): the benchmark defaults η = 0.1, N = 10 stay biased; η = 0.3, N = 30 get closer', () => {
  // (1 − ημ)^{N+1} = 0.90 for the defaults on this μ = 0.1 problem: v is about a tenth of v*; 0.39 for η = 0.3, N = 30
  const run = (options: Parameters<typeof stocbio>[0]) => rel(runLoop(problem, stocbio({ batchSize: 8, ...options }), { maxIter: 5000, seed: 0 }).x);
  const defaults = run({});
  const tuned = run({ neumannStep: 0.3, neumannTerms: 30, outerStep: 0.05 });
  // measured (seed 0): 0.86 and 0.19; seeds 1–3: 0.73/0.29, 0.84/0.31, 0.97/0.54
  assert.ok(defaults > 0.6, `defaults: ${defaults}`);
  assert.ok(tuned < 0.4, `tuned: ${tuned}`);
});
