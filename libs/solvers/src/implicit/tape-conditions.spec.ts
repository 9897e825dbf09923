// The tape engine's adapters: conditions recorded on a float64 Tape give the same VJPs as the closed form (ridge
// regression) and as the hand-written products (the tanh fixed-point layer), normal CG's ∂_zT·v included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nrm2, Rng } from '@bilevel/linalg';
import { Tape } from '@bilevel/autodiff';
import { implicitVjp } from './implicit-vjp';
import { fixedPointCondition } from './fixed-point-condition';
import { tapeFixedPointCondition, tapeGradientCondition } from './tape-conditions';
import { ridgeRegression, tanhLayer } from './fixtures';

const relErr = (a: Float64Array, b: Float64Array) => nrm2(Float64Array.from(a, (v, i) => v - b[i])) / nrm2(b);

test('tapeGradientCondition: ridge regression recorded on the tape (½‖Az − b‖² + ½Σe^{x_k}z_k²) gives the closed-form VJP', () => {
  const [m, d] = [30, 8];
  const r = ridgeRegression(m, d, 4);
  const at = tapeGradientCondition({
    tape: new Tape(),
    dimZ: d,
    dimX: d,
    g: (t, z, x) => {
      const Az = t.reshape(t.matmul(t.constant(r.A.data, [m, d]), t.reshape(z, [d, 1])), [m]);
      const res = t.sub(Az, t.constant(r.b));
      return t.add(t.scale(t.sum(t.square(res)), 0.5), t.scale(t.sum(t.mul(t.exp(x), t.square(z))), 0.5));
    },
  });
  const w = Rng.fromSeed(5).normals(new Float64Array(d));
  const cond = at(r.z, r.x);
  // the recorded HVP is H (products with unit vectors give its columns)
  const col = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const e = new Float64Array(d);
    e[j] = 1;
    cond.vjpZ(e, col);
    for (let i = 0; i < d; i++) assert.ok(Math.abs(col[i] - r.H.data[i * d + j]) < 1e-13, `H[${i}, ${j}]`);
  }
  for (const solver of ['cg', 'gmres'] as const) {
    const res = implicitVjp(cond, w, { solver, tol: 1e-12 });
    assert.ok(res.diagnostics.converged);
    assert.ok(relErr(res.xBar, r.vjp(w)) < 1e-9, `${solver}: ${relErr(res.xBar, r.vjp(w))}`);
  }
  assert.throws(() => at(new Float64Array(3), r.x), /tapeGradientCondition: z must be a Float64Array of length 8, received length 3/);
});

test('tapeFixedPointCondition: tanh(Wz + Ux + c) recorded on the tape matches the hand-written products, for every solver', () => {
  const layer = tanhLayer(6, 3, 7);
  const x = Rng.fromSeed(8).normals(new Float64Array(3));
  const z = layer.solve(x);
  const byHand = fixedPointCondition({ dimZ: 6, dimX: 3, ...layer.products(z, x) });
  const { W, U, c } = layer;
  const at = tapeFixedPointCondition({
    tape: new Tape(),
    dimZ: 6,
    dimX: 3,
    T: (t, zv, xv) => {
      const Wz = t.matmul(t.constant(W.data, [6, 6]), t.reshape(zv, [6, 1]));
      const Ux = t.matmul(t.constant(U.data, [6, 3]), t.reshape(xv, [3, 1]));
      return t.tanh(t.add(t.reshape(t.add(Wz, Ux), [6]), t.constant(c)));
    },
  });
  const taped = at(z, x);
  const u = Rng.fromSeed(9).normals(new Float64Array(6));
  const [a, b] = [new Float64Array(6), new Float64Array(6)];
  for (const product of ['vjpZ', 'jvpZ'] as const) {
    taped[product]!(u, a);
    byHand[product]!(u, b);
    assert.ok(relErr(a, b) < 1e-14, product);
  }
  const [ax, bx] = [new Float64Array(3), new Float64Array(3)];
  taped.vjpX(u, ax);
  byHand.vjpX(u, bx);
  assert.ok(relErr(ax, bx) < 1e-14, 'vjpX');
  const w = Rng.fromSeed(10).normals(new Float64Array(6));
  for (const solver of ['gmres', 'bicgstab', 'normal-cg', 'neumann', 'dense'] as const) {
    const t = implicitVjp(taped, w, { solver, tol: 1e-12 });
    const h = implicitVjp(byHand, w, { solver, tol: 1e-12 });
    assert.ok(t.diagnostics.converged && relErr(t.xBar, h.xBar) < 1e-10, `${solver}: ${relErr(t.xBar, h.xBar)}`);
  }
});
