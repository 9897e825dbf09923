// Every DEQ backward direction against a dense finite-difference computation on a tiny DEQ (d = 4, four samples):
// the exact pass (GMRES and normal CG) equals (I − J)⁻ᵀ∇L with J and ∇L by central differences and a dense LU solve,
// and its parameter gradient is the derivative of L(z*(θ)); SHINE is Hᵀ∇L with H the dense Broyden recursion run
// alongside; SHINE-OPA adds the adjoint-Broyden term; JFB is ∇L; a long refinement reaches the exact direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedBroyden, luFactor, luSolve, matrix, Rng } from '@bilevel/linalg';
import { deqProblem } from '@bilevel/autodiff';
import type { EquilibriumBatch } from '@bilevel/problems';
import { exactBackward, jfbBackward, refinedBackward, shineBackward } from './deq-backward';
import { adjointAlongLoss } from './deq-training';

/** Accuracy of the exact pass against the dense finite-difference reference (the target). */
const EXACT_TOL = 1e-6;
/** Agreement of two evaluations of one formula that differ by round-off only (summation order). */
const SAME_FORMULA = 1e-9;
/** Central-difference step (error ~h² ≈ 1e-10 on these smooth functions). */
const H = 1e-5;

const n = 4;
const p = 3;
const d = 4;
const K = 3;

function tinyDeq() {
  const rng = Rng.fromSeed(11);
  const data = new Float64Array(n * p);
  rng.normals(data);
  const problem = deqProblem({ train: { features: { rows: n, cols: p, data }, labels: Int32Array.of(0, 1, 2, 1) }, classes: K, hidden: d, init: { seed: 12, layerScale: 0.5 } });
  const x = problem.initialX();
  const batch = Int32Array.of(0, 1, 2, 3);
  return { problem, x, batch, eq: problem.equilibriumBatch(batch, x) };
}

/** z* by the plain iteration z ← f(z) to round-off (the layer is a contraction here): independent of Broyden. */
function fixedPoint(eq: EquilibriumBatch): Float64Array {
  let z = new Float64Array(n * d);
  let f = new Float64Array(n * d);
  for (let it = 0; it < 10000; it++) {
    eq.layer(z, f);
    let diff = 0;
    for (let i = 0; i < z.length; i++) diff = Math.max(diff, Math.abs(f[i] - z[i]));
    [z, f] = [f, z];
    if (diff < 1e-15) return z;
  }
  throw new Error('fixedPoint: the plain iteration did not converge (the layer is not a contraction)');
}

/** Per sample: J_b = ∂f_b/∂z_b by central differences (columns), row-major d × d. */
function jacobians(eq: EquilibriumBatch, z: Float64Array): Float64Array[] {
  const fp = new Float64Array(n * d);
  const fm = new Float64Array(n * d);
  return Array.from({ length: n }, (_, b) => {
    const J = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      const zp = Float64Array.from(z);
      const zm = Float64Array.from(z);
      zp[b * d + j] += H;
      zm[b * d + j] -= H;
      eq.layer(zp, fp);
      eq.layer(zm, fm);
      for (let i = 0; i < d; i++) J[i * d + j] = (fp[b * d + i] - fm[b * d + i]) / (2 * H);
    }
    return J;
  });
}

/** ∇_zL by central differences. */
function lossGradient(eq: EquilibriumBatch, z: Float64Array): Float64Array {
  const g = new Float64Array(n * d);
  const scratch = new Float64Array(n * d);
  for (let i = 0; i < z.length; i++) {
    const zp = Float64Array.from(z);
    const zm = Float64Array.from(z);
    zp[i] += H;
    zm[i] -= H;
    g[i] = (eq.loss(zp, scratch) - eq.loss(zm, scratch)) / (2 * H);
  }
  return g;
}

/** u_b = (I − J_b)⁻ᵀ g_b by a dense LU solve per sample. */
function denseAdjoint(J: Float64Array[], g: Float64Array): Float64Array {
  const u = new Float64Array(n * d);
  for (let b = 0; b < n; b++) {
    const A = matrix(d, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A.data[i * d + j] = (i === j ? 1 : 0) - J[b][j * d + i];
    u.set(luSolve(luFactor(A), g.slice(b * d, b * d + d)), b * d);
  }
  return u;
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

test('exactBackward (GMRES and normal CG) equals the dense finite-difference (I − J)⁻ᵀ∇L to 1e-6 relative', () => {
  const { eq } = tinyDeq();
  const z = fixedPoint(eq);
  const g = lossGradient(eq, z);
  const uRef = denseAdjoint(jacobians(eq, z), g);
  const rhs = new Float64Array(n * d);
  eq.loss(z, rhs);
  assert.ok(relErr(rhs, g) < EXACT_TOL, `∇_zL against central differences: ${relErr(rhs, g)}`);
  for (const solver of ['gmres', 'normal-cg'] as const) {
    const u = new Float64Array(n * d);
    const info = exactBackward({ solver, tol: 1e-12, maxIter: 200 }).direction({ batch: eq, z, rhs }, u);
    assert.ok(info.converged, `${solver}: ${info.reason}`);
    const e = relErr(u, uRef);
    assert.ok(e < EXACT_TOL, `${solver}: relative error ${e.toExponential(2)}`);
    assert.ok(info.products > 0);
  }
});

test('the exact parameter gradient ∇_θL + (∂f/∂θ)ᵀu is the finite-difference derivative of θ ↦ L(z*(θ), θ)', () => {
  const { problem, x, batch, eq } = tinyDeq();
  const z = fixedPoint(eq);
  const rhs = new Float64Array(n * d);
  const gx = new Float64Array(problem.dimX);
  eq.loss(z, rhs, gx);
  const u = new Float64Array(n * d);
  exactBackward({ tol: 1e-13, maxIter: 200 }).direction({ batch: eq, z, rhs }, u);
  const grad = new Float64Array(problem.dimX);
  eq.vjpX(z, u, grad);
  for (let i = 0; i < grad.length; i++) grad[i] += gx[i];
  const h = (xx: Float64Array) => {
    const e = problem.equilibriumBatch(batch, xx);
    return e.loss(fixedPoint(e), new Float64Array(n * d));
  };
  const rng = Rng.fromSeed(13);
  for (let r = 0; r < 3; r++) {
    const dir = new Float64Array(problem.dimX);
    rng.normals(dir);
    const xp = Float64Array.from(x, (v, i) => v + H * dir[i]);
    const xm = Float64Array.from(x, (v, i) => v - H * dir[i]);
    const fd = (h(xp) - h(xm)) / (2 * H);
    const an = grad.reduce((s, gi, i) => s + gi * dir[i], 0);
    assert.ok(Math.abs(fd - an) <= EXACT_TOL * Math.abs(fd), `direction ${r}: ${an} vs ${fd}`);
  }
});

/**
 * The dense reference of Broyden's recursion on one batch: H_b as d × d matrices, H ← H + (Δz − HΔg)(ΔzᵀH)/(ΔzᵀHΔg),
 * the same steps and stopping as BatchedBroyden (lockstep, per-sample relative test).
 */
function denseBroyden(eq: EquilibriumBatch, tol: number, maxIter: number): { z: Float64Array; Hs: Float64Array[] } {
  const z = new Float64Array(n * d);
  const f = new Float64Array(n * d);
  const Hs = Array.from({ length: n }, () => Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0)));
  const active = new Array(n).fill(true);
  eq.layer(z, f);
  const g = Float64Array.from(z, (v, i) => v - f[i]);
  const test = (b: number) => {
    let rr = 0;
    let ff = 0;
    for (let j = 0; j < d; j++) {
      rr += g[b * d + j] ** 2;
      ff += f[b * d + j] ** 2;
    }
    return Math.sqrt(rr) <= tol * Math.sqrt(ff);
  };
  for (let b = 0; b < n; b++) if (test(b)) active[b] = false;
  const dz = new Float64Array(n * d);
  for (let it = 1; it <= maxIter && active.some(Boolean); it++) {
    for (let b = 0; b < n; b++) {
      if (!active[b]) continue;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += Hs[b][i * d + j] * g[b * d + j];
        dz[b * d + i] = -s;
      }
      for (let i = 0; i < d; i++) z[b * d + i] += dz[b * d + i];
    }
    eq.layer(z, f);
    for (let b = 0; b < n; b++) {
      if (!active[b]) continue;
      const Hb = Hs[b];
      const dg = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        const gi = z[b * d + i] - f[b * d + i];
        dg[i] = gi - g[b * d + i];
        g[b * d + i] = gi;
      }
      if (test(b)) {
        active[b] = false;
        continue;
      }
      const hdg = new Float64Array(d);
      const v = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        hdg[i] += Hb[i * d + j] * dg[j];
        v[j] += dz[b * d + i] * Hb[i * d + j];
      }
      const den = v.reduce((s, vi, i) => s + vi * dg[i], 0);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Hb[i * d + j] += ((dz[b * d + i] - hdg[i]) * v[j]) / den;
    }
  }
  return { z, Hs };
}

/** out_b = H_bᵀ x_b. */
function applyT(Hs: Float64Array[], x: Float64Array): Float64Array {
  const out = new Float64Array(n * d);
  for (let b = 0; b < n; b++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[b * d + j] += Hs[b][i * d + j] * x[b * d + i];
  return out;
}

test('shineBackward is Hᵀ∇L with H the dense Broyden recursion of the same forward run; JFB is ∇L', () => {
  const { eq } = tinyDeq();
  const tol = 1e-6;
  const ref = denseBroyden(eq, tol, 30);
  const qn = new BatchedBroyden(n, d);
  const z = new Float64Array(n * d);
  const res = qn.solve((q, o) => eq.layer(q, o), z, { tol, maxIter: 30 });
  assert.ok(res.converged);
  assert.ok(relErr(z, ref.z) < SAME_FORMULA, 'same iterates');
  const rhs = new Float64Array(n * d);
  eq.loss(z, rhs);
  const u = new Float64Array(n * d);
  const info = shineBackward().direction({ batch: eq, z, rhs, inverse: qn.inverse() }, u);
  assert.equal(info.products, 0);
  assert.ok(relErr(u, applyT(ref.Hs, rhs)) < SAME_FORMULA, `SHINE ${relErr(u, applyT(ref.Hs, rhs))}`);
  const uj = new Float64Array(n * d);
  jfbBackward().direction({ batch: eq, z, rhs }, uj);
  assert.ok(relErr(uj, lossGradient(eq, z)) < EXACT_TOL, 'JFB = ∇L');
  assert.throws(() => shineBackward().direction({ batch: eq, z, rhs }, u), /shineBackward: the context has no Broyden inverse/);
});

test('SHINE-OPA: the adjoint-Broyden term along σ = Hᵀ∇L is the dense formula H + Hσ(σ − Hᵀw)ᵀ/((Hᵀw)ᵀσ), w = (I − J)ᵀσ, and makes Hᵀw = σ', () => {
  const { eq } = tinyDeq();
  const tol = 1e-6;
  const ref = denseBroyden(eq, tol, 30);
  const qn = new BatchedBroyden(n, d, { memory: 40 });
  const z = new Float64Array(n * d);
  qn.solve((q, o) => eq.layer(q, o), z, { tol, maxIter: 30 });
  const buf = { gz: new Float64Array(n * d), sigma: new Float64Array(n * d), t: new Float64Array(n * d) };
  assert.equal(adjointAlongLoss(eq, qn, z, buf), n);
  // the dense reference, with J by finite differences
  const J = jacobians(eq, z);
  const rhs = new Float64Array(n * d);
  eq.loss(z, rhs);
  const sigma = applyT(ref.Hs, rhs);
  const Hopa = ref.Hs.map((Hb, b) => {
    const s = sigma.subarray(b * d, b * d + d);
    const w = Float64Array.from(s); // w = σ − Jᵀσ
    for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) w[i] -= J[b][k * d + i] * s[k];
    const hs = new Float64Array(d);
    const htw = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      hs[i] += Hb[i * d + j] * s[j];
      htw[j] += Hb[i * d + j] * w[i];
    }
    const den = htw.reduce((acc, v, i) => acc + v * s[i], 0);
    return Float64Array.from(Hb, (h, k) => h + (hs[Math.floor(k / d)] * (s[k % d] - htw[k % d])) / den);
  });
  const u = new Float64Array(n * d);
  shineBackward().direction({ batch: eq, z, rhs, inverse: qn.inverse() }, u);
  const e = relErr(u, applyT(Hopa, rhs));
  assert.ok(e < EXACT_TOL, `SHINE-OPA against the dense formula: ${e.toExponential(2)}`);
  // Hᵀw = σ with w from the engine's VJP
  const w = Float64Array.from(buf.t);
  const htw = new Float64Array(n * d);
  qn.apply(w, htw, true);
  assert.ok(relErr(htw, buf.sigma) < SAME_FORMULA);
});

test('refinedBackward: enough exact iterations warm-started at SHINE or JFB reach the exact direction; few steps cost few products', () => {
  const { eq } = tinyDeq();
  const z = fixedPoint(eq);
  const rhs = new Float64Array(n * d);
  eq.loss(z, rhs);
  const uRef = denseAdjoint(jacobians(eq, z), lossGradient(eq, z));
  const qn = new BatchedBroyden(n, d);
  const zq = new Float64Array(n * d);
  qn.solve((q, o) => eq.layer(q, o), zq, { tol: 1e-14, maxIter: 60 });
  for (const base of [jfbBackward(), shineBackward()]) {
    const u = new Float64Array(n * d);
    const info = refinedBackward(base, { steps: 50, tol: 1e-12 }).direction({ batch: eq, z, rhs, inverse: qn.inverse() }, u);
    assert.ok(relErr(u, uRef) < EXACT_TOL, `${base.name}+50: ${relErr(u, uRef)}`);
    assert.ok(info.converged);
    const two = refinedBackward(base, { steps: 2 }).direction({ batch: eq, z, rhs, inverse: qn.inverse() }, u);
    assert.ok(two.products <= 3 + 1, `${base.name}+2 made ${two.products} products`);
  }
});
