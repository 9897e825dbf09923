import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gaussianBlur, identityOperator } from './forward-operator';

/** Adjoint identities hold to rounding: sums of ≤ 25·P products of numbers ≤ 1. */
const ADJOINT_TOL = 1e-12;

const vec = (n: number) => fc.float64Array({ minLength: n, maxLength: n, min: -1, max: 1, noNaN: true, noDefaultInfinity: true });

test('gaussianBlur: ⟨Au, w⟩ = ⟨u, Aᵀw⟩ on random images of random sizes (reflect boundary, offsets respected)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), (w, h, off) => {
      const A = gaussianBlur(w, h);
      const n = w * h;
      const u = Float64Array.from({ length: n + off }, (_, i) => Math.sin(3 * i + w));
      const v = Float64Array.from({ length: n }, (_, i) => Math.cos(5 * i - h));
      const au = new Float64Array(n + off);
      A.apply(u, off, au, off);
      const atv = new Float64Array(n + 2 * off);
      A.adjointAdd(v, 0, atv, 2 * off, 1);
      let lhs = 0;
      let rhs = 0;
      for (let p = 0; p < n; p++) {
        lhs += au[off + p] * v[p];
        rhs += u[off + p] * atv[2 * off + p];
      }
      assert.ok(Math.abs(lhs - rhs) <= ADJOINT_TOL, `${w}×${h}: ${lhs} vs ${rhs}`);
      // ‖A‖² bound (Schur): ‖Au‖² ≤ bound·‖u‖²
      let nu = 0;
      let nau = 0;
      for (let p = 0; p < n; p++) {
        nu += u[off + p] ** 2;
        nau += au[off + p] ** 2;
      }
      assert.ok(nau <= A.normSquaredBound * nu * (1 + 1e-12));
    }),
    { numRuns: 60, seed: 7 },
  );
  fc.assert(
    fc.property(vec(12), vec(12), (u, v) => {
      const I = identityOperator(4, 3);
      const out = new Float64Array(12);
      I.apply(u, 0, out, 0);
      assert.ok(out.every((e, i) => e === u[i]));
      out.fill(0);
      I.adjointAdd(v, 0, out, 0, 2);
      assert.ok(out.every((e, i) => e === 2 * v[i]));
    }),
    { numRuns: 20, seed: 8 },
  );
});

test('gaussianBlur: the 5×5 kernel of σ = 1 is normalized (constants are kept), symmetric, and mirrors about the edge pixel', () => {
  const A = gaussianBlur(10, 10);
  const ones = new Float64Array(100).fill(0.7);
  const out = new Float64Array(100);
  A.apply(ones, 0, out, 0);
  assert.ok(out.every((v) => Math.abs(v - 0.7) < 1e-15));
  // a unit impulse far from the edges spreads as the kernel k[a]k[b]/s², k[d] = exp(−d²/2), d = −2…2
  const k1 = [-2, -1, 0, 1, 2].map((d) => Math.exp(-d * d / 2));
  const s = k1.reduce((a, b) => a + b);
  const imp = new Float64Array(100);
  imp[4 * 10 + 4] = 1;
  A.apply(imp, 0, out, 0);
  for (let a = -2; a <= 2; a++) for (let b = -2; b <= 2; b++) assert.ok(Math.abs(out[(4 + a) * 10 + 4 + b] - (k1[a + 2] * k1[b + 2]) / (s * s)) < 1e-15);
  // reflect (numpy/torch): row −1 is row 1, so pixel (0, 0) sees an impulse at (row 1, col 0) twice, from a = ±1
  const edge = new Float64Array(100);
  edge[1 * 10 + 0] = 1;
  A.apply(edge, 0, out, 0);
  assert.ok(Math.abs(out[0] - (2 * k1[1] * k1[2]) / (s * s)) < 1e-15);
  assert.throws(() => gaussianBlur(4, 4, { size: 4 }), /gaussianBlur: blur size must be an odd positive integer, received 4/);
  assert.throws(() => gaussianBlur(4, 4, { sigma: 0 }), /gaussianBlur: blur sigma must be a positive number, received 0/);
});
