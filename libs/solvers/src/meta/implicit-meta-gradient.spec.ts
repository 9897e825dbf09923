import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cholesky, choleskySolve, dot, matrix, nrm2, symEig } from '@bilevel/linalg';
import { sinusoidTasks } from '@bilevel/problems';
import { metaLearningProblem } from '@bilevel/autodiff';
import type { MetaLearningProblem } from '@bilevel/autodiff';
import { implicitMetaGradient } from './implicit-meta-gradient';

/** Agreement of CG run to 1e-13 with the dense Cholesky solve (the target is 1e-6 relative). */
const EXACT_TOL = 1e-6;
/** Central differences of h_j with step 1e-5 on inner solves to 1e-12: O(h²) truncation plus 1e-12/h rounding. */
const FD_TOL = 1e-5;

/**
 * A tiny smooth model (1 → 4 → 4 → 1 with tanh, 33 weights: the inner problems have exact minimizers) on MAML's
 * sinusoid tasks, λ = 5 (∇²g positive definite at the points used: the Cholesky factorisation checks it).
 */
const problem = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [4, 4], outputs: 1, activation: 'tanh' }, tasks: sinusoidTasks({ shots: 10, queries: 15, count: 1000, seed: 7 }), lambda: 5 });
const P = problem.dimX;

const rel = (a: Float64Array, b: Float64Array) => nrm2(a.map((e, i) => e - b[i])) / nrm2(b);

/** φ*(θ) of task j to ‖∇g_j‖ ≤ 1e-12, the dense ∇²g_j(φ*) from P HVPs (symmetrised) and the query gradient there. */
function denseSystem(p: MetaLearningProblem, j: number, theta: Float64Array) {
  const t = p.task(j);
  const inner = t.solveInner(theta, { tol: 1e-12 });
  assert.ok(inner.converged, `inner solve of task ${j}: ‖∇g‖ = ${inner.gradNorm}`);
  const phi = inner.z;
  const H = matrix(P, P);
  const e = new Float64Array(P);
  const col = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    e.fill(0);
    e[i] = 1;
    t.innerHvp(phi, theta, e, t.fullInner, col);
    for (let k = 0; k < P; k++) H.data[k * P + i] = col[k];
  }
  for (let i = 0; i < P; i++) for (let k = 0; k < i; k++) H.data[i * P + k] = H.data[k * P + i] = (H.data[i * P + k] + H.data[k * P + i]) / 2;
  const b = new Float64Array(P);
  t.outerGradZ(phi, theta, t.fullOuter, b);
  return { phi, H, b };
}

/** The exact meta-gradient (I + ∇²L̂/λ)⁻¹∇L at φ* = −λ·(∇²g)⁻¹(−∇L), by a Cholesky factorisation of ∇²g. */
function exactMetaGradient(p: MetaLearningProblem, H: ReturnType<typeof matrix>, b: Float64Array): Float64Array {
  const L = cholesky(matrix(P, P, Float64Array.from(H.data)));
  const v = Float64Array.from(b, (c) => -c);
  choleskySolve(L, v);
  return v.map((c) => -p.lambda * c);
}

test('implicitMetaGradient: CG with HVPs agrees with the dense Hessian solve to 1e-6 relative (tiny MLP, exact inner solution)', () => {
  for (const [seed, j] of [[0, 3], [1, 17], [2, 256]] as const) {
    const theta = problem.initialParams(seed);
    const { phi, H, b } = denseSystem(problem, j, theta);
    const exact = exactMetaGradient(problem, H, b);
    const v = new Float64Array(P);
    const r = implicitMetaGradient(problem, j, theta, phi, { cgSteps: 10 * P, cgTol: 1e-13 }, v, new Float64Array(P));
    assert.equal(r.reason, 'converged');
    const implicit = v.map((c) => -problem.lambda * c);
    const err = rel(implicit, exact);
    assert.ok(err <= EXACT_TOL, `seed ${seed}, task ${j}: relative error ${err.toExponential(2)} > ${EXACT_TOL} after ${r.iterations} CG steps`);
    // and the same through the contract's oracles: ∇²_θφ g·v = −λv
    const cross = new Float64Array(P);
    problem.innerCross(phi, theta, v, Int32Array.of(j), cross);
    assert.ok(rel(cross, exact) <= EXACT_TOL);
  }
});

test('implicitMetaGradient: the implicit meta-gradient is the derivative of h_j(θ) = L_j(φ_j*(θ)) (central differences)', () => {
  const j = 5;
  const theta = problem.initialParams(3);
  const { phi, H, b } = denseSystem(problem, j, theta);
  const g = exactMetaGradient(problem, H, b);
  const t = problem.task(j);
  const h = (th: Float64Array) => {
    const inner = t.solveInner(th, { tol: 1e-12, z0: phi });
    return t.outerValue(inner.z, th, t.fullOuter);
  };
  const step = 1e-5;
  for (let k = 0; k < P; k += 4) {
    const plus = Float64Array.from(theta);
    const minus = Float64Array.from(theta);
    plus[k] += step;
    minus[k] -= step;
    const fd = (h(plus) - h(minus)) / (2 * step);
    assert.ok(Math.abs(fd - g[k]) <= FD_TOL * Math.max(1, nrm2(g)), `coordinate ${k}: finite difference ${fd}, implicit ${g[k]}`);
  }
});

test('implicitMetaGradient: the error shrinks as the CG tolerance tightens (property over parameters and tasks)', () => {
  // CG minimises the A-norm of the error over growing Krylov spaces, and a tighter tolerance runs at least as many
  // steps: the A-norm error is non-increasing. And the relative error is at most κ(A) times the relative residual.
  const tolerances = [1e-1, 1e-3, 1e-5, 1e-7, 1e-9];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 999 }), (seed, j) => {
      const theta = problem.initialParams(seed);
      const { phi, H, b } = denseSystem(problem, j, theta);
      // v* of (∇²g)v = −∇L, exactly
      const exact = exactMetaGradient(problem, H, b).map((c) => -c / problem.lambda);
      const Av = (u: Float64Array) => {
        const out = new Float64Array(P);
        for (let i = 0; i < P; i++) {
          let s = 0;
          for (let k = 0; k < P; k++) s += H.data[i * P + k] * u[k];
          out[i] = s;
        }
        return out;
      };
      const aNorm = (e: Float64Array) => Math.sqrt(dot(e, Av(e)));
      let previous = Infinity;
      const v = new Float64Array(P);
      const scratch = new Float64Array(P);
      const eig = symEig(matrix(P, P, Float64Array.from(H.data))).values;
      const kappa = eig[P - 1] / eig[0];
      for (const tol of tolerances) {
        const r = implicitMetaGradient(problem, j, theta, phi, { cgSteps: 10 * P, cgTol: tol }, v, scratch);
        const e = v.map((c, i) => c - exact[i]);
        const errA = aNorm(e);
        if (!(errA <= previous * (1 + 1e-9) + 1e-14)) return false;
        previous = errA;
        if (!(nrm2(e) / nrm2(exact) <= kappa * Math.max(tol, r.relativeResidual) * (1 + 1e-6) + 1e-12)) return false;
      }
      return previous / aNorm(exact) < 1e-6;
    }),
    { numRuns: 12, seed: 42 },
  );
});

/**
 * The same tiny model with λ = 0.1: at θ = initialParams(0), unadapted (φ = θ), task 160's query gradient b is a
 * direction of negative curvature of ∇²g = ∇²L̂ + λI (bᵀ∇²g b/‖b‖² ≈ −2.9, found by scanning tasks 0–199).
 */
const weak = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [4, 4], outputs: 1, activation: 'tanh' }, tasks: sinusoidTasks({ shots: 10, queries: 15, count: 1000, seed: 7 }), lambda: 0.1 });
const NEGATIVE_TASK = 160;

test('implicitMetaGradient: negative curvature at the first CG direction gives the first-order meta-gradient g = ∇L_j (not 0), flagged indefinite', () => {
  const theta = weak.initialParams(0);
  const batch = Int32Array.of(NEGATIVE_TASK);
  const gradL = new Float64Array(P);
  weak.outerGradZ(theta, theta, batch, gradL);
  const curvature = new Float64Array(P);
  weak.innerHvp(theta, theta, gradL, batch, curvature);
  assert.ok(dot(gradL, curvature) < 0, 'the fixture: ∇L_j is a direction of negative curvature of ∇²g_j');
  const v = new Float64Array(P);
  const r = implicitMetaGradient(weak, NEGATIVE_TASK, theta, theta, { cgSteps: 5 }, v, new Float64Array(P));
  assert.equal(r.reason, 'indefinite');
  assert.equal(r.iterations, 0);
  assert.ok(v.every(Number.isFinite));
  const g = v.map((c) => -weak.lambda * c);
  assert.ok(rel(g, gradL) <= 1e-12, `g = −λv against ∇L_j: relative error ${rel(g, gradL)}`);
});

test("implicitMetaGradient: cgSystem 'damped' solves the authors' (2I + ∇²L̂/(λ + 10))g = ∇L, positive definite where ∇²L̂ + λI is not", () => {
  const theta = weak.initialParams(0);
  const batch = Int32Array.of(NEGATIVE_TASK);
  const t = weak.task(NEGATIVE_TASK);
  // the dense ∇²L̂ = ∇²g − λI at φ = θ, from P HVPs (symmetrised), and the damped operator 2I + ∇²L̂/μ
  const mu = weak.lambda + 10;
  const D = matrix(P, P);
  const e = new Float64Array(P);
  const col = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    e.fill(0);
    e[i] = 1;
    t.innerHvp(theta, theta, e, t.fullInner, col);
    for (let k = 0; k < P; k++) D.data[k * P + i] = (col[k] - weak.lambda * e[k]) / mu + (i === k ? 2 : 0);
  }
  for (let i = 0; i < P; i++) for (let k = 0; k < i; k++) D.data[i * P + k] = D.data[k * P + i] = (D.data[i * P + k] + D.data[k * P + i]) / 2;
  const exact = new Float64Array(P);
  weak.outerGradZ(theta, theta, batch, exact);
  choleskySolve(cholesky(D), exact); // throws unless 2I + ∇²L̂/μ is positive definite
  const v = new Float64Array(P);
  const r = implicitMetaGradient(weak, NEGATIVE_TASK, theta, theta, { cgSteps: 10 * P, cgTol: 1e-13, cgSystem: 'damped' }, v, new Float64Array(P));
  assert.equal(r.reason, 'converged');
  const g = v.map((c) => -weak.lambda * c);
  assert.ok(rel(g, exact) <= EXACT_TOL, `damped g against the dense solve: relative error ${rel(g, exact)}`);
});

test('implicitMetaGradient: with cgRadius R no task\'s g exceeds R·‖∇L_j‖, where truncated CG alone returns g up to 15 times ∇L_j; inside the ball g is unchanged', () => {
  // λ = 3 at φ = θ: ∇²L̂_j + λI is indefinite or nearly singular on most of these tasks, and CG's steps before a
  // negative curvature can be long (the Omniglot convnet at λ = 2 gave ‖g‖/‖∇L‖ up to 18,000)
  const near = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [4, 4], outputs: 1, activation: 'tanh' }, tasks: sinusoidTasks({ shots: 10, queries: 15, count: 1000, seed: 7 }), lambda: 3 });
  const theta = near.initialParams(1);
  const R = 2;
  const v = new Float64Array(P);
  const w = new Float64Array(P);
  const b = new Float64Array(P);
  let largest = 0;
  let capped = 0;
  let inside = 0;
  for (let j = 0; j < 40; j++) {
    const plain = implicitMetaGradient(near, j, theta, theta, { cgSteps: 10 }, v, b);
    const ratio = (near.lambda * nrm2(v)) / plain.queryGradNorm;
    largest = Math.max(largest, ratio);
    const r = implicitMetaGradient(near, j, theta, theta, { cgSteps: 10, cgRadius: R }, w, b);
    const g = (near.lambda * nrm2(w)) / r.queryGradNorm;
    assert.ok(g <= R * (1 + 1e-12), `task ${j}: ‖g‖/‖∇L‖ = ${g} with radius ${R} (${ratio} without)`);
    if (r.reason === 'boundary' || r.reason === 'indefinite') capped++;
    if (ratio < R && plain.reason !== 'indefinite' && r.reason !== 'boundary') {
      inside++;
      assert.ok(rel(w, v) <= 1e-12, `task ${j}: inside the ball the iterates are CG's (relative difference ${rel(w, v)})`);
    }
  }
  assert.ok(largest > 10, `the fixture: truncated CG alone gives ‖g‖/‖∇L‖ up to ${largest}`);
  assert.ok(capped > 0, 'the ball binds on some task');
  assert.ok(inside > 0, 'and stays clear of it on some task');
});
