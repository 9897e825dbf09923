import { lbfgs, nrm2 } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { powerIteration } from '@bilevel/problems';
import type { Reads, Solver, StreamPart } from './solver';
import type { LinearSolveInfo } from './parts/linear/linear-solver';
import { createLinearSolver } from './parts/linear/linear-solvers';
import { solveDiagnostics } from './parts/linear/solve-diagnostics';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from './validate-options';

/** Lower-level solvers of `LowerLevelSolver`: gradient descent, strongly convex FISTA, L-BFGS. */
export type InnerMethod = 'gd' | 'fista' | 'lbfgs';
const INNER_METHODS: readonly InnerMethod[] = ['gd', 'fista', 'lbfgs'];

/** Validates an inner-solver name (shared by the solvers of the inexact group). */
export function innerMethod(fn: string, value: unknown): InnerMethod {
  if (typeof value !== 'string' || !(INNER_METHODS as readonly string[]).includes(value)) {
    throw new RangeError(`${fn}: innerSolver must be one of ${INNER_METHODS.join(', ')}, received ${String(value)}`);
  }
  return value as InnerMethod;
}

/** What one lower-level solve reached. */
export interface LowerLevelResult {
  /** ‖∇_z G(z, x)‖ at the returned z. */
  readonly gradNorm: number;
  readonly iterations: number;
}

/**
 * A warm-started full-batch solver of the lower level `min_z G(z, x)` that stops as soon as `‖∇_z G(z, x)‖ ≤ tol`
 * (so, for a μ-strongly convex G, `‖z − z*(x)‖ ≤ tol / μ`). It owns its scratch buffers; `solve` updates `z` in
 * place. Shared by the solvers of the inexact group (MAID, ISGD); not part of the public API.
 *
 * - `gd`: z ← z − τ∇G(z).
 * - `fista`: FISTA with the strongly convex momentum of the MAID authors' code (q = τμ; q = 0 is plain FISTA):
 *   t⁺ = (1 − qt² + √((1 − qt²)² + 4t²))/2, β = (t − 1)(1 − t⁺q)/(t⁺(1 − q)), y = z + β(z − z_prev),
 *   z ← y − τ∇G(y); the stopping test is made at y, which is returned when it passes.
 * - `lbfgs`: L-BFGS with Armijo backtracking from @bilevel/linalg (τ unused).
 */
export class LowerLevelSolver {
  private readonly g: Float64Array;
  private readonly y: Float64Array;
  private readonly zPrev: Float64Array;

  constructor(
    private readonly problem: BilevelProblem,
    readonly method: InnerMethod,
    readonly maxIter: number,
  ) {
    this.g = new Float64Array(problem.dimZ);
    this.y = new Float64Array(problem.dimZ);
    this.zPrev = new Float64Array(problem.dimZ);
  }

  /** Minimizes G(·, x) from `z` (updated in place) until ‖∇_z G‖ ≤ tol or `maxIter` iterations. */
  solve(x: Float64Array, z: Float64Array, tol: number, step: number, mu: number): LowerLevelResult {
    const { problem, g } = this;
    const full = problem.fullInner;
    if (this.method === 'lbfgs') {
      const res = lbfgs(
        (zz, grad) => {
          problem.innerGradZ(zz, x, full, grad);
          return problem.innerValue(zz, x, full);
        },
        z,
        { gtol: tol, maxIter: this.maxIter },
      );
      return { gradNorm: res.gradNorm, iterations: res.iterations };
    }
    if (this.method === 'gd') {
      problem.innerGradZ(z, x, full, g);
      let gn = nrm2(g);
      let it = 0;
      while (gn > tol && it < this.maxIter) {
        for (let i = 0; i < z.length; i++) z[i] -= step * g[i];
        problem.innerGradZ(z, x, full, g);
        gn = nrm2(g);
        it++;
      }
      return { gradNorm: gn, iterations: it };
    }
    // FISTA; the gradient is evaluated at the extrapolated point y, which is returned once it passes the test
    const { y, zPrev } = this;
    const q = Math.min(step * mu, 1);
    zPrev.set(z);
    let t = 1;
    let gn = Infinity;
    let it = 0;
    for (;;) {
      const tNew = (1 - q * t * t + Math.sqrt((1 - q * t * t) ** 2 + 4 * t * t)) / 2;
      const beta = q >= 1 ? 0 : ((t - 1) * (1 - tNew * q)) / (tNew * (1 - q));
      t = tNew;
      for (let i = 0; i < z.length; i++) y[i] = z[i] + beta * (z[i] - zPrev[i]);
      problem.innerGradZ(y, x, full, g);
      gn = nrm2(g);
      if (gn <= tol || it >= this.maxIter) break;
      zPrev.set(z);
      for (let i = 0; i < z.length; i++) z[i] = y[i] - step * g[i];
      it++;
    }
    z.set(y);
    return { gradNorm: gn, iterations: it };
  }
}

/** Strong convexity μ and smoothness L of G(·, x), and whether they were estimated rather than known. */
export interface InnerCurvature {
  readonly mu: number;
  readonly L: number;
  readonly estimated: boolean;
}

/**
 * μ and L of the lower level at (z, x): `problem.innerConstants(x)` when the problem has it, else an estimate by
 * power iteration on the full-batch HVP (L) and on L·I − ∇²_zz G (L − μ). An estimate is local (at z) and carries
 * no certificate. Throws when the estimate shows no strong convexity.
 */
export function innerCurvature(fn: string, problem: BilevelProblem, z: Float64Array, x: Float64Array): InnerCurvature {
  const known = problem.innerConstants?.(x);
  if (known) return { mu: known.mu, L: known.L, estimated: false };
  const full = problem.fullInner;
  const hv = new Float64Array(problem.dimZ);
  const L = powerIteration((u, out) => problem.innerHvp(z, x, u, full, out), problem.dimZ);
  const shifted = powerIteration((u, out) => {
    problem.innerHvp(z, x, u, full, hv);
    for (let i = 0; i < u.length; i++) out[i] = L * u[i] - hv[i];
  }, problem.dimZ);
  const mu = L - shifted;
  if (!(mu > 1e-12 * L)) {
    throw new RangeError(`${fn}: the lower level of "${problem.name}" does not look strongly convex (estimated μ = ${mu}, L = ${L}); pass strongConvexity`);
  }
  return { mu, L, estimated: true };
}

/**
 * L_F, the Lipschitz constant of ∇_z F(·, x), estimated at (z, x) by power iteration on ∇²_zz F·u (the optional
 * outerHvp oracle when present, else finite differences of ∇_z F). Exact for quadratic F up to the power
 * iteration's tolerance; otherwise a local estimate.
 */
export function outerSmoothness(problem: BilevelProblem, z: Float64Array, x: Float64Array): number {
  const full = problem.fullOuter;
  if (problem.outerHvp) {
    const hvp = problem.outerHvp.bind(problem);
    return powerIteration((u, out) => hvp(z, x, u, full, out), problem.dimZ);
  }
  const g0 = new Float64Array(problem.dimZ);
  const zt = new Float64Array(problem.dimZ);
  problem.outerGradZ(z, x, full, g0);
  const tau = 1e-6 * (1 + nrm2(z));
  return powerIteration((u, out) => {
    for (let i = 0; i < zt.length; i++) zt[i] = z[i] + tau * u[i];
    problem.outerGradZ(zt, x, full, out);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] - g0[i]) / tau;
  }, problem.dimZ);
}

/** Options of {@link maid}, with their defaults (deepinv `optim/bilevel/maid.py`, MAIDConfig). */
export interface MaidOptions {
  /** Accepted for the common interface and ignored: MAID is deterministic (full batches). Default 64. */
  readonly batchSize?: number;
  /** Step τ of the `gd` / `fista` lower-level solver. Default 1/L of G (known or estimated). */
  readonly innerStep?: number;
  /** α₀, first trial step of the line search. Default 1e-2 (deepinv). */
  readonly outerStep?: number;
  /** ε₀, first lower-level accuracy ‖z̃ − z*‖ ≤ ε. Default 0.1 (deepinv). */
  readonly epsilon0?: number;
  /** δ₀, first residual tolerance of the linear solve ‖Hv + ∇_zF‖ ≤ δ. Default 0.1 (deepinv). */
  readonly delta0?: number;
  /** ρ ∈ (0, 1), step shrink factor between trials. Default 0.5 (deepinv). */
  readonly rho?: number;
  /** ρ̄ > 1, step growth after an accepted step. Default 1.2 (deepinv). */
  readonly rhoBar?: number;
  /** ν ∈ (0, 1), accuracy shrink factor after a failed line search. Default 0.5 (deepinv). */
  readonly nu?: number;
  /** ν̄ > 1, accuracy growth after an accepted step. Default 1.1 (deepinv). */
  readonly nuBar?: number;
  /** λ ∈ (0, 1), sufficient-decrease fraction: accept if U⁺ − U⁻ + λα‖p‖² ≤ 0. Default 0.1 (deepinv). */
  readonly lambda?: number;
  /** Trials of the first line search at a point; each consecutive failure allows one more. Default 20 (deepinv). */
  readonly maxBacktracks?: number;
  /**
   * Consecutive failures after which the trial budget stops growing (deepinv raises an error there; a stream goes on,
   * with ε and δ at their floors eventually). Default 50 (deepinv's max_outer_BT).
   */
  readonly maxRefinements?: number;
  /** Floor of ε. Default 1e-14 (deepinv). */
  readonly epsilonMin?: number;
  /** Floor of δ. Default 1e-14 (deepinv). */
  readonly deltaMin?: number;
  /** Stop (x stays) once ‖p‖ ≤ tol. Default 1e-6 (deepinv). */
  readonly tol?: number;
  /** Lower-level solver: `fista`, `gd` or `lbfgs`. Default `fista` (the authors' codes; L-BFGS's Armijo test on values stalls near ‖∇G‖ ≈ 1e-8). */
  readonly innerSolver?: InnerMethod;
  /** Iteration cap of one lower-level solve. Default 2000 (the authors' original code). */
  readonly innerMaxIter?: number;
  /** Iteration cap of one CG solve. Default 2000 (the authors' original code). */
  readonly cgMaxIter?: number;
  /** μ of G, overriding `problem.innerConstants` and the estimate. Default: known or estimated. */
  readonly strongConvexity?: number;
  /** L_F, Lipschitz constant of ∇_z F, overriding the estimate. Default: estimated by power iteration. */
  readonly outerSmoothness?: number;
  /** The linear solver, to the residual δ with `cgMaxIter` iterations: `cg`, `normal-cg`, `gmres` or `bicgstab`. Default `cg`. */
  readonly linsysSolver?: 'cg' | 'normal-cg' | 'gmres' | 'bicgstab';
}

const KEYS = [
  'batchSize',
  'innerStep',
  'outerStep',
  'epsilon0',
  'delta0',
  'rho',
  'rhoBar',
  'nu',
  'nuBar',
  'lambda',
  'maxBacktracks',
  'maxRefinements',
  'epsilonMin',
  'deltaMin',
  'tol',
  'innerSolver',
  'innerMaxIter',
  'cgMaxIter',
  'strongConvexity',
  'outerSmoothness',
  'linsysSolver',
] as const;

/** Published by the outer stream with x: the accuracies the next inner and linear solves must reach. */
interface MaidControl {
  readonly eps: number;
  readonly delta: number;
  /** Lower-level solution at this x from the accepted trial (to accuracy ε/ν̄), a warm start for the inner stream. */
  readonly zWarm?: Float64Array;
}

/** Published by the inner stream with z: the accuracy it certifies and the constants it used. */
interface MaidInnerReport {
  /** ‖z − z*(x)‖ ≤ eps: max(requested ε, ‖∇_zG‖/μ). */
  readonly eps: number;
  readonly mu: number;
  readonly L: number;
  /** The x this z was solved at (copy), so the outer stream can check the schedule. */
  readonly x: Float64Array;
}

interface InnerState {
  readonly problem: BilevelProblem;
  readonly solver: LowerLevelSolver;
  curvature?: InnerCurvature;
  iterations: number;
  totalIterations: number;
  gradNorm: number;
}

interface LinsysState {
  readonly problem: BilevelProblem;
  readonly b: Float64Array;
  iterations: number;
  totalIterations: number;
  residual: number;
  info: LinearSolveInfo | undefined;
}

interface OuterState {
  readonly problem: BilevelProblem;
  readonly solver: LowerLevelSolver;
  readonly p: Float64Array;
  readonly cv: Float64Array;
  readonly gz: Float64Array;
  readonly zTrial: Float64Array;
  LF: number;
  eps: number;
  delta: number;
  alpha: number;
  /** Consecutive failed line searches (each one widens the next budget by one trial). */
  failures: number;
  accepted: number;
  rejected: number;
  backtracks: number;
  totalBacktracks: number;
  lastStep: number;
  directionNorm: number;
  converged: boolean;
}

function fraction(fn: string, field: string, value: number): number {
  if (!(value > 0 && value < 1)) throw new RangeError(`${fn}: ${field} must lie in (0, 1), received ${String(value)}`);
  return value;
}

function aboveOne(fn: string, field: string, value: number): number {
  if (!(value > 1) || !Number.isFinite(value)) throw new RangeError(`${fn}: ${field} must be a finite number > 1, received ${String(value)}`);
  return value;
}

/**
 * MAID, the Method of Adaptive Inexact Descent (Salehi, Mukherjee, Roberts, Ehrhardt, "An adaptively inexact
 * first-order method for bilevel optimization with application to hyperparameter learning", SIAM Journal on
 * Mathematics of Data Science, 2025): deterministic gradient descent on h with inexact hypergradients whose
 * accuracies adapt, and a backtracking line search on certified bounds of h, so that every accepted step truly
 * decreases h.
 *
 * One outer step (one attempt of Algorithm 3.1), under the `gauss-seidel` schedule:
 *   inner:  z̃ ← warm-started full-batch solve of min_z G(z, x) until ‖∇_zG(z̃, x)‖ ≤ μ ε  (so ‖z̃ − z*‖ ≤ ε)
 *   linsys: v ← CG (or `linsysSolver`) on ∇²_zzG(z̃, x) v = −∇_zF(z̃, x), warm-started, until the residual is ≤ δ
 *   outer:  p = ∇_xF(z̃, x) + ∇²_xzG(z̃, x) v,  U±(z, ε) = F(z, ·) ± (‖∇_zF(z, ·)‖ ε + L_F ε²/2);
 *           for α = α_k, ρα_k, … (at most `maxBacktracks` + min(consecutive failures, `maxRefinements`) trials):
 *             z⁺ = lower-level solve at x − αp to accuracy ε (warm-started at z̃),
 *             accept if U⁺(z⁺, ν̄ε) − U⁻(z̃, ε) + λα‖p‖² ≤ 0  (⇒ h(x − αp) ≤ h(x) − λα‖p‖², Lemma 3.5);
 *           accepted: x ← x − αp, α_{k+1} = ρ̄α, (ε, δ) ← ν̄(ε, δ);  failed: x stays, (ε, δ) ← ν(ε, δ).
 * ε and δ never go below their floors. The outer stream publishes (ε, δ) with x; the inner and linear-system
 * streams read them from `reads.aux.x` (and the inner stream warm-starts from the accepted trial's z⁺). A failed
 * attempt is an outer step that leaves x unchanged, so the run's iteration count includes failures.
 *
 * μ comes from `problem.innerConstants(x)` (else `strongConvexity`, else a power-iteration estimate), L_F from
 * `outerSmoothness` or a power-iteration estimate at the first point; with estimated constants the bounds are no
 * longer certificates. Each bound is evaluated with the accuracy actually reached, max(ε, ‖∇_zG‖/μ), so a
 * lower-level solve that stops at its iteration cap does not void it. Unlike the authors' first code (MAID.py), the
 * lower level stops at ‖∇_zG‖ ≤ με (not ‖∇_zG‖/(2μ) ≤ ε), U⁻ keeps its −L_Fε²/2 term and U⁺ uses ν̄ε, as in
 * deepinv and the paper (algorithms.md B1 (f)). Departures from deepinv: the optional
 * descent-direction test (Algorithm 3.2, off by default there) is not implemented; when ‖p‖ ≤ tol the steps keep x
 * (no early stop in a stream), and instead of raising after `maxRefinements` consecutive failures the run goes on
 * (the trial budget stops growing; ε and δ reach their floors).
 *
 * Diagnostics (outer): eps, delta, alpha (next first trial), lastStep (accepted α, 0 after a failure),
 * directionNorm ‖p‖, backtracks (trials of the last step), totalBacktracks, accepted, rejected, converged, LF;
 * (inner): iterations, gradNorm, mu, L, estimated; (linsys): iterations, residual, linsysStalled, linsysReason.
 *
 * @example runLoop(quadraticProblem({ dimZ: 10, dimX: 5, nInner: 50, nOuter: 50 }), maid(), { maxIter: 300 })
 */
export function maid(options: MaidOptions = {}): Solver {
  const fn = 'maid';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const innerStep = options.innerStep === undefined ? undefined : positiveNumber(fn, 'innerStep', options.innerStep);
  const alpha0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 1e-2);
  const eps0 = positiveNumber(fn, 'epsilon0', options.epsilon0 ?? 0.1);
  const delta0 = positiveNumber(fn, 'delta0', options.delta0 ?? 0.1);
  const rho = fraction(fn, 'rho', options.rho ?? 0.5);
  const rhoBar = aboveOne(fn, 'rhoBar', options.rhoBar ?? 1.2);
  const nu = fraction(fn, 'nu', options.nu ?? 0.5);
  const nuBar = aboveOne(fn, 'nuBar', options.nuBar ?? 1.1);
  const lambda = fraction(fn, 'lambda', options.lambda ?? 0.1);
  const maxBacktracks = positiveInteger(fn, 'maxBacktracks', options.maxBacktracks ?? 20);
  const maxRefinements = positiveInteger(fn, 'maxRefinements', options.maxRefinements ?? 50);
  const epsMin = positiveNumber(fn, 'epsilonMin', options.epsilonMin ?? 1e-14);
  const deltaMin = positiveNumber(fn, 'deltaMin', options.deltaMin ?? 1e-14);
  const tol = positiveNumber(fn, 'tol', options.tol ?? 1e-6);
  const method = innerMethod(fn, options.innerSolver ?? 'fista');
  const innerMaxIter = positiveInteger(fn, 'innerMaxIter', options.innerMaxIter ?? 2000);
  const cgMaxIter = positiveInteger(fn, 'cgMaxIter', options.cgMaxIter ?? 2000);
  const linsysSolver = enumOption(fn, 'linsysSolver', options.linsysSolver ?? 'cg', ['cg', 'normal-cg', 'gmres', 'bicgstab'] as const);
  const muFixed = options.strongConvexity === undefined ? undefined : positiveNumber(fn, 'strongConvexity', options.strongConvexity);
  const LFFixed = options.outerSmoothness === undefined ? undefined : positiveNumber(fn, 'outerSmoothness', options.outerSmoothness);

  const control = (reads: Reads): MaidControl | undefined => reads.aux?.x as MaidControl | undefined;

  const curvature = (problem: BilevelProblem, z: Float64Array, x: Float64Array, cached?: InnerCurvature): InnerCurvature => {
    let c: InnerCurvature;
    // known constants may depend on x: ask every time; an estimate is made once, at the first point, and only if needed
    if (problem.innerConstants) c = innerCurvature(fn, problem, z, x);
    else if (cached) c = cached;
    else if (muFixed !== undefined && innerStep !== undefined) c = { mu: muFixed, L: 1 / innerStep, estimated: false };
    else c = innerCurvature(fn, problem, z, x);
    return muFixed === undefined ? c : { ...c, mu: muFixed };
  };

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    init: (problem) => ({ problem, solver: new LowerLevelSolver(problem, method, innerMaxIter), iterations: 0, totalIterations: 0, gradNorm: NaN }),
    step(s, reads, _t, out) {
      const ctl = control(reads);
      const eps = ctl?.eps ?? eps0;
      out.set(ctl?.zWarm ?? reads.z);
      s.curvature = curvature(s.problem, out, reads.x, s.curvature);
      const { mu, L } = s.curvature;
      const res = s.solver.solve(reads.x, out, mu * eps, innerStep ?? 1 / L, mu);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.gradNorm = res.gradNorm;
      const report: MaidInnerReport = { eps: Math.max(eps, res.gradNorm / mu), mu, L, x: Float64Array.from(reads.x) };
      return report;
    },
    diagnostics: (s) => ({
      iterations: s.iterations,
      totalIterations: s.totalIterations,
      gradNorm: s.gradNorm,
      mu: s.curvature?.mu ?? NaN,
      L: s.curvature?.L ?? NaN,
      estimated: s.curvature?.estimated ? 1 : 0,
    }),
  };

  const linsys: StreamPart<LinsysState> = {
    stream: 'linsys',
    init: (problem) => ({ problem, b: new Float64Array(problem.dimZ), iterations: 0, totalIterations: 0, residual: NaN, info: undefined }),
    step(s, reads, _t, out) {
      const { problem, b } = s;
      const { z, x } = reads;
      const delta = control(reads)?.delta ?? delta0;
      problem.outerGradZ(z, x, problem.fullOuter, b);
      for (let i = 0; i < b.length; i++) b[i] = -b[i];
      out.set(reads.v);
      const solver = createLinearSolver(linsysSolver, { rtol: 0, atol: delta, maxIter: cgMaxIter });
      const res = solver.solve((u, hu) => problem.innerHvp(z, x, u, problem.fullInner, hu), b, out);
      s.iterations = res.iterations;
      s.totalIterations += res.iterations;
      s.residual = res.residualNorm ?? NaN;
      s.info = res;
    },
    diagnostics: (s) => ({ iterations: s.iterations, totalIterations: s.totalIterations, residual: s.residual, ...solveDiagnostics(s.info) }),
  };

  const outer: StreamPart<OuterState> = {
    stream: 'outer',
    init: (problem) => ({
      problem,
      solver: new LowerLevelSolver(problem, method, innerMaxIter),
      p: new Float64Array(problem.dimX),
      cv: new Float64Array(problem.dimX),
      gz: new Float64Array(problem.dimZ),
      zTrial: new Float64Array(problem.dimZ),
      LF: LFFixed ?? NaN,
      eps: eps0,
      delta: delta0,
      alpha: alpha0,
      failures: 0,
      accepted: 0,
      rejected: 0,
      backtracks: 0,
      totalBacktracks: 0,
      lastStep: 0,
      directionNorm: NaN,
      converged: false,
    }),
    step(s, reads, _t, out) {
      const { problem, p, cv, gz, zTrial } = s;
      const { z, v, x } = reads;
      const report = reads.aux?.z as MaidInnerReport | undefined;
      if (!report || report.x.length !== x.length || report.x.some((xi, i) => xi !== x[i])) {
        throw new Error('maid: the outer step read a z that was not solved at its x; run maid with the gauss-seidel schedule');
      }
      const { mu, L } = report;
      if (Number.isNaN(s.LF)) s.LF = outerSmoothness(problem, z, x);
      const LF = s.LF;
      // inexact hypergradient p = ∇_xF + ∇²_xzG v
      problem.outerGradX(z, x, problem.fullOuter, p);
      problem.innerCross(z, x, v, problem.fullInner, cv);
      for (let k = 0; k < p.length; k++) p[k] += cv[k];
      const pn = nrm2(p);
      s.directionNorm = pn;
      s.backtracks = 0;
      s.lastStep = 0;
      if (pn <= tol) {
        s.converged = true;
        out.set(x);
        const keep: MaidControl = { eps: s.eps, delta: s.delta };
        return keep;
      }
      s.converged = false;
      // lower bound at the current point, with the accuracy the inner stream certifies
      const epsNow = report.eps;
      problem.outerGradZ(z, x, problem.fullOuter, gz);
      const lower = problem.outerValue(z, x, problem.fullOuter) - nrm2(gz) * epsNow - 0.5 * LF * epsNow * epsNow;
      const budget = maxBacktracks + Math.min(s.failures, maxRefinements);
      const step = innerStep ?? 1 / L;
      let alpha = s.alpha;
      for (let i = 0; i < budget; i++) {
        s.backtracks++;
        for (let k = 0; k < out.length; k++) out[k] = x[k] - alpha * p[k];
        zTrial.set(z);
        const res = s.solver.solve(out, zTrial, mu * s.eps, step, mu);
        const epsPlus = Math.max(nuBar * s.eps, res.gradNorm / mu);
        problem.outerGradZ(zTrial, out, problem.fullOuter, gz);
        const upper = problem.outerValue(zTrial, out, problem.fullOuter) + nrm2(gz) * epsPlus + 0.5 * LF * epsPlus * epsPlus;
        if (upper - lower + lambda * alpha * pn * pn <= 0) {
          s.totalBacktracks += s.backtracks;
          s.accepted++;
          s.failures = 0;
          s.lastStep = alpha;
          s.alpha = rhoBar * alpha;
          s.eps = Math.max(nuBar * s.eps, epsMin);
          s.delta = Math.max(nuBar * s.delta, deltaMin);
          const next: MaidControl = { eps: s.eps, delta: s.delta, zWarm: Float64Array.from(zTrial) };
          return next;
        }
        alpha *= rho;
      }
      // no trial passed: keep x, tighten the accuracies, allow one more trial next time
      s.totalBacktracks += s.backtracks;
      s.rejected++;
      s.failures++;
      s.eps = Math.max(nu * s.eps, epsMin);
      s.delta = Math.max(nu * s.delta, deltaMin);
      out.set(x);
      const tighter: MaidControl = { eps: s.eps, delta: s.delta };
      return tighter;
    },
    diagnostics: (s) => ({
      eps: s.eps,
      delta: s.delta,
      alpha: s.alpha,
      lastStep: s.lastStep,
      directionNorm: s.directionNorm,
      backtracks: s.backtracks,
      totalBacktracks: s.totalBacktracks,
      accepted: s.accepted,
      rejected: s.rejected,
      converged: s.converged ? 1 : 0,
      LF: s.LF,
    }),
  };

  return {
    name: 'maid',
    citation:
      'Salehi, Mukherjee, Roberts, Ehrhardt. An adaptively inexact first-order method for bilevel optimization with application to hyperparameter learning. SIAM Journal on Mathematics of Data Science, 2025.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: {
      batchSize,
      innerStep: innerStep ?? 'auto (1/L)',
      outerStep: alpha0,
      epsilon0: eps0,
      delta0,
      rho,
      rhoBar,
      nu,
      nuBar,
      lambda,
      maxBacktracks,
      maxRefinements,
      epsilonMin: epsMin,
      deltaMin,
      tol,
      innerSolver: method,
      innerMaxIter,
      cgMaxIter,
      strongConvexity: muFixed ?? 'auto',
      outerSmoothness: LFFixed ?? 'auto',
      ...(linsysSolver !== 'cg' ? { linsysSolver } : {}),
    },
  };
}
