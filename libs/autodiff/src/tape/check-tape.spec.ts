// The finite-difference audit: every op of the engine passes auditOp, and an op whose adjoint-tangent rule is
// deliberately wrong (the sign of φ'' flipped, the bug tfjs#3252 gives exp/sigmoid/softplus at second order) or whose
// adjoint is slightly off is flagged, by the order it breaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditOp, checkTape } from './check-tape';
import { Tape } from './tape';
import type { TapeVar } from './tape';
import { sampleData, SAMPLES } from '../fixtures/tape-cases';

/** The audit's default tolerance; a correct op measures ~1e-9 or less, a wrong rule O(1e-2) to O(1). */
const TOL = 1e-6;
/** A deliberate 1% error in an adjoint must exceed this (far above the tolerance). */
const FLAGGED = 1e-3;
const BATCH = Int32Array.of(4, 0, 2);
const LABELS = Int32Array.from({ length: SAMPLES }, (_, j) => j % 3);
const batched = (t: Tape, u: TapeVar, per: number[]) => t.mul(t.gatherRows(sampleData(per.reduce((p, d) => p * d, 1)), per), u);

/** One audited case per op: name, input shapes, build. */
const OPS: readonly [string, number[][], (t: Tape, ...u: TapeVar[]) => TapeVar, [number, number]?][] = [
  ['add', [[2, 3], [3]], (t, a, b) => t.add(a, b)],
  ['sub', [[2, 3], [2, 1]], (t, a, b) => t.sub(a, b)],
  ['mul', [[2, 3], [3]], (t, a, b) => t.mul(a, b)],
  ['div', [[2, 3], [3]], (t, a, b) => t.div(a, t.add(t.square(b), t.constant(1)))],
  ['exp', [[4]], (t, u) => t.exp(u)],
  ['log', [[4]], (t, u) => t.log(u), [0.3, 3]],
  ['tanh', [[4]], (t, u) => t.tanh(u)],
  ['sigmoid', [[4]], (t, u) => t.sigmoid(u)],
  ['softplus', [[4]], (t, u) => t.softplus(u)],
  ['relu', [[4]], (t, u) => t.relu(u)],
  ['leakyRelu', [[4]], (t, u) => t.leakyRelu(u, 0.1)],
  ['square', [[4]], (t, u) => t.square(u)],
  ['sqrt', [[4]], (t, u) => t.sqrt(u), [0.3, 3]],
  ['rsqrt', [[4]], (t, u) => t.rsqrt(u), [0.3, 3]],
  ['scale', [[4]], (t, u) => t.scale(u, 3)],
  ['sum over axes', [[2, 3, 2]], (t, u) => t.sum(u, [0, 2])],
  ['mean over the batch', [[3]], (t, u) => t.mean(batched(t, u, [3]), [0])],
  ['reshape', [[2, 3]], (t, u) => t.reshape(t.tanh(u), [3, 2])],
  ['concat', [[2, 1], [2, 2]], (t, a, b) => t.concat([t.tanh(a), b], 1)],
  ['matmul', [[2, 3], [3, 2]], (t, a, b) => t.matmul(a, b)],
  ['linear on the batch', [[3], [3, 2], [2]], (t, x, W, b) => t.linear(batched(t, x, [3]), W, b)],
  ['conv2d', [[2, 1, 4, 4], [2, 1, 3, 3], [2]], (t, x, w, b) => t.conv2d(x, w, { padding: 1, stride: 2, bias: b })],
  ['maxPool2d', [[1, 2, 4, 4]], (t, x) => t.maxPool2d(x, { size: 2 })],
  ['avgPool2d', [[1, 2, 4, 4]], (t, x) => t.avgPool2d(x, { size: 2, stride: 1 })],
  ['logSumExp', [[2, 4]], (t, u) => t.logSumExp(u, 1)],
  ['softmaxCrossEntropy', [[3]], (t, z) => t.softmaxCrossEntropy(batched(t, z, [3]), t.gatherLabels(LABELS))],
  ['batchNorm', [[3, 2]], (t, u) => t.batchNorm(batched(t, u, [3, 2]), [0, 2])],
];

for (const [name, shapes, build, range] of OPS) {
  test(`auditOp passes ${name} (gradient and second-order errors below ${TOL})`, () => {
    const audit = auditOp(name, shapes, build, { batch: BATCH, seed: 5, range });
    assert.ok(audit.ok, `${name}: gradient ${audit.gradient}, second ${audit.second}`);
    assert.equal(audit.tolerance, TOL);
  });
}

/** A sigmoid node whose reverse-tangent rule adds −2φ''u̇ȳ after the right one: the sign of φ'' flipped. */
function flippedSecondOrder(t: Tape, u: TapeVar): TapeVar {
  const y = t.sigmoid(u);
  const right = y.reverse.bind(y);
  (y as unknown as { reverse: typeof y.reverse }).reverse = (barMask, bdotMask, tanMask, barSet, bdotSet) => {
    right(barMask, bdotMask, tanMask, barSet, bdotSet);
    if ((bdotMask & 1) !== 0 && tanMask !== 0) for (let k = 0; k < y.n; k++) y.a.bdot[k] -= 2 * y.d2[k] * y.a.dot[k] * y.bar[k];
  };
  return y;
}

/** A tanh node whose adjoint is 1% too large (the value and tangent are right). */
function inflatedAdjoint(t: Tape, u: TapeVar): TapeVar {
  const y = t.tanh(u);
  const right = y.reverse.bind(y);
  (y as unknown as { reverse: typeof y.reverse }).reverse = (barMask, bdotMask, tanMask, barSet, bdotSet) => {
    right(barMask, bdotMask, tanMask, barSet, bdotSet);
    if (barMask !== 0) for (let k = 0; k < y.n; k++) y.a.bar[k] += 0.01 * y.d1[k] * y.bar[k];
  };
  return y;
}

test('the audit flags an op whose adjoint-tangent rule flips the sign of φ″, and only at second order', () => {
  const audit = auditOp('sigmoid with φ″ flipped', [[4]], flippedSecondOrder, { seed: 5 });
  assert.equal(audit.ok, false);
  assert.ok(audit.second > FLAGGED, `second-order error ${audit.second}`);
  assert.ok(audit.gradient <= TOL, `gradient error ${audit.gradient}`);
  // the same op correctly written passes
  assert.ok(auditOp('sigmoid', [[4]], (t, u) => t.sigmoid(u), { seed: 5 }).ok);
});

test('the audit flags an op whose adjoint is 1% off, at first order', () => {
  const audit = auditOp('tanh with a 1% adjoint error', [[3]], inflatedAdjoint, { seed: 5 });
  assert.equal(audit.ok, false);
  assert.ok(audit.gradient > FLAGGED, `gradient error ${audit.gradient}`);
});

test('checkTape reports every comparison by input pair and validates its arguments', () => {
  const t = new Tape();
  const a = t.input(2, 'a');
  const b = t.input(1, 'b');
  t.output(t.sum(t.mul(t.exp(a), t.square(b))));
  const r = checkTape(t, [a, b], [Float64Array.of(0.1, -0.2), Float64Array.of(0.7)]);
  assert.deepEqual(
    r.entries.map((e) => `${e.order} ${e.wrt} / ${e.direction}`),
    ['gradient a / ', 'gradient b / ', 'second a / a', 'second a / b', 'second b / a', 'second b / b', 'second a / a, b', 'second b / a, b'],
  );
  assert.ok(r.gradient <= TOL && r.second <= TOL, JSON.stringify(r));
  assert.throws(() => checkTape(t, [a, b], [Float64Array.of(1)]), /checkTape: point must hold one Float64Array per input \(2\), received 1/);
  assert.throws(() => checkTape(t, [a], [Float64Array.of(1)]), /checkTape: point\[0\] must be a Float64Array of 2 entries \(the input's shape \[2\]\)/);
  assert.throws(() => auditOp('x', [[2]], (tape, u) => tape.exp(u), { points: 0 }), /auditOp: options\.points must be a positive integer, received 0/);
});
