import { lbfgsInverse, lbfgsPreconditioner, nrm2 } from '@bilevel/linalg';
import type { InverseHessianApprox } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { fullBatchOuter } from './parts/full-batch-outer';
import type { LinearSolveInfo } from './parts/linear/linear-solver';
import { createLinearSolver } from './parts/linear/linear-solvers';
import { solveDiagnostics } from './parts/linear/solve-diagnostics';
import { LbfgsMinimizer } from './parts/linear/lbfgs-minimizer';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link shine}, with their defaults (from the authors' HOAG/SHINE code unless said). */
export interface ShineOptions {
  /** Accepted for the common interface and ignored: SHINE is deterministic (full-batch oracles). */
  readonly batchSize?: number;
  /** Accepted for the common interface and ignored: L-BFGS takes its steps from a Wolfe line search. */
  readonly innerStep?: number;
  /** γ, step of x. Default 0.1 (house default; HOAG adapts a step 1/L instead). */
  readonly outerStep?: number;
  /** m, curvature pairs kept by L-BFGS (carried over between outer steps). Default 30 (60 in the authors' OPA runs). */
  readonly memory?: number;
  /** ε₀: the inner solve of outer step k stops at ‖∇_z G‖ ≤ ε_k·‖∇_z G(z₀, x₀)‖, ε_k = max(ε₀ρ^k, minTol). Default 1e-3. */
  readonly innerTol?: number;
  /** ρ, the factor of the tolerance decrease per outer step, in (0, 1]. Default 0.78. */
  readonly tolDecrease?: number;
  /** Floor of ε_k. Default 1e-12. */
  readonly minTol?: number;
  /** Cap of L-BFGS iterations per outer step. Default 1000. */
  readonly maxInnerIters?: number;
  /** Initial inverse Hessian H₀ of the two-loop recursion: `identity` (the authors' code) or `scaled` (sᵀy/yᵀy·I of the newest pair). Default `identity`. */
  readonly h0?: 'identity' | 'scaled';
  /** Outer-problem-aware secant pairs (OPA): every `opaEvery` L-BFGS iterations, add a pair along B⁻¹∇_z F. Default false. */
  readonly opa?: boolean;
  /** Period of the OPA pairs, in L-BFGS iterations of one inner solve. Default 5 (the authors' inversion experiment). */
  readonly opaEvery?: number;
  /** Refine v by CG on H v = −∇_z F, warm-started at the SHINE estimate, to relative residual ε_k. Default false. */
  readonly refine?: boolean;
  /** Minimum cap of refinement CG iterations; the cap is max(⌊1/(100√ε_k)⌋, refineIters). Default 0 (the authors'). */
  readonly refineIters?: number;
  /** The refinement's linear solver: `cg`, `normal-cg`, `gmres` or `bicgstab` (same tolerance and cap). Default `cg`. */
  readonly refineSolver?: 'cg' | 'normal-cg' | 'gmres' | 'bicgstab';
  /** Precondition the refinement by the L-BFGS inverse B⁻¹ of the same pairs (the forward pass's curvature reused twice). Default false. */
  readonly refinePrecond?: boolean;
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'memory',
  'innerTol',
  'tolDecrease',
  'minTol',
  'maxInnerIters',
  'h0',
  'opa',
  'opaEvery',
  'refine',
  'refineIters',
  'refineSolver',
  'refinePrecond',
] as const;

/** What the inner stream publishes with each z: its inverse-Hessian approximation at that z and the tolerance ε_k. */
export interface ShineCurvature extends InverseHessianApprox {
  /** ε_k, the relative tolerance of this inner solve (also the refinement CG tolerance). */
  readonly tol: number;
  /** L-BFGS iterations of this inner solve. */
  readonly iterations: number;
}

function isShineCurvature(a: unknown): a is ShineCurvature {
  return typeof a === 'object' && a !== null && Array.isArray((a as ShineCurvature).pairs) && typeof (a as ShineCurvature).h0 === 'number';
}

function flag(fn: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RangeError(`${fn}: ${field} must be a boolean, received ${String(value)}`);
  return value;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly qn: LbfgsMinimizer;
  readonly g: Float64Array;
  normInit: number;
  iterations: number;
  gradNorm: number;
  eps: number;
  opaPairs: number;
}
interface LinsysState {
  readonly problem: BilevelProblem;
  readonly b: Float64Array;
  readonly rhs: Float64Array;
  refineIterations: number;
  pairsUsed: number;
  refineInfo: LinearSolveInfo | undefined;
}

/**
 * SHINE, SHaring the INverse Estimate (Ramzi, Mannel, Bai, Starck, Ciuciu, Moreau, "SHINE: SHaring the INverse
 * Estimate from the forward pass for bi-level optimization and implicit models", ICLR 2022). Each outer step k,
 * under the `gauss-seidel` schedule:
 *   1. L-BFGS (memory m, H₀ = I, weak-Wolfe line search) on G(·, x_k) from z_k to ‖∇_z G‖ ≤ ε_k‖∇_z G(z₀, x₀)‖,
 *      ε_k = max(ε₀ρ^k, minTol); the pairs are carried over between outer steps. With OPA, every f iterations an
 *      extra pair (e, ∇_z G(z + e) − ∇_z G(z)) with e = B⁻¹∇_z F·‖s_last‖/‖B⁻¹∇_z F‖ makes B⁻¹ accurate along
 *      the direction the outer step needs. The inner part publishes its pairs (and H₀, ε_k) with z_{k+1}.
 *   2. v_{k+1} = −B⁻¹∇_z F(z_{k+1}, x_k) by the two-loop recursion on those pairs: no Hessian-vector product.
 *      Optionally refined by CG (or `refineSolver`, optionally preconditioned by B⁻¹: `refinePrecond`) on
 *      H v = −∇_z F warm-started at that v (relative residual ε_k, at most max(⌊1/(100√ε_k)⌋, refineIters) iterations).
 *   3. x_{k+1} = x_k − γ (∇_x F + ∇²_xz G·v_{k+1}).
 * All oracles are full batch. Without refinement the linear-system stream makes no HVP call at all.
 *
 * @example run(problem, shine({ memory: 30, opa: true, outerStep: 0.5 }), { maxIter: 100 })
 */
export function shine(options: ShineOptions = {}): Solver {
  const fn = 'shine';
  knownKeys(fn, options, KEYS);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  if (options.innerStep !== undefined) positiveNumber(fn, 'innerStep', options.innerStep);
  const gamma = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const m = positiveInteger(fn, 'memory', options.memory ?? 30);
  const eps0 = positiveNumber(fn, 'innerTol', options.innerTol ?? 1e-3);
  const rho = positiveNumber(fn, 'tolDecrease', options.tolDecrease ?? 0.78);
  if (rho > 1) throw new RangeError(`${fn}: tolDecrease must be in (0, 1], received ${rho}`);
  const minTol = positiveNumber(fn, 'minTol', options.minTol ?? 1e-12);
  const maxInner = positiveInteger(fn, 'maxInnerIters', options.maxInnerIters ?? 1000);
  const h0Mode = options.h0 ?? 'identity';
  if (h0Mode !== 'identity' && h0Mode !== 'scaled') throw new RangeError(`${fn}: h0 must be "identity" or "scaled", received ${String(h0Mode)}`);
  const opa = flag(fn, 'opa', options.opa ?? false);
  const opaEvery = positiveInteger(fn, 'opaEvery', options.opaEvery ?? 5);
  const refine = flag(fn, 'refine', options.refine ?? false);
  const refineIters = options.refineIters === undefined ? 0 : positiveInteger(fn, 'refineIters', options.refineIters);
  const refineSolver = enumOption(fn, 'refineSolver', options.refineSolver ?? 'cg', ['cg', 'normal-cg', 'gmres', 'bicgstab'] as const);
  const refinePrecond = flag(fn, 'refinePrecond', options.refinePrecond ?? false);

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem) => ({
      problem,
      qn: new LbfgsMinimizer(problem.dimZ, { memory: m, h0: h0Mode }),
      g: new Float64Array(problem.dimZ),
      normInit: NaN,
      iterations: 0,
      gradNorm: NaN,
      eps: eps0,
      opaPairs: 0,
    }),
    step(s, { z, x }, t, out) {
      const p = s.problem;
      const eps = Math.max(eps0 * Math.pow(rho, t), minTol);
      s.eps = eps;
      if (t === 0) {
        p.innerGradZ(z, x, p.fullInner, s.g);
        const g0 = nrm2(s.g);
        s.normInit = g0 > 0 ? g0 : 1;
      }
      out.set(z);
      const info = s.qn.minimize(
        (w, grad) => {
          p.innerGradZ(w, x, p.fullInner, grad);
          return p.innerValue(w, x, p.fullInner);
        },
        out,
        {
          gtol: eps * s.normInit,
          maxIter: maxInner,
          ...(opa ? { opa: { every: opaEvery, direction: (w: Float64Array, b: Float64Array) => p.outerGradZ(w, x, p.fullOuter, b) } } : {}),
        },
      );
      s.iterations = info.iterations;
      s.gradNorm = info.gradNorm;
      s.opaPairs += info.opaPairs;
      const published: ShineCurvature = { ...s.qn.approx(), tol: eps, iterations: info.iterations };
      return published;
    },
    diagnostics: (s) => ({ innerIterations: s.iterations, innerGradNorm: s.gradNorm, innerTol: s.eps, pairs: s.qn.pairs.length, opaPairs: s.opaPairs }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    init: (problem) => ({ problem, b: new Float64Array(problem.dimZ), rhs: new Float64Array(problem.dimZ), refineIterations: 0, pairsUsed: 0, refineInfo: undefined }),
    step(s, { z, x, aux }, _t, out) {
      const p = s.problem;
      const published = aux?.z;
      const approx: ShineCurvature = isShineCurvature(published) ? published : { pairs: [], h0: 1, tol: eps0, iterations: 0 };
      s.pairsUsed = approx.pairs.length;
      p.outerGradZ(z, x, p.fullOuter, s.b);
      lbfgsInverse(approx, s.b, out);
      for (let i = 0; i < out.length; i++) out[i] = -out[i];
      s.refineIterations = 0;
      s.refineInfo = undefined;
      if (refine) {
        const cap = Math.max(Math.floor(1 / (100 * Math.sqrt(approx.tol))), refineIters);
        if (cap > 0) {
          for (let i = 0; i < out.length; i++) s.rhs[i] = -s.b[i];
          const solver = createLinearSolver(refineSolver, { rtol: approx.tol, maxIter: cap, ...(refinePrecond ? { precond: lbfgsPreconditioner(approx) } : {}) });
          const info = solver.solve((q, hq) => p.innerHvp(z, x, q, p.fullInner, hq), s.rhs, out);
          s.refineIterations = info.iterations;
          s.refineInfo = info;
        }
      }
    },
    diagnostics: (s) => ({ pairsUsed: s.pairsUsed, refineIterations: s.refineIterations, ...(refine ? solveDiagnostics(s.refineInfo) : {}) }),
  };

  const outer = fullBatchOuter(gamma);

  return {
    name: 'shine',
    citation:
      'Ramzi, Mannel, Bai, Starck, Ciuciu, Moreau. SHINE: SHaring the INverse Estimate from the forward pass for bi-level optimization and implicit models. ICLR 2022.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      outerStep: gamma,
      memory: m,
      innerTol: eps0,
      tolDecrease: rho,
      minTol,
      maxInnerIters: maxInner,
      h0: h0Mode,
      opa,
      ...(opa ? { opaEvery } : {}),
      refine,
      ...(refine ? { refineIters } : {}),
      ...(refine && refineSolver !== 'cg' ? { refineSolver } : {}),
      ...(refine && refinePrecond ? { refinePrecond } : {}),
    },
  };
}
