// Each operation of the tape against central finite differences, at first and second order, at random points
// (fast-check, fixed seeds); the activity analysis against the full sweep; the errors of the builder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matrix } from '@bilevel/linalg';
import { Tape } from './tape';
import type { TapeVar } from './tape';

/**
 * Central differences with step H = 1e-5 on O(1) smooth functions of O(1) inputs: truncation ~H²·|f'''| ≈ 1e-10,
 * round-off ~1e-16/H ≈ 1e-11 of the value; 1e-6 relative (floor 1e-6) has four orders of margin, while a wrong rule
 * is off by O(1).
 */
const H = 1e-5;
const FD_TOL = 1e-6;
const FLOOR = 1e-6;
/**
 * Round-off of a central difference: ~u·|φ|/H per evaluation, u = 2⁻⁵³, with a factor 64 for the sums inside φ. Added
 * as an absolute allowance, so that near-zero derivatives (saturated softplus or sigmoid) are judged against the
 * resolution of the difference quotient, not against themselves.
 */
const fdNoise = (scale: number) => (64 * 2 ** -53 * Math.max(1, Math.abs(scale))) / H;
/** Plans that prune work must give the same bits as a full plan up to round-off of a different summation grouping. */
const SAME_TOL = 1e-13;
const SEED = 7;
const N = 4;
const SAMPLES = 9;
const COLS = 3;

const M = matrix(SAMPLES, COLS, Float64Array.from({ length: SAMPLES * COLS }, (_, i) => Math.sin(1.7 * i + 0.3)));
const LABELS = Float64Array.from({ length: SAMPLES }, (_, j) => (j % 3 === 0 ? -1 : 0.5 + j / 10));
const C1 = Float64Array.from({ length: N }, (_, k) => 0.7 - 0.3 * k);
const C2 = Float64Array.from({ length: N }, (_, k) => 0.2 + 0.25 * k);

interface Case {
  readonly name: string;
  /** Lengths of the two inputs a, b. */
  readonly dims: readonly [number, number];
  /** Inputs drawn in [lo, hi]. */
  readonly range?: readonly [number, number];
  /** y = op(a, b), of length N or the batch length. */
  readonly op: (t: Tape, a: TapeVar, b: TapeVar) => TapeVar;
  /** Kernels of rowsDot (default `auto`: WebAssembly SIMD where available). */
  readonly kernels?: 'auto' | 'js';
}

const CASES: readonly Case[] = [
  { name: 'add', dims: [N, N], op: (t, a, b) => t.add(a, b) },
  { name: 'add broadcast', dims: [1, N], op: (t, a, b) => t.add(a, b) },
  { name: 'sub', dims: [N, N], op: (t, a, b) => t.sub(a, b) },
  { name: 'sub broadcast', dims: [N, 1], op: (t, a, b) => t.sub(a, b) },
  { name: 'mul', dims: [N, N], op: (t, a, b) => t.mul(a, b) },
  { name: 'mul self', dims: [N, N], op: (t, a) => t.mul(a, a) },
  { name: 'mul broadcast', dims: [1, N], op: (t, a, b) => t.mul(a, b) },
  { name: 'neg', dims: [N, N], op: (t, a, b) => t.mul(t.neg(a), b) },
  { name: 'scale', dims: [N, N], op: (t, a, b) => t.mul(t.scale(a, 2.5), b) },
  { name: 'exp', dims: [N, N], op: (t, a, b) => t.mul(t.exp(a), b) },
  { name: 'log', dims: [N, N], range: [0.3, 3], op: (t, a, b) => t.mul(t.log(a), b) },
  { name: 'softplus', dims: [N, N], range: [-30, 30], op: (t, a, b) => t.softplus(t.mul(a, b)) },
  { name: 'sigmoid', dims: [N, N], range: [-4, 4], op: (t, a, b) => t.sigmoid(t.mul(a, b)) },
  { name: 'square', dims: [N, N], op: (t, a, b) => t.mul(t.square(a), b) },
  { name: 'constant', dims: [N, N], op: (t, a, b) => t.mul(t.add(a, t.constant(C2)), t.add(b, t.constant(0.5))) },
  { name: 'sum, mean, dot (scalars broadcast)', dims: [N, N], op: (t, a, b) => t.add(t.mul(t.sum(t.square(a), 0.5), b), t.mul(t.mean(b), t.dot(a, b))) },
  { name: 'rowsDot, gather (batch length)', dims: [COLS, 1], op: (t, a, b) => t.softplus(t.mul(t.mul(t.gather(LABELS), t.rowsDot(M, a)), t.exp(b))) },
  { name: 'rowsDot on the JavaScript kernels', dims: [COLS, 1], kernels: 'js', op: (t, a, b) => t.softplus(t.mul(t.mul(t.gather(LABELS), t.rowsDot(M, a)), t.exp(b))) },
];

/** s = Σ_k c1_k·y_k² + c2_k·y_k (weights cycled over batch-length y): both curvature and a linear part. */
function recordCase(c: Case) {
  const t = new Tape({ kernels: c.kernels ?? 'auto' });
  const a = t.input(c.dims[0]);
  const b = t.input(c.dims[1]);
  const y = c.op(t, a, b);
  const w1 = y.batched ? t.constant(0.8) : t.constant(C1);
  const w2 = y.batched ? t.constant(-0.3) : t.constant(C2);
  t.output(t.add(t.sum(t.mul(w1, t.square(y))), t.sum(t.mul(w2, y))));
  return { t, a, b };
}

type Recorded = ReturnType<typeof recordCase>;

function valueAt(r: Recorded, a: Float64Array, b: Float64Array, batch: Int32Array): number {
  const plan = r.t.plan({ order: 0 });
  r.a.val.set(a);
  r.b.val.set(b);
  plan.run(batch);
  return (r.t.out as TapeVar).val[0];
}

function gradAt(r: Recorded, a: Float64Array, b: Float64Array, batch: Int32Array): [Float64Array, Float64Array] {
  const plan = r.t.plan({ order: 1, wrt: [r.a, r.b] });
  r.a.val.set(a);
  r.b.val.set(b);
  plan.run(batch);
  return [r.a.bar.slice(), r.b.bar.slice()];
}

/** Norm-wise relative error ‖got − want‖∞ / max(‖got‖∞, ‖want‖∞, FLOOR), after subtracting an absolute allowance. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>, allowance = 0): number {
  let d = 0;
  let s = FLOOR;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    s = Math.max(s, Math.abs(got[i]), Math.abs(want[i]));
  }
  return Math.max(0, d - allowance) / s;
}

const maxAbs = (...xs: ArrayLike<number>[]) => xs.reduce((m, x) => Math.max(m, ...Array.from(x, Math.abs)), 0);

const shift = (p: Float64Array, h: number, u: Float64Array) => Float64Array.from(p, (e, i) => e + h * u[i]);

const point = (n: number, range: readonly [number, number]) =>
  fc.float64Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: range[0], max: range[1] });
const batchArb = fc.uniqueArray(fc.integer({ min: 0, max: SAMPLES - 1 }), { minLength: 1, maxLength: SAMPLES }).map((b) => Int32Array.from(b));

for (const c of CASES) {
  test(`tape ${c.name}: gradient and Hessian-vector product match central differences`, () => {
    const r = recordCase(c);
    const [na, nb] = c.dims;
    const range = c.range ?? [-2, 2];
    fc.assert(
      fc.property(point(na, range), point(nb, range), point(na, [-1, 1]), point(nb, [-1, 1]), batchArb, (a, b, da0, db0, batch) => {
        // a direction of ∞-norm 1, so the difference step H·d stays well above round-off
        const norm = Math.max(...da0.map(Math.abs), ...db0.map(Math.abs));
        const da = norm > 0 ? da0.map((e) => e / norm) : Float64Array.from({ length: na }, (_, i) => (i === 0 ? 1 : 0));
        const db = norm > 0 ? db0.map((e) => e / norm) : new Float64Array(nb);
        // gradient: each component against the difference quotient of the value
        const [ga, gb] = gradAt(r, a, b, batch);
        const fdA = Float64Array.from({ length: na }, (_, i) => {
          const e = new Float64Array(na);
          e[i] = 1;
          return (valueAt(r, shift(a, H, e), b, batch) - valueAt(r, shift(a, -H, e), b, batch)) / (2 * H);
        });
        const fdB = Float64Array.from({ length: nb }, (_, i) => {
          const e = new Float64Array(nb);
          e[i] = 1;
          return (valueAt(r, a, shift(b, H, e), batch) - valueAt(r, a, shift(b, -H, e), batch)) / (2 * H);
        });
        const sNoise = fdNoise(valueAt(r, a, b, batch));
        assert.ok(relErr(ga, fdA, sNoise) <= FD_TOL, `∂s/∂a: ${ga} vs ${fdA}`);
        assert.ok(relErr(gb, fdB, sNoise) <= FD_TOL, `∂s/∂b: ${gb} vs ${fdB}`);
        // second order along (da, db): the adjoint tangents against differences of the gradient
        const plan = r.t.plan({ order: 2, wrt: [r.a, r.b], direction: [r.a, r.b] });
        r.a.val.set(a);
        r.b.val.set(b);
        r.a.dot.set(da);
        r.b.dot.set(db);
        plan.run(batch);
        const ha = r.a.bdot.slice();
        const hb = r.b.bdot.slice();
        const [pa, pb] = gradAt(r, shift(a, H, da), shift(b, H, db), batch);
        const [ma, mb] = gradAt(r, shift(a, -H, da), shift(b, -H, db), batch);
        const fa = pa.map((e, i) => (e - ma[i]) / (2 * H));
        const fb = pb.map((e, i) => (e - mb[i]) / (2 * H));
        const gNoise = fdNoise(maxAbs(pa, pb, ma, mb));
        assert.ok(relErr(ha, fa, gNoise) <= FD_TOL, `∇²s·d in a: ${ha} vs ${fa}`);
        assert.ok(relErr(hb, fb, gNoise) <= FD_TOL, `∇²s·d in b: ${hb} vs ${fb}`);
        // pruned plans (one wrt, one direction) agree with the full sweep
        const full = r.t.plan({ order: 2, wrt: [r.a, r.b], direction: [r.a] });
        r.a.val.set(a);
        r.b.val.set(b);
        r.a.dot.set(da);
        full.run(batch);
        const crossFull = r.b.bdot.slice();
        const hvpFull = r.a.bdot.slice();
        r.b.dot.fill(Number.NaN); // not a direction: must not be read
        r.t.plan({ order: 2, wrt: [r.b], direction: [r.a] }).run(batch);
        assert.ok(relErr(r.b.bdot, crossFull) <= SAME_TOL, 'cross-only plan');
        r.t.plan({ order: 2, wrt: [r.a], direction: [r.a] }).run(batch);
        assert.ok(relErr(r.a.bdot, hvpFull) <= SAME_TOL, 'HVP-only plan');
        r.t.plan({ order: 1, wrt: [r.b] }).run(batch);
        assert.ok(relErr(r.b.bar, gb) <= SAME_TOL, 'gradient in b only');
      }),
      { seed: SEED, numRuns: 12 },
    );
  });
}

test('a tape whose output does not depend on an input gives a zero derivative, whatever its buffers held', () => {
  const t = new Tape();
  const z = t.input(3);
  const x = t.input(2);
  t.output(t.sum(t.square(z)));
  const gx = t.plan({ order: 1, wrt: [x] });
  const cx = t.plan({ order: 2, wrt: [x], direction: [z] });
  assert.equal(gx.structurallyZero, true);
  assert.deepEqual(gx.work, { forward: 0, reverse: 0 });
  x.bar.fill(5);
  x.bdot.fill(5);
  z.val.set([1, 2, 3]);
  gx.run(new Int32Array(1));
  cx.run(new Int32Array(1));
  assert.deepEqual(Array.from(x.bar), [0, 0]);
  assert.deepEqual(Array.from(x.bdot), [0, 0]);
});

test('activity analysis: the cross product of a data loss plus a regularizer skips the data', () => {
  // s = mean softplus(M_B z) + Σ e^x z²: the x-adjoint tangent needs only the regularizer's nodes
  const t = new Tape();
  const z = t.input(COLS);
  const x = t.input(COLS);
  const data = t.mean(t.softplus(t.rowsDot(M, z)));
  t.output(t.add(data, t.sum(t.mul(t.exp(x), t.square(z)))));
  const cross = t.plan({ order: 2, wrt: [x], direction: [z] });
  const hvp = t.plan({ order: 2, wrt: [z], direction: [z] });
  // cross: forward exp and square (value and tangent, one call); reverse add and sum (the adjoint ȳ that mul's
  // reverse-tangent rule reads), mul, exp: neither rowsDot, softplus nor mean runs
  assert.deepEqual(cross.work, { forward: 2, reverse: 4 });
  assert.ok(hvp.work.forward > cross.work.forward);
});

test('Tape rejects invalid operations with errors that name the method, the field and the value', () => {
  const t = new Tape();
  const z = t.input(3);
  const w = t.input(2);
  assert.throws(() => t.input(0), /Tape\.input: n must be a positive integer, received 0/);
  assert.throws(() => t.add(z, w), /Tape\.add: operands must have the same length or one of length 1, received length 3 and length 2/);
  assert.throws(() => t.rowsDot(M, w), /Tape\.rowsDot: u must have fixed length M.cols = 3, received length 2/);
  t.rowsDot(M, z);
  assert.throws(() => t.gather(new Float64Array(SAMPLES + 1)), /Tape\.gather: y has 10 samples but the tape's data have 9/);
  assert.throws(() => t.scale(z, Number.NaN), /Tape\.scale: c must be a finite number, received NaN/);
  assert.throws(() => new Tape().exp(z), /Tape\.exp: u must be a value recorded on this tape/);
  assert.throws(() => t.plan({ order: 1, wrt: [z] }), /Tape\.plan: no output yet/);
  assert.throws(() => t.output(z), /Tape\.output: s must be a scalar \(length 1\), received length 3/);
  t.output(t.sum(t.square(z)));
  assert.throws(() => t.exp(z), /Tape\.exp: the tape is closed/);
  assert.throws(() => t.plan({ order: 1 }), /Tape\.plan: options\.wrt must name at least one input for order 1/);
  assert.throws(() => t.plan({ order: 3 as 2 }), /Tape\.plan: options\.order must be 0, 1 or 2, received 3/);
});

test('Tape validates its options', () => {
  assert.throws(() => new Tape({ kernels: 'gpu' as 'js' }), /Tape: options\.kernels must be "auto" or "js", received "gpu"/);
});

test('Tape takes more than 30 inputs (one per parameter of a deep model) and differentiates in the 40th', () => {
  const t = new Tape();
  const inputs = Array.from({ length: 40 }, () => t.input(2));
  t.output(inputs.slice(1).reduce((s, u, i) => t.add(s, t.scale(t.sum(t.square(u)), i + 1)), t.sum(inputs[0])));
  const last = inputs[39];
  const plan = t.plan({ order: 2, wrt: [last], direction: [last] });
  inputs.forEach((u, i) => u.val.set([i, -i]));
  last.dot.set([1, 2]);
  plan.run(new Int32Array(1));
  // s ∋ 39·‖u₃₉‖², so ∇²s·v = 78·v
  assert.deepEqual(Array.from(last.bdot), [78, 156]);
});
