// countingProblem wraps by delegation: a class with #private fields and getters works through it (members run with
// `this` = the problem), every oracle call is counted, every other member is forwarded, and the optional oracles
// are present on the wrapper exactly when the problem has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quadraticProblem, requireOracles } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions, QuadraticProblem } from '@bilevel/problems';
import { countingProblem, emptyCounts, totalCalls } from './oracle-counts';

const q = quadraticProblem({ dimZ: 3, dimX: 2, nInner: 8, nOuter: 6, seed: 4 });

/** A user's problem class: private fields behind getters, an extra getter and method, no optional oracle. */
class Private implements BilevelProblem {
  readonly #q: QuadraticProblem;
  #solves = 0;
  constructor(inner: QuadraticProblem) {
    this.#q = inner;
  }
  get name() {
    return 'private';
  }
  get dimZ() {
    return this.#q.dimZ;
  }
  get dimX() {
    return this.#q.dimX;
  }
  get nInner() {
    return this.#q.nInner;
  }
  get nOuter() {
    return this.#q.nOuter;
  }
  get precision() {
    return 'float64' as const;
  }
  get fullInner() {
    return this.#q.fullInner;
  }
  get fullOuter() {
    return this.#q.fullOuter;
  }
  /** An extra getter a user's part may read. */
  get dims(): readonly [number, number] {
    return [this.#q.dimZ, this.#q.dimX];
  }
  get solves() {
    return this.#solves;
  }
  /** An extra method a user's part may call. */
  scale(k: number): number {
    return k * this.#q.dimZ;
  }
  innerValue(z: Float64Array, x: Float64Array, b: Int32Array) {
    return this.#q.innerValue(z, x, b);
  }
  outerValue(z: Float64Array, x: Float64Array, b: Int32Array) {
    return this.#q.outerValue(z, x, b);
  }
  innerGradZ(z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) {
    this.#q.innerGradZ(z, x, b, out);
  }
  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, b: Int32Array, out: Float64Array) {
    this.#q.innerHvp(z, x, v, b, out);
  }
  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, b: Int32Array, out: Float64Array) {
    this.#q.innerCross(z, x, v, b, out);
  }
  outerGradZ(z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) {
    this.#q.outerGradZ(z, x, b, out);
  }
  outerGradX(z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) {
    this.#q.outerGradX(z, x, b, out);
  }
  solveInner(x: Float64Array, o?: InnerSolveOptions): InnerSolution {
    this.#solves++;
    return this.#q.solveInner(x, o);
  }
  hypergradient(x: Float64Array, o?: InnerSolveOptions): Hypergradient {
    return this.#q.hypergradient(x, o);
  }
}

test('countingProblem: a class with #private fields works through the wrapper (getters, oracles, evaluation, extras)', () => {
  const p = new Private(q);
  const counts = emptyCounts();
  const w = countingProblem(p, counts);
  assert.equal(w.dimZ, 3);
  assert.equal(w.dimX, 2);
  assert.equal(w.nInner, 8);
  assert.equal(w.name, 'private');
  assert.deepEqual(w.dims, [3, 2]);
  assert.equal(w.scale(2), 6);
  assert.ok(w instanceof Private, 'instanceof is kept');
  const z = Float64Array.of(0.1, -0.2, 0.3);
  const x = Float64Array.of(0.5, -1);
  const g = new Float64Array(3);
  w.innerGradZ(z, x, w.fullInner, g);
  const want = new Float64Array(3);
  q.innerGradZ(z, x, q.fullInner, want);
  assert.deepEqual(g, want);
  assert.equal(w.innerValue(z, x, Int32Array.of(0, 1)), q.innerValue(z, x, Int32Array.of(0, 1)));
  assert.deepEqual(w.solveInner(x).z, q.solveInner(x).z);
  assert.equal(p.solves, 1, 'solveInner ran on the problem itself');
  assert.equal(w.solves, 1, 'a getter reads the live value');
  assert.deepEqual(w.hypergradient(x).grad, q.hypergradient(x).grad);
  assert.equal(counts.innerGrad, 1);
  assert.equal(counts.innerValue, 1);
  assert.equal(counts.fullPasses, 1, 'the gradient on the full batch');
  assert.equal(counts.innerSamples, 8 + 2);
  assert.equal(totalCalls(counts), 2, 'exact evaluations run on the problem and are not counted');
});

test('countingProblem: optional oracles are on the wrapper only when the problem has them, and are counted', () => {
  const without = countingProblem(new Private(q), emptyCounts());
  for (const name of ['innerGradX', 'outerHvp', 'outerCross', 'solution', 'innerConstants', 'metrics', 'info'] as const) {
    assert.equal(name in without, false, `${name} appeared on the wrapper`);
  }
  assert.throws(() => requireOracles(without, ['innerGradX'], 'f2sa'), /f2sa: problem "private" does not provide the oracle innerGradX/);
  const counts = emptyCounts();
  const withAll = countingProblem(q, counts);
  const out = new Float64Array(q.dimX);
  withAll.innerGradX!(new Float64Array(3), new Float64Array(2), Int32Array.of(0), out);
  withAll.outerCross!(new Float64Array(3), new Float64Array(2), new Float64Array(3), Int32Array.of(0, 1), out);
  assert.equal(counts.innerGradX, 1);
  assert.equal(counts.outerCross, 1);
  assert.equal(counts.outerSamples, 2);
  assert.deepEqual(withAll.solution!().x, q.solution().x);
  assert.deepEqual(withAll.innerConstants(), q.innerConstants());
});

test('countingProblem: a plain-object problem keeps its own properties (info, metrics) and gets no extra keys', () => {
  const plain: BilevelProblem = {
    name: 'plain',
    dimZ: q.dimZ,
    dimX: q.dimX,
    nInner: q.nInner,
    nOuter: q.nOuter,
    precision: 'float64',
    fullInner: q.fullInner,
    fullOuter: q.fullOuter,
    info: { source: 'test' },
    innerValue: (z, x, b) => q.innerValue(z, x, b),
    outerValue: (z, x, b) => q.outerValue(z, x, b),
    innerGradZ: (z, x, b, o) => q.innerGradZ(z, x, b, o),
    innerHvp: (z, x, v, b, o) => q.innerHvp(z, x, v, b, o),
    innerCross: (z, x, v, b, o) => q.innerCross(z, x, v, b, o),
    outerGradZ: (z, x, b, o) => q.outerGradZ(z, x, b, o),
    outerGradX: (z, x, b, o) => q.outerGradX(z, x, b, o),
    metrics: () => ({ one: 1 }),
    solveInner: (x, o) => q.solveInner(x, o),
    hypergradient: (x, o) => q.hypergradient(x, o),
  };
  const w = countingProblem(plain, emptyCounts());
  assert.deepEqual(w.info, { source: 'test' });
  assert.deepEqual(w.metrics!(new Float64Array(2), new Float64Array(3)), { one: 1 });
  assert.deepEqual(Object.keys(w).sort(), Object.keys(plain).sort());
});
