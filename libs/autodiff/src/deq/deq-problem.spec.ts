// The DEQ problem on the tape engine: the layer against its formula, every product (VJPs, JVP, loss gradient)
// against central finite differences, the BilevelProblem oracles by the oracle audit, the hypergradient against a
// finite difference of h(x) = F(z*(x), x), the binding cache, the conv layer, and bad specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { auditOracles } from '../audit-oracles';
import { deqProblem } from './deq-problem';
import type { DeqSpec } from './deq-problem';

/** Relative error accepted of a central difference with step 1e-6 on smooth float64 functions (~1e-10 attainable). */
const FD_TOL = 1e-7;

function tinyData(n: number, p: number, K: number, seed: number) {
  const rng = Rng.fromSeed(seed);
  const data = new Float64Array(n * p);
  rng.normals(data);
  const labels = Int32Array.from({ length: n }, (_, i) => i % K);
  return { features: { rows: n, cols: p, data }, labels };
}

function randn(n: number, rng: Rng, scale = 1): Float64Array {
  const a = new Float64Array(n);
  rng.normals(a);
  for (let i = 0; i < n; i++) a[i] *= scale;
  return a;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-8);

/** Central difference of a scalar function along direction e from x: (φ(x + he) − φ(x − he))/2h. */
function fd(phi: (x: Float64Array) => number, x: Float64Array, e: Float64Array, h = 1e-6): number {
  const xp = Float64Array.from(x, (v, i) => v + h * e[i]);
  const xm = Float64Array.from(x, (v, i) => v - h * e[i]);
  return (phi(xp) - phi(xm)) / (2 * h);
}

const specs: [string, DeqSpec][] = [
  ['dense', { train: tinyData(5, 3, 3, 1), test: tinyData(4, 3, 3, 2), classes: 3, hidden: 4, init: { seed: 3, layerScale: 0.6 } }],
  ['conv', { train: tinyData(3, 16, 2, 4), test: tinyData(2, 16, 2, 5), classes: 2, layer: 'conv', hidden: 2, imageShape: [1, 4, 4], init: { seed: 6, layerScale: 0.6 } }],
];

test('deqProblem (dense): the layer is tanh(zW + aU + b) row by row', () => {
  const p = deqProblem(specs[0][1]);
  const x = p.initialX();
  const { W, U, b } = p.layout.split(x);
  const batch = Int32Array.of(4, 0, 2);
  const rng = Rng.fromSeed(7);
  const z = randn(3 * 4, rng);
  const out = new Float64Array(12);
  p.equilibriumBatch(batch, x).layer(z, out);
  const A = specs[0][1].train.features.data;
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 4; j++) {
      let s = b[j];
      for (let i = 0; i < 4; i++) s += z[k * 4 + i] * W[i * 4 + j];
      for (let i = 0; i < 3; i++) s += A[batch[k] * 3 + i] * U[i * 4 + j];
      assert.ok(Math.abs(out[k * 4 + j] - Math.tanh(s)) < 1e-14);
    }
  }
});

for (const [kind, spec] of specs) {
  test(`deqProblem (${kind}): (∂f/∂z)ᵀu, ∂f/∂z·v, (∂f/∂x)ᵀu and ∇L against central differences`, () => {
    const p = deqProblem(spec);
    const d = p.stateDim;
    const rng = Rng.fromSeed(8);
    const x = p.initialX();
    const batch = Int32Array.of(1, 0);
    const B = batch.length;
    const z = randn(B * d, rng, 0.5);
    const u = randn(B * d, rng);
    const v = randn(B * d, rng);
    const ex = randn(p.dimX, rng);
    const layerAt = (zz: Float64Array, xx: Float64Array) => {
      const out = new Float64Array(B * d);
      p.equilibriumBatch(batch, xx).layer(zz, out);
      return out;
    };
    const b = p.equilibriumBatch(batch, x);
    const vz = new Float64Array(B * d);
    b.vjpZ(z, u, vz);
    assert.ok(relErr(dot(vz, v), fd((zz) => dot(u, layerAt(zz, x)), z, v)) < FD_TOL, 'vjpZ');
    const jv = new Float64Array(B * d);
    p.equilibriumBatch(batch, x).jvpZ(z, v, jv);
    assert.ok(relErr(dot(u, jv), dot(vz, v)) < 1e-12, '⟨u, Jv⟩ = ⟨Jᵀu, v⟩');
    const vx = new Float64Array(p.dimX);
    p.equilibriumBatch(batch, x).vjpX(z, u, vx);
    assert.ok(relErr(dot(vx, ex), fd((xx) => dot(u, layerAt(z, xx)), x, ex)) < FD_TOL, 'vjpX');
    const { Wc, bc } = p.layout.split(vx);
    assert.ok(Wc.every((c) => c === 0) && bc.every((c) => c === 0), 'the layer does not depend on the head');
    const gz = new Float64Array(B * d);
    const gx = new Float64Array(p.dimX);
    p.equilibriumBatch(batch, x).loss(z, gz, gx);
    const lossAt = (zz: Float64Array, xx: Float64Array) => p.equilibriumBatch(batch, xx).loss(zz, new Float64Array(B * d));
    assert.ok(relErr(dot(gz, v), fd((zz) => lossAt(zz, x), z, v)) < FD_TOL, '∇_z L');
    assert.ok(relErr(dot(gx, ex), fd((xx) => lossAt(z, xx), x, ex)) < FD_TOL, '∇_x L');
  });

  test(`deqProblem (${kind}): the BilevelProblem oracles pass the finite-difference audit`, () => {
    const p = deqProblem(spec);
    const audit = auditOracles(p, { seed: 2, points: 2 });
    assert.ok(audit.ok, audit.oracles.map((o) => `${o.name} ${o.maxRelError.toExponential(2)}`).join(', '));
  });

  test(`deqProblem (${kind}): the hypergradient is the derivative of h(x) = F(z*(x), x), and v solves ∇²G v = −∇_zF`, () => {
    const p = deqProblem({ ...spec, forwardTol: 1e-14, forwardMaxIter: 500, backwardTol: 1e-13 });
    const rng = Rng.fromSeed(9);
    const x = p.initialX();
    const hg = p.hypergradient(x);
    assert.ok(hg.innerConverged, `‖∇G‖ = ${hg.innerGradNorm}`);
    const h = (xx: Float64Array) => p.outerValue(p.solveInner(xx, { z0: hg.z }).z, xx, p.fullOuter);
    for (let r = 0; r < 2; r++) {
      const e = randn(p.dimX, rng);
      assert.ok(relErr(dot(hg.grad, e), fd(h, x, e, 1e-5)) < 1e-6, `direction ${r}`);
    }
    const Hv = new Float64Array(p.dimZ);
    p.innerHvp(hg.z, x, hg.v, p.fullInner, Hv);
    const gF = new Float64Array(p.dimZ);
    p.outerGradZ(hg.z, x, p.fullOuter, gF);
    let err = 0;
    for (let i = 0; i < p.dimZ; i++) err = Math.max(err, Math.abs(Hv[i] + gF[i]));
    assert.ok(err < 1e-9 * Math.max(...gF.map(Math.abs)), `‖∇²G v + ∇_zF‖∞ = ${err}`);
  });
}

test('deqProblem: the binding follows x and the batch (no stale injection), and metrics give accuracies in [0, 1]', () => {
  const p = deqProblem(specs[0][1]);
  const x = p.initialX();
  const z = new Float64Array(2 * p.stateDim).fill(0.1);
  const f1 = new Float64Array(z.length);
  const f2 = new Float64Array(z.length);
  p.equilibriumBatch(Int32Array.of(0, 1), x).layer(z, f1);
  const x2 = Float64Array.from(x);
  p.layout.split(x2).b[0] += 1;
  p.equilibriumBatch(Int32Array.of(0, 1), x2).layer(z, f2);
  assert.notEqual(f2[0], f1[0]);
  p.equilibriumBatch(Int32Array.of(0, 2), x).layer(z, f2);
  assert.equal(f2[0], f1[0]);
  assert.notEqual(f2[p.stateDim], f1[p.stateDim]);
  const zs = p.solveInner(x).z;
  const m = p.metrics(x, zs);
  assert.ok(m.trainAccuracy >= 0 && m.trainAccuracy <= 1 && m.testAccuracy >= 0 && m.testAccuracy <= 1);
  assert.equal(m.testUnconverged, 0);
});

test('deqProblem: bad specs are one clear error naming the field', () => {
  const train = tinyData(3, 4, 2, 1);
  assert.throws(() => deqProblem({ train, classes: 1 }), /deqProblem: spec.classes must be an integer ≥ 2, received 1/);
  assert.throws(() => deqProblem({ train, classes: 2, hidden: 0 }), /spec.hidden must be a positive integer, received 0/);
  assert.throws(() => deqProblem({ train, classes: 2, layer: 'conv' }), /spec.imageShape must be \[C, H, W\] with C·H·W = 4/);
  assert.throws(() => deqProblem({ train: { ...train, labels: Int32Array.of(0, 2, 1) }, classes: 2 }), /spec.train.labels\[1\] = 2 is not a class in 0..1/);
  assert.throws(() => deqProblem({ train, classes: 2, chunks: 3 } as never), /unknown field spec.chunks/);
  const p = deqProblem({ train, classes: 2 });
  assert.throws(() => p.equilibriumBatch(Int32Array.of(0, 3), p.initialX()), /deq.equilibriumBatch: batch\[1\] = 3 is not a train sample index in 0..2/);
});
