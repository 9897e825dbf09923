import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fista, fistaWorkspace } from './fista';
import { smoothedTv } from './smoothed-tv';

/** Central differences with h = 1e-6 on O(1) quantities: truncation ~1e-12, rounding ~1e-10 relative. */
const FD_TOL = 1e-7;

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-8, Math.abs(a), Math.abs(b));

test('smoothedTv: gradient, HVP, cross derivative and θ-gradient agree with central differences (random images and θ)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), (w, h, seed) => {
      const reg = smoothedTv().bind(w, h);
      const n = w * h;
      const off = 2;
      const rnd = (k: number) => Math.sin(seed * 7.1 + k * 3.7);
      const theta = Float64Array.of(-1 + rnd(1), -2 + rnd(2));
      const z = Float64Array.from({ length: n + off }, (_, i) => 0.5 + 0.3 * rnd(i + 10));
      const v = Float64Array.from({ length: n + off }, (_, i) => rnd(i + 99));
      const step = 1e-6;
      const shifted = (s: number) => Float64Array.from(z, (e, i) => e + s * step * v[i]);
      const g = new Float64Array(n + off);
      reg.grad(theta, z, off, g, off, 1);
      let gv = 0;
      for (let p = off; p < n + off; p++) gv += g[p] * v[p];
      const fd = (reg.value(theta, shifted(1), off) - reg.value(theta, shifted(-1), off)) / (2 * step);
      assert.ok(relErr(gv, fd) < FD_TOL, `gradient: ${gv} vs ${fd}`);
      const hv = new Float64Array(n + off);
      reg.hvp(theta, z, off, v, off, hv, off, 1);
      const gp = new Float64Array(n + off);
      const gm = new Float64Array(n + off);
      reg.grad(theta, shifted(1), off, gp, off, 1);
      reg.grad(theta, shifted(-1), off, gm, off, 1);
      for (let p = off; p < n + off; p++) assert.ok(Math.abs(hv[p] - (gp[p] - gm[p]) / (2 * step)) < 1e-6 * (1 + Math.abs(hv[p])), 'hvp');
      const cross = new Float64Array(2);
      const gth = new Float64Array(2);
      reg.cross(theta, z, off, v, off, cross, 1);
      reg.gradTheta(theta, z, off, gth, 1);
      for (let k = 0; k < 2; k++) {
        const tp = Float64Array.from(theta);
        const tm = Float64Array.from(theta);
        tp[k] += step;
        tm[k] -= step;
        gp.fill(0);
        gm.fill(0);
        reg.grad(tp, z, off, gp, off, 1);
        reg.grad(tm, z, off, gm, off, 1);
        let fdCross = 0;
        for (let p = off; p < n + off; p++) fdCross += ((gp[p] - gm[p]) / (2 * step)) * v[p];
        assert.ok(relErr(cross[k], fdCross) < FD_TOL || Math.abs(cross[k] - fdCross) < 1e-9, `cross ${k}: ${cross[k]} vs ${fdCross}`);
        const fdTheta = (reg.value(tp, z, off) - reg.value(tm, z, off)) / (2 * step);
        assert.ok(relErr(gth[k], fdTheta) < FD_TOL, `θ-gradient ${k}`);
      }
    }),
    { numRuns: 40, seed: 11 },
  );
});

test('smoothedTv: the curvature bound 8·½e^θ₀/ν holds (power iteration on the HVP stays below it) and (−5, −5) is the start', () => {
  const tv = smoothedTv();
  assert.deepEqual(Array.from(tv.initialTheta()), [-5, -5]);
  const reg = tv.bind(12, 9);
  const theta = Float64Array.of(-1, -3);
  const z = Float64Array.from({ length: 108 }, (_, i) => ((i * 37) % 11) / 11);
  let u = Float64Array.from({ length: 108 }, (_, i) => Math.cos(i));
  let lambda = 0;
  for (let it = 0; it < 300; it++) {
    const hu = new Float64Array(108);
    reg.hvp(theta, z, 0, u, 0, hu, 0, 1);
    lambda = Math.hypot(...hu) / Math.hypot(...u);
    u = hu;
  }
  assert.ok(lambda <= tv.curvatureBound(theta), `${lambda} > ${tv.curvatureBound(theta)}`);
  assert.throws(() => smoothedTv({ start: [1] as never }), /smoothedTv: start must be two finite numbers/);
});

test('smoothedTv: a two-pixel image has the closed-form denoiser (mean kept, difference d solving d − Δy + 2cd/√(d² + ν²) = 0)', () => {
  // g(z) = ½‖z − y‖² + c(√((z₂ − z₁)² + ν²) + ν) with c = ½e^θ₀: the last pixel's φ is the constant ν
  const tv = smoothedTv();
  const reg = tv.bind(2, 1);
  const theta = Float64Array.of(-1.5, -2.5);
  const c = 0.5 * Math.exp(theta[0]);
  const nu = Math.exp(theta[1]);
  const y = Float64Array.of(0.2, 0.9);
  const z = Float64Array.from(y);
  const res = fista(
    (u, g) => {
      g[0] = u[0] - y[0];
      g[1] = u[1] - y[1];
      reg.grad(theta, u, 0, g, 0, 1);
    },
    z,
    fistaWorkspace(2),
    { L: 1 + tv.curvatureBound(theta), mu: 1, tol: 1e-14, maxIter: 10_000 },
  );
  assert.ok(res.converged);
  // bisection on the scalar equation for d = z₂ − z₁ ∈ [0, Δy]
  const dy = y[1] - y[0];
  let lo = 0;
  let hi = dy;
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (mid - dy + (2 * c * mid) / Math.hypot(mid, nu) > 0) hi = mid;
    else lo = mid;
  }
  const mean = (y[0] + y[1]) / 2;
  assert.ok(Math.abs(z[0] - (mean - lo / 2)) < 1e-13 && Math.abs(z[1] - (mean + lo / 2)) < 1e-13, `${Array.from(z)} vs d = ${lo}`);
});
