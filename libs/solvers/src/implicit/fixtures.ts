// Reference problems of the implicit-differentiation specs, each with its solution map in closed form or computed
// to round-off: ridge regression with one weight per feature, a tanh fixed-point layer (a contraction), an
// equality-constrained QP and a box-constrained projection.
import { gemv, luFactor, luSolve, matrix, Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';

/**
 * Ridge regression with one weight per feature: g(z, x) = ½‖Az − b‖² + ½ Σ_k e^{x_k} z_k²,
 * z*(x) = (AᵀA + diag e^x)⁻¹Aᵀb, and Dz*(x) = −H⁻¹ diag(e^x ⊙ z*) with H = AᵀA + diag e^x, so
 * x̄ = (Dz*(x))ᵀw = −(e^x ⊙ z*) ⊙ H⁻¹w (H symmetric).
 */
export interface RidgeRegression {
  readonly d: number;
  readonly A: Matrix;
  readonly b: Float64Array;
  readonly x: Float64Array;
  readonly H: Matrix;
  readonly z: Float64Array;
  readonly hvp: (v: Float64Array, out: Float64Array) => void;
  readonly cross: (u: Float64Array, out: Float64Array) => void;
  /** The exact VJP of z*(x) with cotangent w. */
  vjp(w: Float64Array): Float64Array;
}

export function ridgeRegression(m: number, d: number, seed: number, logScale = 0): RidgeRegression {
  const rng = Rng.fromSeed(seed);
  const A = matrix(m, d, rng.normals(new Float64Array(m * d)));
  for (let i = 0; i < m * d; i++) A.data[i] /= Math.sqrt(m);
  const b = rng.normals(new Float64Array(m));
  const x = Float64Array.from({ length: d }, () => logScale + 0.5 * rng.normal());
  const H = matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += A.data[k * d + i] * A.data[k * d + j];
      H.data[i * d + j] = s + (i === j ? Math.exp(x[i]) : 0);
    }
  }
  const atb = new Float64Array(d);
  gemv(1, A, b, 0, atb, true);
  const z = luSolve(luFactor(H), atb);
  const hvp = (v: Float64Array, out: Float64Array) => gemv(1, H, v, 0, out);
  const cross = (u: Float64Array, out: Float64Array) => {
    for (let k = 0; k < d; k++) out[k] = Math.exp(x[k]) * z[k] * u[k];
  };
  return {
    d,
    A,
    b,
    x,
    H,
    z,
    hvp,
    cross,
    vjp(w) {
      const hw = luSolve(luFactor(H), Float64Array.from(w));
      return Float64Array.from(hw, (v, k) => -Math.exp(x[k]) * z[k] * v);
    },
  };
}

/** T(z, x) = tanh(Wz + Ux + c) with ‖W‖₂ ≤ 0.6: a contraction; z*(x) by fixed-point iteration to round-off. */
export interface TanhLayer {
  readonly n: number;
  readonly p: number;
  readonly W: Matrix;
  readonly U: Matrix;
  readonly c: Float64Array;
  solve(x: Float64Array): Float64Array;
  /** The products of T at (z, x): s = 1 − tanh², ∂_zTᵀu = Wᵀ(s ⊙ u), ∂_xTᵀu = Uᵀ(s ⊙ u), ∂_zT·v = s ⊙ Wv. */
  products(z: Float64Array, x: Float64Array): {
    vjpZ: (u: Float64Array, out: Float64Array) => void;
    vjpX: (u: Float64Array, out: Float64Array) => void;
    jvpZ: (v: Float64Array, out: Float64Array) => void;
  };
}

export function tanhLayer(n: number, p: number, seed: number): TanhLayer {
  const rng = Rng.fromSeed(seed);
  const W = matrix(n, n, rng.normals(new Float64Array(n * n)));
  // ‖W‖₂ ≤ ‖W‖_F: scale the Frobenius norm to 0.6
  let fro = 0;
  for (const v of W.data) fro += v * v;
  for (let i = 0; i < n * n; i++) W.data[i] *= 0.6 / Math.sqrt(fro);
  const U = matrix(n, p, rng.normals(new Float64Array(n * p)));
  const c = rng.normals(new Float64Array(n));
  const pre = (z: Float64Array, x: Float64Array, out: Float64Array) => {
    gemv(1, W, z, 0, out);
    gemv(1, U, x, 1, out);
    for (let i = 0; i < n; i++) out[i] += c[i];
  };
  return {
    n,
    p,
    W,
    U,
    c,
    solve(x) {
      const z = new Float64Array(n);
      const t = new Float64Array(n);
      for (let it = 0; it < 200; it++) {
        pre(z, x, t);
        for (let i = 0; i < n; i++) z[i] = Math.tanh(t[i]);
      }
      return z;
    },
    products(z, x) {
      const t = new Float64Array(n);
      pre(z, x, t);
      const s = Float64Array.from(t, (v) => 1 - Math.tanh(v) ** 2);
      const su = new Float64Array(n);
      return {
        vjpZ: (u, out) => {
          for (let i = 0; i < n; i++) su[i] = s[i] * u[i];
          gemv(1, W, su, 0, out, true);
        },
        vjpX: (u, out) => {
          for (let i = 0; i < n; i++) su[i] = s[i] * u[i];
          gemv(1, U, su, 0, out, true);
        },
        jvpZ: (v, out) => {
          gemv(1, W, v, 0, out);
          for (let i = 0; i < n; i++) out[i] *= s[i];
        },
      };
    },
  };
}

/**
 * The equality-constrained QP min_z ½zᵀQz − (Bx + q)ᵀz s.t. Cz = d + Ex: its KKT system K[z; ν] = [Bx + q; d + Ex]
 * with K = [[Q, Cᵀ], [C, 0]] is linear in x, so Dz*(x) is the first n rows of K⁻¹[B; E].
 */
export interface EqualityQp {
  readonly n: number;
  readonly p: number;
  readonly k: number;
  readonly Q: Matrix;
  readonly B: Matrix;
  readonly C: Matrix;
  readonly E: Matrix;
  /** (z*, ν*) at x. */
  solve(x: Float64Array): { z: Float64Array; nu: Float64Array };
  /** The exact VJP of z*(x): ((Dz*(x))ᵀw). */
  vjp(w: Float64Array): Float64Array;
}

export function equalityQp(n: number, p: number, k: number, seed: number): EqualityQp {
  const rng = Rng.fromSeed(seed);
  const R = rng.normals(new Float64Array(n * n));
  const Q = matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += R[t * n + i] * R[t * n + j];
      Q.data[i * n + j] = s / n + (i === j ? 0.5 : 0);
    }
  }
  const B = matrix(n, k, rng.normals(new Float64Array(n * k)));
  const C = matrix(p, n, rng.normals(new Float64Array(p * n)));
  const E = matrix(p, k, rng.normals(new Float64Array(p * k)));
  const q = rng.normals(new Float64Array(n));
  const dvec = rng.normals(new Float64Array(p));
  const K = matrix(n + p, n + p);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K.data[i * (n + p) + j] = Q.data[i * n + j];
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < n; j++) {
      K.data[(n + i) * (n + p) + j] = C.data[i * n + j];
      K.data[j * (n + p) + n + i] = C.data[i * n + j];
    }
  }
  const f = luFactor(K);
  return {
    n,
    p,
    k,
    Q,
    B,
    C,
    E,
    solve(x) {
      const rhs = new Float64Array(n + p);
      gemv(1, B, x, 0, rhs.subarray(0, n));
      for (let i = 0; i < n; i++) rhs[i] += q[i];
      gemv(1, E, x, 0, rhs.subarray(n));
      for (let i = 0; i < p; i++) rhs[n + i] += dvec[i];
      const y = luSolve(f, rhs);
      return { z: y.slice(0, n), nu: y.slice(n) };
    },
    vjp(w) {
      // (dz/dx)ᵀw = [B; E]ᵀ K⁻ᵀ [w; 0], and K is symmetric
      const y = luSolve(f, Float64Array.from({ length: n + p }, (_, i) => (i < n ? w[i] : 0)));
      const out = new Float64Array(k);
      gemv(1, B, y.subarray(0, n), 0, out, true);
      gemv(1, E, y.subarray(n), 1, out, true);
      return out;
    },
  };
}
