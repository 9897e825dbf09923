import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { Graph, evaluate, mlp } from '@bilevel/verify';
import { BarrierMlp } from './barrier-mlp';

/** Central differences with step 1e-6 on O(1) smooth functions: truncation ~1e-12, rounding ~1e-10. */
const FD_STEP = 1e-6;
const FD_TOL = 1e-7;
const FC = { seed: 42, numRuns: 25 };

function fd(f: (t: number) => number): number {
  return (f(FD_STEP) - f(-FD_STEP)) / (2 * FD_STEP);
}

test('BarrierMlp: a 1-1-1 network is w₂ tanh(w₁x + b₁) + b₂ (closed form)', () => {
  const b = new BarrierMlp(1, { hidden: [1] });
  assert.equal(b.nPsi, 4);
  const psi = Float64Array.of(0.7, -0.2, 1.5, 0.3); // W₀, b₀, W₁, b₁
  const x = 0.4;
  assert.ok(Math.abs(b.forward(psi, [x]) - (1.5 * Math.tanh(0.7 * x - 0.2) + 0.3)) < 1e-15);
  const gx = new Float64Array(1);
  b.gradX(psi, [x], gx);
  assert.ok(Math.abs(gx[0] - 1.5 * 0.7 * (1 - Math.tanh(0.7 * x - 0.2) ** 2)) < 1e-15);
});

test('BarrierMlp: ∂B/∂ψ and ∂B/∂x agree with central differences (2-5-4-1)', () => {
  const b = new BarrierMlp(2, { hidden: [5, 4] });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, x0, x1) => {
      const psi = b.init(Rng.fromSeed(seed));
      const rng = Rng.fromSeed(seed + 1);
      for (let k = 0; k < psi.length; k++) psi[k] += 0.3 * (2 * rng.float() - 1); // non-zero biases too
      const x = Float64Array.of(x0, x1);
      const gpsi = new Float64Array(b.nPsi);
      const gx = new Float64Array(2);
      b.forward(psi, x);
      b.backward(psi, 1, gpsi, gx);
      for (let k = 0; k < b.nPsi; k++) {
        const num = fd((h) => {
          const p = Float64Array.from(psi);
          p[k] += h;
          return b.forward(p, x);
        });
        assert.ok(Math.abs(gpsi[k] - num) < FD_TOL, `dB/dpsi[${k}]: ${gpsi[k]} vs ${num}`);
      }
      for (let i = 0; i < 2; i++) {
        const num = fd((h) => {
          const y = Float64Array.from(x);
          y[i] += h;
          return b.forward(psi, y);
        });
        assert.ok(Math.abs(gx[i] - num) < FD_TOL, `dB/dx[${i}]: ${gx[i]} vs ${num}`);
      }
    }),
    FC,
  );
});

test('BarrierMlp: backward accumulates seed·∂B/∂ψ into gpsi', () => {
  const b = new BarrierMlp(2, { hidden: [3] });
  const psi = b.init(Rng.fromSeed(3));
  const g1 = new Float64Array(b.nPsi);
  const g2 = new Float64Array(b.nPsi).fill(1);
  b.forward(psi, [0.3, -0.1]);
  b.backward(psi, 1, g1, null);
  b.forward(psi, [0.3, -0.1]);
  b.backward(psi, -2.5, g2, null);
  for (let k = 0; k < b.nPsi; k++) assert.ok(Math.abs(g2[k] - (1 - 2.5 * g1[k])) < 1e-14);
});

test('BarrierMlp.mixedX: D_ψ(∇ₓB)[v] agrees with central differences of ∇ₓB along v', () => {
  const b = new BarrierMlp(2, { hidden: [6, 5] });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      const rng = Rng.fromSeed(seed);
      const psi = b.init(rng);
      const v = Float64Array.from({ length: b.nPsi }, () => 2 * rng.float() - 1);
      const x = Float64Array.of(4 * rng.float() - 2, 4 * rng.float() - 2);
      const gx = new Float64Array(2);
      const dgx = new Float64Array(2);
      const val = b.mixedX(psi, x, v, gx, dgx);
      assert.equal(val, b.forward(psi, x));
      const ref = new Float64Array(2);
      b.gradX(psi, x, ref);
      for (let i = 0; i < 2; i++) {
        assert.ok(Math.abs(gx[i] - ref[i]) < 1e-15);
        const num = fd((h) => {
          const out = new Float64Array(2);
          b.gradX(Float64Array.from(psi, (p, k) => p + h * v[k]), x, out);
          return out[i];
        });
        assert.ok(Math.abs(dgx[i] - num) < FD_TOL, `mixed[${i}]: ${dgx[i]} vs ${num}`);
      }
    }),
    FC,
  );
});

test('BarrierMlp.layers: the verifier graph of the layers computes the same B', () => {
  const b = new BarrierMlp(3, { hidden: [4, 4] });
  const psi = b.init(Rng.fromSeed(9));
  const g = new Graph(3);
  const out = mlp(g, g.inputs(), b.layers(psi))[0];
  const x = Float64Array.of(0.2, -1.1, 0.5);
  assert.ok(Math.abs(evaluate(g, x)[out] - b.forward(psi, x)) < 1e-14);
});

test('BarrierMlp: options are validated', () => {
  assert.throws(() => new BarrierMlp(0), /BarrierMlp: nx must be an integer ≥ 1, received 0/);
  assert.throws(() => new BarrierMlp(2, { hidden: [4, 0] }), /options.hidden must be a non-empty list of integers ≥ 1/);
  assert.throws(() => new BarrierMlp(2, { hidden: [] }), /options.hidden/);
});
