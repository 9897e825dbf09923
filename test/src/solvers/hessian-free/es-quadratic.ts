// The test problem of algorithms.md A2 (e) for the evolution-strategies Jacobian (one sample per level):
//   G(z, x) = ½ zᵀAz − zᵀBx,  F(z, x) = ½‖z − b₀‖²,  A = diag(linspace(1, 2, dz)),  B ~ N(0, 1)/√dz,  b₀ ~ N(0, 1).
// Closed form: z*(x) = A⁻¹Bx, J = dz*/dx = A⁻¹B, v* = −A⁻¹(z* − b₀), ∇h(x) = Jᵀ(z* − b₀), ∇²h = BᵀA⁻²B.
import { fullBatch } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution } from '@bilevel/problems';
import { nrm2, Rng, symEig, matrix } from '@bilevel/linalg';
import { esj } from '@bilevel/solvers';
import type { EsjAux } from '@bilevel/solvers';

export interface EsQuadratic extends BilevelProblem {
  /** Diagonal of A. */
  readonly a: Float64Array;
  /** B, dz × dx row-major. */
  readonly B: Float64Array;
  readonly b0: Float64Array;
  /** out ← Jᵀw = BᵀA⁻¹w (length dx). */
  jacobianT(w: Float64Array, out: Float64Array): void;
  /** Largest eigenvalue of ∇²h = BᵀA⁻²B. */
  readonly Lh: number;
}

export function esQuadratic(options: { dimZ?: number; dimX?: number; seed?: number } = {}): EsQuadratic {
  const dz = options.dimZ ?? 10;
  const dx = options.dimX ?? 5;
  const rng = Rng.fromSeed(options.seed ?? 1);
  const a = Float64Array.from({ length: dz }, (_, i) => 1 + (dz === 1 ? 0 : i / (dz - 1)));
  const B = rng.normals(new Float64Array(dz * dx)).map((e) => e / Math.sqrt(dz));
  const b0 = rng.normals(new Float64Array(dz));
  const one = fullBatch(1);
  const Bx = (x: Float64Array, i: number) => {
    let s = 0;
    for (let j = 0; j < dx; j++) s += B[i * dx + j] * x[j];
    return s;
  };
  const BtW = (w: Float64Array, out: Float64Array, scale: (i: number) => number) => {
    out.fill(0);
    for (let i = 0; i < dz; i++) for (let j = 0; j < dx; j++) out[j] += B[i * dx + j] * w[i] * scale(i);
  };
  const H = matrix(dx, dx);
  for (let j = 0; j < dx; j++) {
    for (let l = 0; l < dx; l++) {
      let s = 0;
      for (let i = 0; i < dz; i++) s += (B[i * dx + j] * B[i * dx + l]) / (a[i] * a[i]);
      H.data[j * dx + l] = s;
    }
  }
  const Lh = Math.max(...symEig(H).values);
  const p: EsQuadratic = {
    name: 'es-quadratic',
    dimZ: dz,
    dimX: dx,
    nInner: 1,
    nOuter: 1,
    precision: 'float64',
    fullInner: one,
    fullOuter: one,
    a,
    B,
    b0,
    Lh,
    innerValue(z, x) {
      let s = 0;
      for (let i = 0; i < dz; i++) s += 0.5 * a[i] * z[i] * z[i] - z[i] * Bx(x, i);
      return s;
    },
    outerValue(z) {
      let s = 0;
      for (let i = 0; i < dz; i++) s += 0.5 * (z[i] - b0[i]) ** 2;
      return s;
    },
    innerGradZ(z, x, _b, out) {
      for (let i = 0; i < dz; i++) out[i] = a[i] * z[i] - Bx(x, i);
    },
    innerHvp(_z, _x, v, _b, out) {
      for (let i = 0; i < dz; i++) out[i] = a[i] * v[i];
    },
    innerCross(_z, _x, v, _b, out) {
      BtW(v, out, () => -1);
    },
    outerGradZ(z, _x, _b, out) {
      for (let i = 0; i < dz; i++) out[i] = z[i] - b0[i];
    },
    outerGradX(_z, _x, _b, out) {
      out.fill(0);
    },
    jacobianT(w, out) {
      BtW(w, out, (i) => 1 / a[i]);
    },
    solveInner(x): InnerSolution {
      const z = Float64Array.from({ length: dz }, (_, i) => Bx(x, i) / a[i]);
      return { z, gradNorm: 0, iterations: 0, converged: true, tol: 0 };
    },
    hypergradient(x): Hypergradient {
      const { z } = p.solveInner(x);
      const r = Float64Array.from(z, (e, i) => e - b0[i]);
      const grad = new Float64Array(dx);
      p.jacobianT(r, grad);
      return { value: p.outerValue(z, x, one), grad, z, v: Float64Array.from(r, (e, i) => -e / a[i]), innerGradNorm: 0, innerConverged: true, innerTol: 0 };
    },
  };
  return p;
}

/**
 * Mean relative error of Ĵᵀb = (1/Q) Σ_q u_q⟨δ_q, b⟩ against Jᵀb (b = ∇_zF(z*, x)) over `draws` ESJ inner steps with
 * step ½ started at z*(x), for one fixed random x; each draw takes fresh directions from the part's generator.
 */
export function jacobianError(problem: EsQuadratic, Q: number, T: number, draws: number): number {
  const { dimX: dx, dimZ: dz } = problem;
  const x = Rng.fromSeed(5).normals(new Float64Array(dx));
  const zStar = problem.solveInner(x).z;
  const b = Float64Array.from(zStar, (e, i) => e - problem.b0[i]);
  const truth = new Float64Array(dx);
  problem.jacobianT(b, truth);
  const solver = esj({ innerIterations: T, directions: Q, innerStep: 0.5 });
  const state = solver.inner.init(problem, Rng.fromSeed(11));
  let sum = 0;
  for (let d = 0; d < draws; d++) {
    const aux = solver.inner.step(state, { z: zStar, v: new Float64Array(dz), x }, d, new Float64Array(dz)) as EsjAux;
    const est = new Float64Array(dx);
    for (let q = 0; q < Q; q++) {
      const c = aux.deltas[q].reduce((s, e, k) => s + e * b[k], 0) / Q;
      for (let k = 0; k < dx; k++) est[k] += c * aux.directions[q][k];
    }
    sum += nrm2(est.map((e, k) => e - truth[k])) / nrm2(truth);
  }
  return sum / draws;
}
