// modelProblem: user models on the tape as bilevel problems. Oracles of an MLP and a convnet against finite
// differences (auditOracles); the logistic task against the hand-written LogregHpo (value, oracles, hypergradient);
// chunked evaluation against unchunked; evaluation options (inner and linear solvers, warm start); one clear error
// per bad spec; no allocation per oracle call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GCProfiler } from 'node:v8';
import type { Matrix } from '@bilevel/linalg';
import { logregHpo } from '@bilevel/problems';
import { auditOracles } from '../audit-oracles';
import { formatAudit } from '../format-audit';
import { breastCancerSlice } from '../fixtures/breast-cancer-slice';
import { convnetSpec, mlpSpec, syntheticClasses } from '../fixtures/model-specs';
import { logregModel } from './logreg-model';
import { modelProblem } from './model-problem';
import type { ModelProblem, ModelSpec } from './model-problem';
import type { TensorShapes } from './tensor-layout';
import type { TapeTensors } from './record-loss';
import type { Tape, TapeVar } from '../tape/tape';

/**
 * Model vs hand-written hypergradient, relative: both solve the inner problem to ‖∇_z G‖ ≤ 1e-13 (Newton–CG on HVPs
 * here, Newton + Cholesky there) and v* to 1e-12, so they agree to ~1e-12; 1e-10 is the target.
 */
const HYPERGRADIENT_TOL = 1e-10;
const EVAL_TOL = 1e-13;
/** Oracles of the same float64 sums in nearly the same order (see tape-problem.spec.ts): 1e-10 leaves six orders. */
const ORACLE_TOL = 1e-10;
/** Chunked vs one replay: the same terms summed in another grouping, O(1) values: a few ulps. */
const CHUNK_TOL = 1e-13;

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 1e-300;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return d / s;
}

const seeded = (n: number, seed: number) => Float64Array.from({ length: n }, (_, k) => Math.sin(seed * 1.7 + 0.9 * k));

test('auditOracles passes on an MLP model problem (per-layer decay), every optional oracle included', () => {
  const p = modelProblem(mlpSpec());
  assert.equal(typeof p.innerGradX, 'function');
  assert.equal(typeof p.outerHvp, 'function');
  assert.equal(typeof p.outerCross, 'function');
  const report = auditOracles(p, { seed: 4 });
  assert.ok(report.ok, formatAudit(report));
  assert.equal(report.oracles.length, 8);
});

test('auditOracles passes on a convnet model problem (conv, relu, max pool, dense)', () => {
  const p = modelProblem(convnetSpec());
  const report = auditOracles(p, { seed: 2, points: 2 });
  assert.ok(report.ok, formatAudit(report));
});

test('innerHvpCross equals innerHvp and innerCross (one sweep)', () => {
  const p = modelProblem(mlpSpec());
  const z = seeded(p.dimZ, 1);
  const v = seeded(p.dimZ, 2);
  const x = Float64Array.of(-1, -2);
  const batch = Int32Array.of(3, 0, 7, 7, 11);
  const [h, c, hh, cc] = [new Float64Array(p.dimZ), new Float64Array(2), new Float64Array(p.dimZ), new Float64Array(2)];
  p.innerHvpCross(z, x, v, batch, h, c);
  p.innerHvp(z, x, v, batch, hh);
  p.innerCross(z, x, v, batch, cc);
  assert.ok(relErr(h, hh) <= CHUNK_TOL && relErr(c, cc) <= CHUNK_TOL);
});

for (const reg of ['scalar', 'feature'] as const) {
  test(`the logistic task as a modelProblem gives LogregHpo's value and hypergradient to ${HYPERGRADIENT_TOL} (reg ${reg})`, (t) => {
    const data = breastCancerSlice();
    const analytic = logregHpo(data.train, data.val, { reg });
    const model = logregModel(analytic, { innerSolver: 'newton-cg' });
    assert.deepEqual(model.layout.params.names, ['w']);
    assert.equal(model.dimZ, analytic.dimZ);
    assert.equal(model.dimX, analytic.dimX);
    // oracles at a point, on a batch with a repeated index
    const z = seeded(model.dimZ, 3);
    const v = seeded(model.dimZ, 4);
    const x = Float64Array.from({ length: model.dimX }, (_, k) => -1 + 0.05 * k);
    const batch = Int32Array.of(5, 1, 1, 40, 22);
    for (const oracle of ['innerGradZ', 'innerGradX', 'outerGradZ', 'outerGradX'] as const) {
      const n = oracle.endsWith('X') ? model.dimX : model.dimZ;
      const [want, got] = [new Float64Array(n), new Float64Array(n).fill(NaN)];
      analytic[oracle](z, x, batch, want);
      model[oracle](z, x, batch, got);
      assert.ok(relErr(got, want) <= ORACLE_TOL, oracle);
    }
    for (const oracle of ['innerHvp', 'innerCross', 'outerHvp', 'outerCross'] as const) {
      const n = oracle.endsWith('Cross') ? model.dimX : model.dimZ;
      const [want, got] = [new Float64Array(n), new Float64Array(n).fill(NaN)];
      analytic[oracle](z, x, v, batch, want);
      model[oracle](z, x, v, batch, got);
      assert.ok(relErr(got, want) <= ORACLE_TOL, oracle);
    }
    // evaluation
    const want = analytic.hypergradient(x, { tol: EVAL_TOL });
    const got = model.hypergradient(x, { tol: EVAL_TOL });
    assert.ok(got.innerConverged, `inner solve reached ${got.innerGradNorm}`);
    assert.equal(got.linear.solver, 'cg');
    assert.equal(got.linear.converged, true);
    const valueErr = Math.abs(got.value - want.value) / Math.abs(want.value);
    const gradErr = relErr(got.grad, want.grad);
    assert.ok(valueErr <= HYPERGRADIENT_TOL, `h: ${got.value} vs ${want.value} (${valueErr})`);
    assert.ok(gradErr <= HYPERGRADIENT_TOL, `∇h: relative error ${gradErr}`);
    t.diagnostic(`reg ${reg}: h relative error ${valueErr.toExponential(2)}, ∇h ${gradErr.toExponential(2)}`);
  });
}

test('every linear solver by name, and one of the caller\'s own, give the CG hypergradient', () => {
  const data = breastCancerSlice();
  const analytic = logregHpo(data.train, data.val, { reg: 'feature' });
  const x = Float64Array.from({ length: analytic.dimX }, (_, k) => -1 - 0.02 * k);
  const cg = logregModel(analytic).hypergradient(x);
  for (const name of ['gmres', 'bicgstab', 'normal-cg'] as const) {
    const hg = logregModel(analytic, { linearSolver: name, linearTol: 1e-11 }).hypergradient(x);
    assert.equal(hg.linear.solver, name);
    assert.ok(relErr(hg.grad, cg.grad) <= 1e-8, `${name}: ${relErr(hg.grad, cg.grad)}`);
  }
  let calls = 0;
  const mine = {
    name: 'three-cg',
    solve(matvec: (p: Float64Array, out: Float64Array) => void, b: Float64Array, out: Float64Array) {
      calls++;
      const q = new Float64Array(b.length);
      matvec(b, q); // one product, then a scaled step: not a solve, just proof the solver is the one used
      const s = b.reduce((acc, e) => acc + e * e, 0) / q.reduce((acc, e, i) => acc + e * b[i], 0);
      for (let i = 0; i < b.length; i++) out[i] = s * b[i];
      return { iterations: 1, matvecs: 1 };
    },
  };
  const hg = logregModel(analytic, { linearSolver: mine }).hypergradient(x);
  assert.equal(calls, 1);
  assert.equal(hg.linear.solver, 'three-cg');
  assert.ok(relErr(hg.grad, cg.grad) > 1e-6, 'one steepest-descent step is not the solution');
});

test('a full batch beyond the capacity runs in chunks and equals one replay', () => {
  const spec = mlpSpec({ n: 23, m: 17 });
  const whole = modelProblem(spec);
  const chunked = modelProblem({ ...spec, maxBatch: 5 });
  assert.deepEqual(whole.capacity, { inner: 23, outer: 17 });
  assert.deepEqual(chunked.capacity, { inner: 5, outer: 5 });
  const z = seeded(whole.dimZ, 5);
  const v = seeded(whole.dimZ, 6);
  const x = Float64Array.of(-0.5, -1.5);
  const long = Int32Array.from({ length: 12 }, (_, k) => (5 * k) % 17);
  for (const [inner, batch] of [[true, whole.fullInner], [false, whole.fullOuter], [true, long], [false, long]] as const) {
    const side = inner ? 'inner' : 'outer';
    const a = whole[`${side}Value`](z, x, batch);
    const b = chunked[`${side}Value`](z, x, batch);
    assert.ok(Math.abs(a - b) <= CHUNK_TOL * Math.abs(a), `${side}Value: ${a} vs ${b}`);
    for (const oracle of [`${side}GradZ`, `${side}GradX`] as const) {
      const n = oracle.endsWith('X') ? 2 : whole.dimZ;
      const [u, w] = [new Float64Array(n), new Float64Array(n).fill(NaN)];
      whole[oracle](z, x, batch, u);
      chunked[oracle](z, x, batch, w);
      assert.ok(relErr(w, u) <= CHUNK_TOL, `${oracle} on ${batch.length} samples`);
    }
    for (const oracle of [`${side}Hvp`, `${side}Cross`] as const) {
      const n = oracle.endsWith('Cross') ? 2 : whole.dimZ;
      const [u, w] = [new Float64Array(n), new Float64Array(n).fill(NaN)];
      whole[oracle](z, x, v, batch, u);
      chunked[oracle](z, x, v, batch, w);
      assert.ok(relErr(w, u) <= CHUNK_TOL, `${oracle} on ${batch.length} samples`);
    }
  }
  const [h1, c1, h2, c2] = [new Float64Array(whole.dimZ), new Float64Array(2), new Float64Array(whole.dimZ), new Float64Array(2)];
  whole.innerHvpCross(z, x, v, whole.fullInner, h1, c1);
  chunked.innerHvpCross(z, x, v, whole.fullInner, h2, c2);
  assert.ok(relErr(h2, h1) <= CHUNK_TOL && relErr(c2, c1) <= CHUNK_TOL, 'innerHvpCross');
  // and so does the evaluation (same inner solve from the same start, same CG)
  const e1 = modelProblem({ ...spec, innerTol: 1e-9 }).hypergradient(x);
  const e2 = modelProblem({ ...spec, maxBatch: 5, innerTol: 1e-9 }).hypergradient(x);
  assert.ok(Math.abs(e1.value - e2.value) <= 1e-9 * Math.abs(e1.value) && relErr(e2.grad, e1.grad) <= 1e-7, `${e1.grad} vs ${e2.grad}`);
});

test('the default capacity is min(n, 1024)', () => {
  const small = modelProblem(mlpSpec({ n: 30, m: 20 }));
  assert.deepEqual(small.capacity, { inner: 30, outer: 20 });
  // 2,000 samples of 300 hidden units: about 10 doubles per unit and sample (value, tangent, adjoint, adjoint tangent
  // of the dense layer; those and two caches of tanh), 24 KB per sample: 256 MiB would hold 10,000, so capped at 1024
  const train = syntheticClasses(2000, 4, 2, 1).X;
  const val = syntheticClasses(1500, 4, 2, 2).X;
  const out = (t: Tape, p: TapeTensors<{ W: [4, 300]; c: [300]; u: [300] }>, X: Matrix) => t.matmul(t.tanh(t.linear(t.gatherRows(X), p.W, p.c)), t.reshape(p.u, [300, 1]));
  const wide = modelProblem({
    params: { W: [4, 300], c: [300], u: [300] },
    hyper: { logDecay: [] },
    inner: { n: 2000, loss: (t, p, h) => t.add(t.mean(out(t, p, train)), t.mul(t.exp(h.logDecay), t.sum(t.square(p.u)))) },
    outer: { n: 1500, loss: (t, p) => t.mean(out(t, p, val)) },
  });
  assert.deepEqual(wide.capacity, { inner: 1024, outer: 1024 });
});

test('solveInner starts at init, then where the last solve ended (warmStart), or always at init', () => {
  const spec = mlpSpec({ activation: 'tanh' });
  const p = modelProblem({ ...spec, innerTol: 1e-8, init: { kind: 'glorot-uniform', seed: 7 } });
  const z0 = p.initialZ();
  const { W1, b1 } = p.layout.params.split(z0);
  const bound = Math.sqrt(6 / (5 + 6));
  assert.ok(W1.every((w) => Math.abs(w) <= bound) && W1.some((w) => w !== 0), 'W1 ~ U(−a, a)');
  assert.ok(b1.every((b) => b === 0), 'biases start at zero');
  const x = Float64Array.of(-2, -2);
  const first = p.solveInner(x);
  assert.ok(first.converged && first.iterations > 5, `first solve: ${first.iterations} iterations to ${first.gradNorm}`);
  const second = p.solveInner(x);
  assert.ok(second.converged && second.iterations <= 1, `warm-started solve at the same x: ${second.iterations} iterations`);
  const cold = modelProblem({ ...spec, innerTol: 1e-8, init: { kind: 'glorot-uniform', seed: 7 }, warmStart: false });
  cold.solveInner(x);
  assert.equal(cold.solveInner(x).iterations, first.iterations, 'warmStart false: every solve starts at init');
  const newton = modelProblem({ ...spec, innerTol: 1e-8, innerSolver: 'newton-cg', init: { kind: 'glorot-uniform', seed: 7 } }).solveInner(x);
  assert.ok(newton.converged, `newton-cg reached ${newton.gradNorm}`);
  // z0 given by the caller wins over the warm start
  const fromGiven = p.solveInner(x, { z0: p.initialZ(), maxIter: 1 });
  assert.equal(fromGiven.iterations, 1);
});

test('the layout helper splits and joins flat z by name; init as a Float64Array is copied', () => {
  const spec = mlpSpec();
  const p = modelProblem(spec);
  const z = seeded(p.dimZ, 9);
  const parts = p.layout.params.split(z);
  assert.deepEqual(p.layout.params.names, ['W1', 'b1', 'W2', 'b2']);
  assert.deepEqual(p.layout.params.offsets, [0, 30, 36, 54]);
  assert.deepEqual(Array.from(p.layout.params.join(parts)), Array.from(z));
  const given = modelProblem({ ...spec, init: z });
  z[0] = 99;
  assert.notEqual(given.initialZ()[0], 99);
  assert.equal(p.info?.params, 'W1 [5, 6], b1 [6], W2 [6, 3], b2 [3]');
});

test('bad specs give one clear error each, naming the field and what was expected', () => {
  const spec = mlpSpec() as unknown as ModelSpec<TensorShapes, TensorShapes>;
  const { X, y } = syntheticClasses(24, 5, 3, 3);
  const bad = (patch: Record<string, unknown>) => () => modelProblem({ ...spec, ...patch } as ModelSpec<TensorShapes, TensorShapes>);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ maxbatch: 8 }, /^(Range|Type)Error: modelProblem: unknown field spec\.maxbatch; expected one of name, params, hyper/],
    [{ params: {} }, /^(Range|Type)Error: modelProblem: spec\.params must name at least one tensor, received \{\}$/],
    [{ params: { W1: [5, 0] } }, /^(Range|Type)Error: modelProblem: spec\.params\.W1 must be a positive integer or a list of positive integers \(\[\] for a scalar\), received \[5, 0\]$/],
    [{ params: { 0: [2] } }, /^(Range|Type)Error: modelProblem: spec\.params has a tensor named "0"; names must not be integers/],
    [{ hyper: 'decay' }, /^(Range|Type)Error: modelProblem: spec\.hyper must be a record of named shapes/],
    [{ inner: { loss: spec.inner.loss } }, /^(Range|Type)Error: modelProblem: spec\.inner\.n is required \(the number of inner samples\)$/],
    [{ outer: { n: 16, loss: 'ce' } }, /^(Range|Type)Error: modelProblem: spec\.outer\.loss must be a function \(t, params, hyper\) => scalar, received "ce"$/],
    [{ maxBatch: 0 }, /^(Range|Type)Error: modelProblem: spec\.maxBatch must be a positive integer, received 0$/],
    [{ innerSolver: 'adam' }, /^(Range|Type)Error: modelProblem: spec\.innerSolver must be "lbfgs" or "newton-cg", received "adam"$/],
    [{ linearSolver: 'minres' }, /^(Range|Type)Error: modelProblem: spec\.linearSolver must be one of cg, gmres, bicgstab, normal-cg or an object with solve\(matvec, b, x\), received "minres"$/],
    [{ innerTol: -1 }, /^(Range|Type)Error: modelProblem: spec\.innerTol must be a positive finite number, received -1$/],
    [{ init: new Float64Array(3) }, /^(Range|Type)Error: modelProblem: spec\.init must hold the 57 parameters \(W1, b1, W2, b2 in this order\), received 3 numbers$/],
    [{ init: { kind: 'he' } }, /^(Range|Type)Error: modelProblem: spec\.init must be a Float64Array of 57 numbers, "zeros" or \{ kind: "glorot-uniform", seed\?, gain\? \}, received an object$/],
    // the losses
    [{ inner: { n: 24, loss: (t: never, p: Record<string, unknown>) => p.W3 } }, /^(Range|Type)Error: modelProblem: spec\.inner\.loss reads params\.W3, which spec\.params does not declare \(declared: W1, b1, W2, b2\)$/],
    [{ outer: { n: 16, loss: (t: never, p: never, h: Record<string, unknown>) => h.decay } }, /^(Range|Type)Error: modelProblem: spec\.outer\.loss reads hyper\.decay, which spec\.hyper does not declare \(declared: logDecay\)$/],
    [{ params: { ...spec.params, W1: [4, 6] } }, /^(Range|Type)Error: modelProblem: spec\.inner\.loss failed while recording: Tape\.linear: inner dimensions differ: x shape \[batch, 5\] times W shape \[4, 6\]$/],
    [
      { inner: { n: 24, loss: (t: Tape, p: Record<string, TapeVar>) => t.linear(t.gatherRows(X), p.W1, p.b1) } },
      /^RangeError: modelProblem: spec\.inner\.loss must return a scalar \(one entry; reduce over the batch, e\.g\. with t\.mean\), received shape \[batch, 6\]$/,
    ],
    [{ inner: { n: 24, loss: () => 0.5 } }, /^(Range|Type)Error: modelProblem: spec\.inner\.loss must return a value recorded on the tape it was given \(the scalar loss\), received 0\.5$/],
    [
      { inner: { n: 20, loss: (t: Tape) => t.mean(t.softmaxCrossEntropy(t.gatherRows(X, [5]), t.gatherLabels(y))) } },
      /^RangeError: modelProblem: spec\.inner\.loss gathers data of 24 samples but spec\.inner\.n is 20$/,
    ],
  ];
  for (const [patch, message] of cases) assert.throws(bad(patch), message, JSON.stringify(Object.keys(patch)));
  // the oracles
  const p = modelProblem(spec);
  const out = new Float64Array(p.dimZ);
  const x = new Float64Array(2);
  assert.throws(() => p.innerGradZ(new Float64Array(3), x, Int32Array.of(0), out), /^RangeError: mlp\.innerGradZ: z must be a Float64Array of length 57, received length 3$/);
  assert.throws(() => p.outerHvp(new Float64Array(57), x, new Float64Array(56), Int32Array.of(0), out), /^RangeError: mlp\.outerHvp: v must be a Float64Array of length 57, received length 56$/);
  assert.throws(() => p.outerGradX(new Float64Array(57), x, Int32Array.of(16), x), /^RangeError: mlp\.outerGradX: batch\[0\] = 16 is outside 0\.\.15$/);
  assert.throws(() => p.innerValue(new Float64Array(57), x, new Int32Array(25)), /^RangeError: mlp\.innerValue: batch must be an Int32Array of 1\.\.24 sample indices, received length 25$/);
  assert.throws(() => p.layout.params.view(new Float64Array(57), 'W3' as 'W1'), /^RangeError: modelProblem\.view: unknown tensor "W3"; the layout has W1, b1, W2, b2$/);
});

test('modelProblem oracles allocate nothing in the steady state, chunked ones included', () => {
  // a tiny MLP, so that many calls are cheap; capacity 4, so the batches of 6 and the full batches run in chunks
  const p: ModelProblem = modelProblem({ ...mlpSpec({ n: 10, m: 8, d: 2, hidden: 2, classes: 2 }), maxBatch: 4 });
  const z = seeded(p.dimZ, 1);
  const x = Float64Array.of(-1, -1);
  const gz = new Float64Array(p.dimZ);
  const gx = new Float64Array(2);
  const batches = [Int32Array.of(1, 2, 3), Int32Array.of(0, 2, 4, 6, 1, 3), p.fullOuter];
  const round = (r: number) => {
    const b = batches[r % 3];
    p.innerGradZ(z, x, b, gz);
    p.innerHvp(z, x, z, b, gz);
    p.innerCross(z, x, z, b, gx);
    p.innerHvpCross(z, x, z, b, gz, gx);
    p.outerGradZ(z, x, b, gz);
    p.outerGradX(z, x, b, gx);
    p.innerValue(z, x, b);
  };
  for (let r = 0; r < 5_000; r++) round(r); // warm up: JIT tiers settle
  // as in tape-problem.spec.ts: 3 samples of 1.5·10⁴ rounds of 7 calls; one subarray per call (a view of z made to
  // copy it) showed 3 scavenges per sample here; an allocation-free loop shows none. The smallest count is checked
  const counts: number[] = [];
  for (let s = 0; s < 3; s++) {
    const profiler = new GCProfiler();
    profiler.start();
    for (let r = 0; r < 15_000; r++) round(r);
    counts.push(profiler.stop()?.statistics.length ?? 0);
  }
  assert.equal(Math.min(...counts), 0, `garbage collections during 315,000 oracle calls: ${counts.join(', ')}`);
});
