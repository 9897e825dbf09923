// The merely convex toy of the sl-BAMM repository (merely_convex/strategy3.py; algorithms.md A1 (e)), one sample:
//   x ∈ Rⁿ, z = (z₁, z₂) ∈ R²ⁿ,  F(z, x) = ½‖x − z₂‖² + ½‖z₁ − 1‖²,  G(z, x) = ½‖z₁‖² − xᵀz₁.
// argmin_z G = {z₁ = x, z₂ free}: a family of minimizers. The optimistic selection (the one best for F) is z₂ = x,
// so h(x) = ½‖x − 1‖², x* = z₁* = z₂* = 1. ∇²_zz G = diag(I, 0) is singular, so v* = −H⁻¹∇_zF does not exist; the
// evaluation reports the minimum-norm solution v = (1 − z₁, 0).
import { fullBatch } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution } from '@bilevel/problems';

export function averagedToy(n = 10): BilevelProblem {
  const one = fullBatch(1);
  const p: BilevelProblem = {
    name: 'averaged-toy',
    dimZ: 2 * n,
    dimX: n,
    nInner: 1,
    nOuter: 1,
    precision: 'float64',
    fullInner: one,
    fullOuter: one,
    innerValue(z, x) {
      let s = 0;
      for (let i = 0; i < n; i++) s += 0.5 * z[i] * z[i] - x[i] * z[i];
      return s;
    },
    outerValue(z, x) {
      let s = 0;
      for (let i = 0; i < n; i++) s += 0.5 * (x[i] - z[n + i]) ** 2 + 0.5 * (z[i] - 1) ** 2;
      return s;
    },
    innerGradZ(z, x, _b, out) {
      for (let i = 0; i < n; i++) {
        out[i] = z[i] - x[i];
        out[n + i] = 0;
      }
    },
    innerHvp(_z, _x, v, _b, out) {
      for (let i = 0; i < n; i++) {
        out[i] = v[i];
        out[n + i] = 0;
      }
    },
    innerCross(_z, _x, v, _b, out) {
      for (let i = 0; i < n; i++) out[i] = -v[i];
    },
    outerGradZ(z, x, _b, out) {
      for (let i = 0; i < n; i++) {
        out[i] = z[i] - 1;
        out[n + i] = z[n + i] - x[i];
      }
    },
    outerGradX(z, x, _b, out) {
      for (let i = 0; i < n; i++) out[i] = x[i] - z[n + i];
    },
    innerGradX(z, _x, _b, out) {
      for (let i = 0; i < n; i++) out[i] = -z[i];
    },
    outerHvp(_z, _x, v, _b, out) {
      out.set(v);
    },
    outerCross(_z, _x, v, _b, out) {
      for (let i = 0; i < n; i++) out[i] = -v[n + i];
    },
    solveInner(x): InnerSolution {
      const z = new Float64Array(2 * n);
      z.set(x, 0);
      z.set(x, n);
      return { z, gradNorm: 0, iterations: 0, converged: true, tol: 0 };
    },
    hypergradient(x): Hypergradient {
      const { z } = p.solveInner(x);
      const v = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) v[i] = 1 - z[i];
      return { value: p.outerValue(z, x, one), grad: Float64Array.from(x, (e) => e - 1), z, v, innerGradNorm: 0, innerConverged: true, innerTol: 0 };
    },
  };
  return p;
}
