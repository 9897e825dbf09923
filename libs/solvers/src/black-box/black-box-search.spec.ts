// The black-box searches as solvers: the first candidate is the start x₀; each step is one exact evaluation whose
// oracle calls are those of a full-batch L-BFGS inner solve plus one F value, all counted; z and x are always the
// incumbent's (lowest h so far); random candidates are uniform in the box; TPE's proposals move to the good region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { quadraticProblem, solveInnerLbfgs } from '@bilevel/problems';
import type { Solver } from '../solver';
import { countingProblem, emptyCounts, totalCalls } from '../oracle-counts';
import { randomSearch } from './random-search';
import type { Incumbent, SearchHistory } from './black-box-search';
import { goodIndices, tpe, tpeProposer } from './tpe';

const problem = quadraticProblem({ dimZ: 6, dimX: 3, nInner: 30, nOuter: 20, seed: 8 });

/** The gauss-seidel loop by hand for a search (inner evaluates, outer copies the incumbent); returns the evaluations. */
function search(solver: Solver, steps: number, x0: Float64Array) {
  const counts = emptyCounts();
  const counted = countingProblem(problem, counts);
  const rng = Rng.fromSeed(4);
  const si = solver.inner.init(counted, rng.split());
  const sl = solver.linsys.init(counted, rng.split());
  const so = solver.outer.init(counted, rng.split());
  let z = new Float64Array(6);
  let v = new Float64Array(6);
  let x = Float64Array.from(x0);
  const log: { x: Float64Array; z: Float64Array; incumbent: Incumbent; calls: number; last: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const before = totalCalls(counts);
    const zn = new Float64Array(6);
    const aux = solver.inner.step(si, { z, v, x }, t, zn) as Incumbent;
    const vn = new Float64Array(6);
    solver.linsys.step(sl, { z: zn, v, x, aux: { z: aux } }, t, vn);
    const xn = new Float64Array(3);
    solver.outer.step(so, { z: zn, v: vn, x, aux: { z: aux } }, t, xn);
    [z, v, x] = [zn, vn, xn];
    log.push({ x, z, incumbent: aux, calls: totalCalls(counts) - before, last: solver.inner.diagnostics!(si).lastValue });
  }
  return { log, counts, v };
}

test('randomSearch/tpe: defaults ([−5, 5], tol 1e-8, warm start at the incumbent; γ = 0.25, 10 startup, 24 candidates) and validation', () => {
  assert.deepEqual(randomSearch().options, { low: -5, high: 5, innerTol: 1e-8, innerMaxIter: 500, warmStart: 'incumbent', batchSize: 'full' });
  assert.deepEqual(tpe({ batchSize: 32, innerStep: 0.1 }).options, {
    low: -5,
    high: 5,
    innerTol: 1e-8,
    innerMaxIter: 500,
    warmStart: 'incumbent',
    batchSize: 'full',
    gamma: 0.25,
    startup: 10,
    candidates: 24,
  });
  assert.equal(tpe().schedule, 'gauss-seidel');
  assert.throws(() => randomSearch({ low: 1, high: 1 }), /randomSearch: low and high must be finite numbers with low < high, received \[1, 1\]/);
  assert.throws(() => tpe({ gamma: 1 }), /tpe: gamma must be in \(0, 1\), received 1/);
  assert.throws(() => tpe({ warmStart: 'previous' as never }), /tpe: warmStart must be one of incumbent, none, received previous/);
  assert.throws(() => randomSearch({ gamma: 0.2 } as object), /randomSearch: unknown option "gamma"/);
});

test('a search evaluates x₀ first, then counts each evaluation as one L-BFGS inner solve plus one F value', () => {
  const x0 = Float64Array.from([0.2, -0.1, 0.3]);
  const { log, counts, v } = search(randomSearch({ warmStart: 'none' }), 6, x0);
  assert.deepEqual([...log[0].incumbent.x], [...x0]);
  for (const step of log) assert.ok(step.calls > 1, 'an evaluation makes several oracle calls');
  // step 0 by hand: the counts of an independent evaluation of x₀
  const c0 = emptyCounts();
  const cp0 = countingProblem(problem, c0);
  const sol = solveInnerLbfgs(cp0, x0, { tol: 1e-8, maxIter: 500 });
  const h0 = cp0.outerValue(sol.z, x0, problem.fullOuter);
  assert.equal(log[0].calls, totalCalls(c0));
  assert.equal(log[0].incumbent.value, h0);
  assert.deepEqual([...log[0].z], [...sol.z]);
  // every call is a full batch; no linear system, no cross product; v untouched
  assert.equal(counts.fullPasses, totalCalls(counts));
  assert.deepEqual([counts.cross, counts.outerGradZ, counts.outerGradX], [0, 0, 0]);
  assert.equal(counts.outerValue, 6);
  assert.ok(v.every((e) => e === 0));
});

test('a search keeps the incumbent: x and z are the lowest-h candidate so far and its z*, and h never increases', () => {
  const { log } = search(tpe({ startup: 4, low: -2, high: 2 }), 25, new Float64Array(3));
  let best = Infinity;
  for (const step of log) {
    best = Math.min(best, step.last);
    assert.equal(step.incumbent.value, best);
    assert.deepEqual([...step.x], [...step.incumbent.x]);
    const zStar = problem.solveInner(step.x, { tol: 1e-12 }).z;
    assert.ok(step.z.every((e, k) => Math.abs(e - zStar[k]) < 1e-6), 'z is the incumbent\'s z*');
  }
});

test('random candidates are uniform in the box (mean and variance within 4 standard errors)', () => {
  const solver = randomSearch({ low: -1, high: 3 });
  const counts = emptyCounts();
  const state = solver.inner.init(countingProblem(problem, counts), Rng.fromSeed(5));
  const xs: number[] = [];
  const out = new Float64Array(6);
  for (let t = 0; t < 400; t++) {
    solver.inner.step(state, { z: new Float64Array(6), v: new Float64Array(6), x: new Float64Array(3) }, t, out);
    if (t > 0) xs.push(...(state as { candidate: Float64Array }).candidate);
  }
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(xs.every((e) => e >= -1 && e <= 3));
  assert.ok(Math.abs(mean - 1) < 4 * Math.sqrt(16 / 12 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 16 / 12) < 0.15, `variance ${variance}`);
});

test('goodIndices: the ⌈γn⌉ lowest values, ties to the earlier evaluation', () => {
  assert.deepEqual([...goodIndices([3, 1, 2, 1, 5], 0.25)].sort(), [1, 3]);
  assert.deepEqual([...goodIndices([3, 1, 2, 1, 5], 0.1)], [1]);
  assert.deepEqual([...goodIndices([Infinity, 2], 0.5)], [1]);
});

test('tpeProposer: uniform during start-up; then its candidates gather where the good evaluations are', () => {
  const proposer = tpeProposer(0.25, 10, 24);
  const rng = Rng.fromSeed(6);
  const state = proposer.init(1, rng);
  // a history on [−5, 5] whose values are (x − 2)²: the good quarter lies around 2
  const draw = Rng.fromSeed(7);
  const xs = Array.from({ length: 40 }, () => Float64Array.of(-5 + 10 * draw.float()));
  const history: SearchHistory = { xs, values: xs.map((x) => (x[0] - 2) ** 2) };
  const out = new Float64Array(1);
  let dist = 0;
  for (let i = 0; i < 200; i++) {
    proposer.propose(state, history, -5, 5, out);
    dist += Math.abs(out[0] - 2);
  }
  // uniform on [−5, 5] would give E|x − 2| = 2.9; the good quarter spans about ±1.3 around 2
  assert.ok(dist / 200 < 1, `mean distance to the good region ${dist / 200}`);
  // with fewer evaluations than the start-up, candidates are uniform: mean distance near 2.9
  let early = 0;
  const few: SearchHistory = { xs: xs.slice(0, 5), values: history.values.slice(0, 5) };
  for (let i = 0; i < 2000; i++) {
    proposer.propose(state, few, -5, 5, out);
    early += Math.abs(out[0] - 2);
  }
  assert.ok(Math.abs(early / 2000 - 2.9) < 0.15, `start-up mean distance ${early / 2000}`);
});
