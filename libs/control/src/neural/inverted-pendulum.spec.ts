import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { INVERTED_PENDULUM } from './inverted-pendulum';

/** Central differences, step 1e-6, of O(10) smooth functions. */
const FD_STEP = 1e-6;
const FD_TOL = 1e-6;

test('INVERTED_PENDULUM: jacobians agree with central differences of dynamics; upright is an unstable equilibrium', () => {
  const sys = INVERTED_PENDULUM;
  fc.assert(
    fc.property(fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 9.6, max: 10, noNaN: true }), (phi, w, u, gr) => {
      const fx = new Float64Array(4);
      const fu = new Float64Array(2);
      sys.jacobians([phi, w], [u], [gr], fx, fu);
      const f = (x: number[], uu: number): Float64Array => {
        const out = new Float64Array(2);
        sys.dynamics(x, [uu], [gr], out);
        return out;
      };
      for (let j = 0; j < 2; j++) {
        const up = f(j === 0 ? [phi + FD_STEP, w] : [phi, w + FD_STEP], u);
        const dn = f(j === 0 ? [phi - FD_STEP, w] : [phi, w - FD_STEP], u);
        for (let i = 0; i < 2; i++) assert.ok(Math.abs(fx[i * 2 + j] - (up[i] - dn[i]) / (2 * FD_STEP)) < FD_TOL);
      }
      const du = f([phi, w], u + FD_STEP).map((v, i) => (v - f([phi, w], u - FD_STEP)[i]) / (2 * FD_STEP));
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(fu[i] - du[i]) < FD_TOL);
    }),
    { seed: 3, numRuns: 100 },
  );
  const out = new Float64Array(2);
  sys.dynamics([0, 0], [0], [9.8], out);
  assert.deepEqual(Array.from(out), [0, 0]);
  sys.dynamics([0.1, 0], [0], [9.8], out);
  assert.ok(out[1] > 0, 'a small tilt accelerates away from upright');
});
