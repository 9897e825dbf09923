import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fieldOfExperts } from './field-of-experts';

/** Central differences with h = 1e-6: relative agreement to ~1e-9 expected; 1e-6 leaves room for cancellation. */
const FD_TOL = 1e-6;

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= FD_TOL * Math.max(1, scale);

test('fieldOfExperts: gradient, HVP, cross derivative and θ-gradient agree with central differences (3×3 and 5×5 filters)', () => {
  fc.assert(
    fc.property(fc.constantFrom(3, 5), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1000 }), (s, K, seed) => {
      const family = fieldOfExperts({ filters: K, size: s });
      const w = s + 3;
      const h = s + 2;
      const n = w * h;
      const off = 3;
      const rnd = (k: number) => Math.sin(seed * 5.3 + k * 2.9);
      const theta = family.initialTheta();
      for (let i = 0; i < theta.length; i++) theta[i] += 0.3 * rnd(i);
      const reg = family.bind(w, h);
      const z = Float64Array.from({ length: n + off }, (_, i) => 0.5 + 0.4 * rnd(i + 500));
      const v = Float64Array.from({ length: n + off }, (_, i) => rnd(i + 900));
      const step = 1e-6;
      const shifted = (sg: number) => Float64Array.from(z, (e, i) => e + sg * step * v[i]);
      const g = new Float64Array(n + off);
      reg.grad(theta, z, off, g, off, 1);
      let gv = 0;
      for (let p = off; p < n + off; p++) gv += g[p] * v[p];
      const fd = (reg.value(theta, shifted(1), off) - reg.value(theta, shifted(-1), off)) / (2 * step);
      assert.ok(close(gv, fd, Math.abs(gv)), `gradient: ${gv} vs ${fd}`);
      const hv = new Float64Array(n + off);
      const gp = new Float64Array(n + off);
      const gm = new Float64Array(n + off);
      reg.hvp(theta, z, off, v, off, hv, off, 1);
      reg.grad(theta, shifted(1), off, gp, off, 1);
      reg.grad(theta, shifted(-1), off, gm, off, 1);
      for (let p = off; p < n + off; p++) assert.ok(close(hv[p], (gp[p] - gm[p]) / (2 * step), Math.abs(hv[p])), `hvp at ${p}`);
      const cross = new Float64Array(family.dimTheta);
      const gth = new Float64Array(family.dimTheta);
      reg.cross(theta, z, off, v, off, cross, 1);
      reg.gradTheta(theta, z, off, gth, 1);
      for (let k = 0; k < family.dimTheta; k++) {
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
        assert.ok(close(cross[k], fdCross, Math.abs(cross[k])), `cross ${k}: ${cross[k]} vs ${fdCross}`);
        const fdTheta = (reg.value(tp, z, off) - reg.value(tm, z, off)) / (2 * step);
        assert.ok(close(gth[k], fdTheta, Math.abs(gth[k])), `θ-gradient ${k}: ${gth[k]} vs ${fdTheta}`);
      }
    }),
    { numRuns: 12, seed: 5 },
  );
});

test('fieldOfExperts: the start is K zero-mean orthonormal centred DCT filters (3×3 support for K ≤ 8) stored as c/κ, α = −3, log ν = −3', () => {
  const family = fieldOfExperts({ filters: 6, size: 7 });
  assert.equal(family.dimTheta, 6 * 49 + 6 + 1);
  const theta = family.initialTheta();
  // θ holds the filters divided by κ = 0.1
  const filter = (k: number) => theta.subarray(k * 49, (k + 1) * 49).map((e) => 0.1 * e);
  for (let k = 0; k < 6; k++) {
    assert.ok(Math.abs(filter(k).reduce((a, b) => a + b, 0)) < 1e-12, 'zero mean');
    assert.ok(filter(k).every((e, i) => e === 0 || (Math.abs((i % 7) - 3) <= 1 && Math.abs(Math.floor(i / 7) - 3) <= 1)), 'centred 3×3 support');
    for (let l = 0; l <= k; l++) {
      const d = filter(k).reduce((a, b, i) => a + b * filter(l)[i], 0);
      assert.ok(Math.abs(d - (k === l ? 1 : 0)) < 1e-12, `⟨c_${k}, c_${l}⟩ = ${d}`);
    }
  }
  assert.deepEqual(Array.from(theta.subarray(6 * 49)), [-3, -3, -3, -3, -3, -3, -3]);
  // κ only rescales the stored filters: the same c gives the same R and ∇_z R, and ∂R/∂(c/κ) = κ ∂R/∂c
  const one = fieldOfExperts({ filters: 2, size: 3, filterScale: 1 });
  const tenth = fieldOfExperts({ filters: 2, size: 3 });
  const t1 = one.initialTheta();
  const t2 = tenth.initialTheta();
  assert.ok(t1.every((e, i) => Math.abs(e - (i < 18 ? 0.1 * t2[i] : t2[i])) < 1e-15));
  const z = Float64Array.from({ length: 25 }, (_, i) => Math.sin(i));
  const [r1, r2] = [one.bind(5, 5), tenth.bind(5, 5)];
  assert.ok(Math.abs(r1.value(t1, z, 0) - r2.value(t2, z, 0)) < 1e-14);
  const [g1, g2] = [new Float64Array(21), new Float64Array(21)];
  r1.gradTheta(t1, z, 0, g1, 1);
  r2.gradTheta(t2, z, 0, g2, 1);
  assert.ok(g1.every((e, i) => Math.abs((i < 18 ? 0.1 * e : e) - g2[i]) < 1e-14));
  assert.throws(() => fieldOfExperts({ filterScale: 0 }), /fieldOfExperts: filterScale must be a positive number, received 0/);
  assert.throws(() => fieldOfExperts({ size: 4 }), /fieldOfExperts: size must be 3, 5, 7 or 9, received 4/);
  assert.throws(() => fieldOfExperts({ filters: 9, size: 3 }), /fieldOfExperts: filters = 9 exceeds the 8 zero-mean filters of size 3/);
  assert.throws(() => family.bind(6, 20), /fieldOfExperts: images of 6×20 are smaller than the 7×7 filters/);
});

test('fieldOfExperts: curvature = sup_z ‖∇²R‖ (attained at z = 0, ψ′ = 1/ν) within 2%, below the certified bound', () => {
  for (const [K, s, seed] of [[8, 5, 1], [4, 7, 2]] as const) {
    const family = fieldOfExperts({ filters: K, size: s });
    const theta = family.initialTheta();
    for (let i = 0; i < theta.length; i++) theta[i] += 0.5 * Math.sin(seed * 13 + i * 1.7);
    const side = 32;
    const reg = family.bind(side, side);
    const z = new Float64Array(side * side);
    // an independent power iteration from a pseudo-random start (a constant start is in the filters' null space)
    let u = Float64Array.from({ length: side * side }, (_, i) => (Math.sin(i * 78.233 + seed) * 43758.5453) % 1);
    let lambda = 0;
    const norm = (a: Float64Array) => Math.sqrt(a.reduce((acc, e) => acc + e * e, 0));
    for (let it = 0; it < 300; it++) {
      const hu = new Float64Array(u.length);
      reg.hvp(theta, z, 0, u, 0, hu, 0, 1);
      lambda = norm(hu) / norm(u);
      u = hu.map((e) => e / lambda);
    }
    const curvature = reg.curvature(theta);
    const bound = family.curvatureBound(theta);
    // measured: curvature/λ_max = 1.020 for both; the certified bound is 4.1× and 4.9× λ_max (its reflection factor 4)
    assert.ok(lambda <= curvature && curvature <= 1.03 * lambda, `K = ${K}, s = ${s}: λ_max = ${lambda}, curvature ${curvature}`);
    assert.ok(curvature <= bound, `bound ${bound}`);
    assert.equal(reg.curvature(theta), curvature); // cached
    // the Hessian at any z is below the one at z = 0: a random image's top Rayleigh quotient stays under λ_max
    const zr = Float64Array.from(z, (_, i) => Math.cos(i * 0.7));
    const hz = new Float64Array(z.length);
    reg.hvp(theta, zr, 0, u, 0, hz, 0, 1);
    assert.ok(u.reduce((acc, e, i) => acc + e * hz[i], 0) / u.reduce((acc, e) => acc + e * e, 0) <= lambda);
  }
});

test('fieldOfExperts: HVPs and cross terms reuse the filter responses of an image only when θ\'s filters and the image are the same values', () => {
  const family = fieldOfExperts({ filters: 3, size: 5 });
  const [w, h] = [9, 7];
  const n = w * h;
  const theta = family.initialTheta().map((e, i) => e + 0.2 * Math.sin(i));
  const other = theta.map((e, i) => (i < 3 * 25 ? e * 1.1 : e));
  const image = (seed: number) => Float64Array.from({ length: 2 * n }, (_, i) => Math.cos(seed + i * 0.37));
  const v = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 1.3));
  /** hvp and cross at (θ, z[zo…]) on a fresh binding (no cache) and on `reg` (a cache filled by earlier calls). */
  const both = (reg: ReturnType<typeof family.bind>, th: Float64Array, z: Float64Array, zo: number) => {
    const hv = new Float64Array(n);
    const cross = new Float64Array(family.dimTheta);
    reg.hvp(th, z, zo, v, 0, hv, 0, 1);
    reg.cross(th, z, zo, v, 0, cross, 1);
    return { hv, cross };
  };
  const reg = family.bind(w, h);
  const z = image(1);
  both(reg, theta, z, 0);
  both(reg, other, z, n); // same array, other offset, other filters
  for (let seed = 10; seed < 22; seed++) both(reg, theta, image(seed), 0); // more images than the cache holds
  assert.deepEqual(both(reg, theta, z, 0), both(family.bind(w, h), theta, z, 0));
  assert.deepEqual(both(reg, other, z, n), both(family.bind(w, h), other, z, n));
  // the same array changed in place: new responses
  z[5] += 0.25;
  assert.deepEqual(both(reg, theta, z, 0), both(family.bind(w, h), theta, z, 0));
  // only α or ν changed: the responses are reused, the result is that of a fresh binding
  const reweighted = theta.map((e, i) => (i >= 3 * 25 ? e + 0.3 : e));
  assert.deepEqual(both(reg, reweighted, z, 0), both(family.bind(w, h), reweighted, z, 0));
});

test('fieldOfExperts: the curvature is the certified bound where the bound is below the power-iteration estimate (a corner tap on a 3×3 image: λ_max = 4c²)', () => {
  const family = fieldOfExperts({ filters: 1, size: 3 });
  const reg = family.bind(3, 3);
  const theta = family.initialTheta();
  family.curvatureBound(theta); // a grid computed first, at another θ: the bound's shortcut has a frequency to try
  // c = κ·θ: one tap at the window's corner, weight e^0, ν = e^0. The reflect extension shows the centre pixel 4
  // times in the corner-shifted window, so λ_max(CᵀC) = 4c² and the estimate 1.02·4c² exceeds the bound 4·‖c‖₁² = 4c²
  const corner = new Float64Array(family.dimTheta);
  corner[0] = 5; // c = 0.5
  const curvature = reg.curvature(corner);
  const bound = family.curvatureBound(corner);
  assert.equal(bound, 4 * 0.25);
  assert.equal(curvature, bound);
});
