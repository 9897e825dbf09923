import { bicgstab, conjugateGradient, gmres, lbfgsInverse, luFactor, luSolve, matrix, neumannSeries, normalCg, nrm2 } from '@bilevel/linalg';
import type { InverseHessianApprox, LinearSolveResult, Matvec, Precond, SolveReason } from '@bilevel/linalg';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from '../validate-options';
import type { OptimalityCondition } from './optimality-condition';

/** The linear solvers {@link implicitVjp} can use on ∂_zFᵀu = w. */
export type ImplicitSolverName = 'cg' | 'normal-cg' | 'gmres' | 'bicgstab' | 'neumann' | 'lbfgs-pairs' | 'dense';

const SOLVER_NAMES: readonly ImplicitSolverName[] = ['cg', 'normal-cg', 'gmres', 'bicgstab', 'neumann', 'lbfgs-pairs', 'dense'];

/** One step of a fallback chain: a solver, or a solver on the ridged system (∂_zFᵀ + λI)u = w. */
export type FallbackStep = ImplicitSolverName | { readonly solver: ImplicitSolverName; readonly ridge: number };

/** Options of {@link implicitVjp} and {@link solveAdjoint}, with their defaults. */
export interface ImplicitVjpOptions {
  /** The first solver. Default `cg` when ∂_zF is symmetric positive definite (a gradient condition), else `gmres`. */
  readonly solver?: ImplicitSolverName;
  /** Relative tolerance: ‖(∂_zFᵀ + λI)u − w‖ ≤ max(tol·‖w‖, atol). Default 1e-10. */
  readonly tol?: number;
  /** Absolute floor of the residual test. Default 0. */
  readonly atol?: number;
  /** Iteration cap of each iterative attempt (the number of terms for `neumann`). Default 10·dimZ. */
  readonly maxIter?: number;
  /** λ ≥ 0: solve (∂_zFᵀ + λI)u = w, a Tikhonov-regularized VJP for badly conditioned or singular ∂_zF. Default 0. */
  readonly ridge?: number;
  /** M⁻¹ ≈ (∂_zFᵀ)⁻¹, used by `cg` (must then be SPD), `gmres`, `bicgstab` and `neumann`. Default none. */
  readonly precond?: Precond;
  /** GMRES's restart length. Default 30. */
  readonly restart?: number;
  /** η, the Neumann step (1 for a fixed-point condition of a contraction). Default 1. */
  readonly eta?: number;
  /** The curvature pairs of a quasi-Newton forward solve, for `lbfgs-pairs` (u = B⁻¹w, then one product to check it). */
  readonly pairs?: InverseHessianApprox;
  /**
   * What to try when an attempt does not converge (a stall, a breakdown, the cap): a list of steps tried in order,
   * each from the same initial guess, until one converges; `false` for none. Default: `gmres` (or `normal-cg` after
   * a first `gmres`), then `dense` (dimZ ≤ denseMaxDim), then GMRES and dense on the system ridged by
   * `ridgeFallback`·‖∂_zFᵀw‖/‖w‖.
   */
  readonly fallback?: readonly FallbackStep[] | false;
  /** Largest dimZ for the dense fallback (dimZ products to build ∂_zFᵀ, then an O(n³) LU solve). Default 500. */
  readonly denseMaxDim?: number;
  /** The default chain's ridge, relative to the scale ‖∂_zFᵀw‖/‖w‖ of the operator. Default 1e-6. */
  readonly ridgeFallback?: number;
  /** Stall window of the iterative attempts (0: off). Default 50. */
  readonly stallWindow?: number;
  /** Stall factor in (0, 1]. Default 0.99. */
  readonly stallFactor?: number;
  /** Warm start u₀ of every attempt (length dimZ; e.g. the previous outer step's u). Default zeros. */
  readonly init?: Float64Array;
}

const KEYS = [
  'solver',
  'tol',
  'atol',
  'maxIter',
  'ridge',
  'precond',
  'restart',
  'eta',
  'pairs',
  'fallback',
  'denseMaxDim',
  'ridgeFallback',
  'stallWindow',
  'stallFactor',
  'init',
] as const;

/** One attempt of a solve: which solver, on which ridge, and what it reported. */
export interface ImplicitAttempt {
  readonly solver: ImplicitSolverName;
  readonly ridge: number;
  readonly iterations: number;
  /** Products with ∂_zFᵀ (and ∂_zF for normal CG; dimZ + 1 for the dense solve). */
  readonly matvecs: number;
  readonly residualNorm: number;
  readonly converged: boolean;
  readonly stalled: boolean;
  readonly reason: SolveReason;
}

/** What a solve of ∂_zFᵀu = w reports, as data: the attempt whose u is returned and every attempt made. */
export interface ImplicitSolveDiagnostics {
  /** The condition's kind (`gradient`, `fixed-point`, `kkt`…). */
  readonly condition: string;
  /** The solver whose u is returned. */
  readonly solver: ImplicitSolverName;
  /** The ridge of that solve (the user's ridge, or larger after a ridge fallback). */
  readonly ridge: number;
  /** Iterations and products over all attempts. */
  readonly iterations: number;
  readonly matvecs: number;
  /** ‖(∂_zFᵀ + λI)u − w‖ of the returned u (λ = `ridge`). */
  readonly residualNorm: number;
  readonly converged: boolean;
  /** The first attempt stalled or broke down (the finding worth reporting even when a fallback recovered). */
  readonly stalled: boolean;
  /** The returned u comes from a fallback step, not the first solver. */
  readonly fellBack: boolean;
  /** Why the returned attempt stopped. */
  readonly reason: SolveReason;
  readonly attempts: readonly ImplicitAttempt[];
}

/** The adjoint u with ∂_zFᵀu = w, and how it was obtained. */
export interface AdjointSolution {
  readonly u: Float64Array;
  readonly diagnostics: ImplicitSolveDiagnostics;
}

/** x̄ = −∂_xFᵀu, the VJP of the solution map z*(x) with the cotangent w, with the adjoint u and the diagnostics. */
export interface ImplicitVjpResult extends AdjointSolution {
  readonly xBar: Float64Array;
}

interface Resolved {
  readonly first: ImplicitSolverName;
  readonly tol: number;
  readonly atol: number;
  readonly maxIter: number;
  readonly ridge: number;
  readonly precond?: Precond;
  readonly restart: number;
  readonly eta: number;
  readonly pairs?: InverseHessianApprox;
  readonly fallback: readonly FallbackStep[] | false | undefined;
  readonly denseMaxDim: number;
  readonly ridgeFallback: number;
  readonly stallWindow: number;
  readonly stallFactor: number;
  readonly init?: Float64Array;
}

function solverName(fn: string, field: string, value: unknown): ImplicitSolverName {
  if (typeof value !== 'string' || !SOLVER_NAMES.includes(value as ImplicitSolverName)) {
    throw new RangeError(`${fn}: ${field} must be one of ${SOLVER_NAMES.join(', ')}, received ${String(value)}`);
  }
  return value as ImplicitSolverName;
}

function available(cond: OptimalityCondition, name: ImplicitSolverName, o: { readonly pairs?: InverseHessianApprox }): string | undefined {
  if (name === 'normal-cg' && !cond.symmetric && typeof cond.jvpZ !== 'function') return 'needs jvpZ (∂_zF·v) on a non-symmetric condition';
  if (name === 'lbfgs-pairs' && !o.pairs) return 'needs the option pairs (the curvature pairs of the forward solve)';
  return undefined;
}

function resolve(fn: string, cond: OptimalityCondition, options: ImplicitVjpOptions): Resolved {
  if (options === null || typeof options !== 'object') throw new RangeError(`${fn}: options must be an object, received ${String(options)}`);
  knownKeys(fn, options, KEYS);
  const n = cond.dimZ;
  const first = solverName(fn, 'solver', options.solver ?? (cond.symmetric && cond.definite ? 'cg' : 'gmres'));
  const why = available(cond, first, options);
  if (why) throw new RangeError(`${fn}: solver ${first} ${why}`);
  const tol = nonNegativeNumber(fn, 'tol', options.tol ?? 1e-10);
  const atol = nonNegativeNumber(fn, 'atol', options.atol ?? 0);
  if (tol === 0 && atol === 0) throw new RangeError(`${fn}: tol and atol are both 0, expected at least one positive tolerance`);
  const maxIter = positiveInteger(fn, 'maxIter', options.maxIter ?? 10 * n);
  const ridge = nonNegativeNumber(fn, 'ridge', options.ridge ?? 0);
  if (options.precond !== undefined && typeof options.precond !== 'function') throw new RangeError(`${fn}: precond must be a function (r, out) => void, received ${typeof options.precond}`);
  const restart = positiveInteger(fn, 'restart', options.restart ?? 30);
  const eta = positiveNumber(fn, 'eta', options.eta ?? 1);
  const pairs = options.pairs;
  if (pairs !== undefined && (typeof pairs !== 'object' || !Array.isArray(pairs.pairs) || !(pairs.h0 > 0))) {
    throw new RangeError(`${fn}: pairs must be { pairs: CurvaturePair[], h0 > 0 }, received ${JSON.stringify(pairs)}`);
  }
  const fallback = options.fallback;
  if (fallback !== undefined && fallback !== false) {
    if (!Array.isArray(fallback)) throw new RangeError(`${fn}: fallback must be a list of steps or false, received ${String(fallback)}`);
    fallback.forEach((step, i) => {
      const name = solverName(fn, `fallback[${i}]${typeof step === 'string' ? '' : '.solver'}`, typeof step === 'string' ? step : step?.solver);
      if (typeof step !== 'string') nonNegativeNumber(fn, `fallback[${i}].ridge`, step.ridge);
      const reason = available(cond, name, options);
      if (reason) throw new RangeError(`${fn}: fallback[${i}] ${name} ${reason}`);
    });
  }
  const denseMaxDim = nonNegativeNumber(fn, 'denseMaxDim', options.denseMaxDim ?? 500);
  if (first === 'dense' && n > denseMaxDim) throw new RangeError(`${fn}: solver dense needs dimZ ≤ denseMaxDim = ${denseMaxDim}, received dimZ ${n}`);
  const ridgeFallback = positiveNumber(fn, 'ridgeFallback', options.ridgeFallback ?? 1e-6);
  const stallWindow = nonNegativeNumber(fn, 'stallWindow', options.stallWindow ?? 50);
  if (!Number.isInteger(stallWindow)) throw new RangeError(`${fn}: stallWindow must be an integer ≥ 0, received ${stallWindow}`);
  const stallFactor = options.stallFactor ?? 0.99;
  if (typeof stallFactor !== 'number' || !(stallFactor > 0 && stallFactor <= 1)) throw new RangeError(`${fn}: stallFactor must be a number in (0, 1], received ${String(stallFactor)}`);
  const init = options.init;
  if (init !== undefined && (!(init instanceof Float64Array) || init.length !== n)) {
    throw new RangeError(`${fn}: init must be a Float64Array of length dimZ = ${n}, received ${init instanceof Float64Array ? `length ${init.length}` : typeof init}`);
  }
  return { first, tol, atol, maxIter, ridge, precond: options.precond, restart, eta, pairs, fallback, denseMaxDim, ridgeFallback, stallWindow, stallFactor, init };
}

/** The default chain after `first`: another Krylov method, the dense solve, then the same two on a ridged system. */
function defaultChain(cond: OptimalityCondition, first: ImplicitSolverName, ridge: number): FallbackStep[] {
  const chain: FallbackStep[] = [];
  if (first !== 'gmres') chain.push('gmres');
  else if (cond.symmetric || typeof cond.jvpZ === 'function') chain.push('normal-cg');
  if (first !== 'dense') chain.push('dense');
  chain.push({ solver: 'gmres', ridge }, { solver: 'dense', ridge });
  return chain;
}

/**
 * Solves ∂_zFᵀu = w (the adjoint system of the implicit function theorem) with the chosen solver and, when it does
 * not converge, the fallback chain; every attempt starts from `init` (zeros by default) and the first that
 * converges is returned, else the one with the smallest residual. Numerical trouble is data (see
 * {@link ImplicitSolveDiagnostics}), never an exception; bad options and shapes are RangeErrors, checked up front.
 * Allocates u, the attempts' work vectors and, for the dense step, a dimZ² matrix, once per call.
 *
 * @example const { u, diagnostics } = solveAdjoint(bilevelCondition(problem, z, x), gradOuterZ) // u = H⁻¹∇_zF
 */
export function solveAdjoint(condition: OptimalityCondition, w: Float64Array, options: ImplicitVjpOptions = {}): AdjointSolution {
  const fn = 'solveAdjoint';
  checkCondition(fn, condition);
  const o = resolve(fn, condition, options);
  return solve(condition, cotangent(fn, condition, w), o);
}

/**
 * The VJP of the solution map z*(x) of an optimality condition F(z*(x), x) = 0, by implicit differentiation
 * (Krantz & Parks, The Implicit Function Theorem, 2002; as an API: Blondel et al., "Efficient and modular implicit
 * differentiation", NeurIPS 2022, jaxopt):
 *
 *   ∂_zFᵀu = w,   x̄ = −∂_xFᵀu   (so x̄ = Jᵀw, J the Jacobian of x ↦ z*(x)).
 *
 * The linear solver is `options.solver` (CG for a symmetric positive definite ∂_zF, GMRES otherwise), guarded by a
 * ridge, a preconditioner, the fallback chain and the stall test (see {@link ImplicitVjpOptions}); the result says
 * which solver produced u, whether the first one stalled and whether a fallback was used, so a stream can turn a
 * stalled solve into a finding (libs/streams: `implicitSolveFindings`). For a hypergradient, w = ∇_z f and
 * ∇h = ∇_x f + x̄.
 *
 * @example
 * const cond = bilevelCondition(problem, zStar, x);
 * const gz = new Float64Array(problem.dimZ); problem.outerGradZ(zStar, x, problem.fullOuter, gz);
 * const { xBar, diagnostics } = implicitVjp(cond, gz, { solver: 'gmres', tol: 1e-10 });
 */
export function implicitVjp(condition: OptimalityCondition, w: Float64Array, options: ImplicitVjpOptions = {}): ImplicitVjpResult {
  const fn = 'implicitVjp';
  checkCondition(fn, condition);
  const o = resolve(fn, condition, options);
  const sol = solve(condition, cotangent(fn, condition, w), o);
  const xBar = new Float64Array(condition.dimX);
  condition.vjpX(sol.u, xBar);
  for (let i = 0; i < xBar.length; i++) xBar[i] = -xBar[i];
  return { ...sol, xBar };
}

function checkCondition(fn: string, c: OptimalityCondition): void {
  if (!c || typeof c !== 'object') throw new RangeError(`${fn}: condition must be an OptimalityCondition, received ${String(c)}`);
  if (!Number.isInteger(c.dimZ) || c.dimZ < 1 || !Number.isInteger(c.dimX) || c.dimX < 1) {
    throw new RangeError(`${fn}: condition dimensions must be positive integers, received dimZ ${c.dimZ}, dimX ${c.dimX}`);
  }
  if (typeof c.vjpZ !== 'function' || typeof c.vjpX !== 'function') throw new RangeError(`${fn}: condition must provide vjpZ and vjpX`);
}

function cotangent(fn: string, c: OptimalityCondition, w: Float64Array): Float64Array {
  if (!(w instanceof Float64Array)) throw new RangeError(`${fn}: the cotangent w must be a Float64Array, received ${typeof w}`);
  if (w.length === c.dimZ) return w;
  if (c.primalDim !== undefined && w.length === c.primalDim) {
    const padded = new Float64Array(c.dimZ);
    padded.set(w);
    return padded;
  }
  const expected = c.primalDim !== undefined ? `${c.dimZ} or the primal ${c.primalDim}` : `${c.dimZ}`;
  throw new RangeError(`${fn}: the cotangent w has length ${w.length}, expected dimZ = ${expected} of the ${c.kind} condition`);
}

function solve(cond: OptimalityCondition, w: Float64Array, o: Resolved): AdjointSolution {
  const n = cond.dimZ;
  const wNorm = nrm2(w);
  const target = Math.max(o.tol * wNorm, o.atol);
  let scale: number | undefined;
  const fallbackRidge = () => {
    if (scale === undefined) {
      const bw = new Float64Array(n);
      cond.vjpZ(w, bw);
      const s = wNorm > 0 ? nrm2(bw) / wNorm : 0;
      scale = s > 0 && Number.isFinite(s) ? s : 1;
    }
    return o.ridge + o.ridgeFallback * scale;
  };
  const steps: { solver: ImplicitSolverName; ridge: () => number }[] = [{ solver: o.first, ridge: () => o.ridge }];
  if (o.fallback === undefined) {
    for (const step of defaultChain(cond, o.first, NaN)) {
      if (typeof step === 'string') steps.push({ solver: step, ridge: () => o.ridge });
      else steps.push({ solver: step.solver, ridge: fallbackRidge });
    }
  } else if (o.fallback !== false) {
    for (const step of o.fallback) {
      if (typeof step === 'string') steps.push({ solver: step, ridge: () => o.ridge });
      else {
        const r = step.ridge;
        steps.push({ solver: step.solver, ridge: () => r });
      }
    }
  }
  const attempts: ImplicitAttempt[] = [];
  let best: { u: Float64Array; attempt: ImplicitAttempt; index: number } | undefined;
  for (const step of steps) {
    if (step.solver === 'dense' && n > o.denseMaxDim) continue;
    const ridge = step.ridge();
    const u = o.init ? Float64Array.from(o.init) : new Float64Array(n);
    const res = attempt(cond, step.solver, w, u, ridge, target, o);
    const a: ImplicitAttempt = { solver: step.solver, ridge, iterations: res.iterations, matvecs: res.matvecs, residualNorm: res.residualNorm, converged: res.converged, stalled: res.stalled, reason: res.reason };
    attempts.push(a);
    const finite = u.every(Number.isFinite);
    if (finite && (best === undefined || !(best.attempt.residualNorm <= a.residualNorm))) best = { u, attempt: a, index: attempts.length - 1 };
    if (res.converged && finite) {
      best = { u, attempt: a, index: attempts.length - 1 };
      break;
    }
  }
  if (best === undefined) {
    // every attempt produced a non-finite u: return zeros and say so
    const last = attempts[attempts.length - 1];
    best = { u: new Float64Array(n), attempt: { ...last, reason: 'non-finite', converged: false }, index: attempts.length - 1 };
  }
  const first = attempts[0];
  const diagnostics: ImplicitSolveDiagnostics = {
    condition: cond.kind,
    solver: best.attempt.solver,
    ridge: best.attempt.ridge,
    iterations: attempts.reduce((s, a) => s + a.iterations, 0),
    matvecs: attempts.reduce((s, a) => s + a.matvecs, 0) + (scale !== undefined ? 1 : 0),
    residualNorm: best.attempt.residualNorm,
    converged: best.attempt.converged,
    stalled: first.stalled,
    fellBack: best.index > 0,
    reason: best.attempt.reason,
    attempts,
  };
  return { u: best.u, diagnostics };
}

/** One attempt of `solver` on (∂_zFᵀ + λI)u = w from the u passed in; the residual reported is the true one for dense and lbfgs-pairs. */
function attempt(cond: OptimalityCondition, solver: ImplicitSolverName, w: Float64Array, u: Float64Array, ridge: number, target: number, o: Resolved): LinearSolveResult {
  const n = cond.dimZ;
  const matvec: Matvec = (p, out) => cond.vjpZ(p, out);
  const common = { rtol: 0, atol: target, maxIter: o.maxIter, ridge, stallWindow: o.stallWindow, stallFactor: o.stallFactor };
  const pre = o.precond ? { precond: o.precond } : {};
  switch (solver) {
    case 'cg':
      return conjugateGradient(matvec, w, u, { ...common, ...pre });
    case 'gmres':
      return gmres(matvec, w, u, { ...common, ...pre, restart: o.restart });
    case 'bicgstab':
      return bicgstab(matvec, w, u, { ...common, ...pre });
    case 'normal-cg': {
      // the system's matrix is ∂_zFᵀ, its transpose ∂_zF
      const jvp = cond.jvpZ ?? cond.vjpZ;
      return normalCg(matvec, (p, out) => jvp.call(cond, p, out), w, u, common);
    }
    case 'neumann':
      return neumannSeries(matvec, w, u, { ...common, ...pre, eta: o.eta });
    case 'lbfgs-pairs': {
      const r = new Float64Array(n);
      let matvecs = 0;
      if (u.some((e) => e !== 0)) {
        residualOf(cond, w, u, ridge, r);
        matvecs++;
      } else {
        r.set(w);
      }
      const step = lbfgsInverse(o.pairs as InverseHessianApprox, r, new Float64Array(n), ridge);
      for (let i = 0; i < n; i++) u[i] += step[i];
      return checked(cond, w, u, ridge, target, 0, matvecs, u.every(Number.isFinite) ? 'max-iter' : 'non-finite');
    }
    case 'dense':
      return dense(cond, w, u, ridge, target);
  }
}

/** r ← w − (∂_zFᵀ + λI)u. */
function residualOf(cond: OptimalityCondition, w: Float64Array, u: Float64Array, ridge: number, r: Float64Array): void {
  cond.vjpZ(u, r);
  for (let i = 0; i < r.length; i++) r[i] = w[i] - r[i] - ridge * u[i];
}

/** The result of a direct method after one product to measure its true residual. */
function checked(cond: OptimalityCondition, w: Float64Array, u: Float64Array, ridge: number, target: number, iterations: number, matvecs: number, fail: SolveReason): LinearSolveResult {
  const r = new Float64Array(w.length);
  residualOf(cond, w, u, ridge, r);
  const residualNorm = nrm2(r);
  const converged = residualNorm <= target;
  const reason: SolveReason = converged ? 'converged' : Number.isNaN(residualNorm) ? 'non-finite' : fail;
  return { iterations, matvecs: matvecs + 1, residualNorm, converged, stalled: reason !== 'converged' && reason !== 'max-iter', reason };
}

/** ∂_zFᵀ + λI built column by column (n products), LU with partial pivoting; a singular matrix is a breakdown. */
function dense(cond: OptimalityCondition, w: Float64Array, u: Float64Array, ridge: number, target: number): LinearSolveResult {
  const n = cond.dimZ;
  const M = matrix(n, n);
  const e = new Float64Array(n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    cond.vjpZ(e, col);
    for (let i = 0; i < n; i++) M.data[i * n + j] = col[i] + (i === j ? ridge : 0);
  }
  const f = luFactor(M, M);
  if (f.singularAt >= 0 || !(f.pivotRatio > 0)) {
    const r = new Float64Array(n);
    residualOf(cond, w, u, ridge, r);
    return { iterations: 0, matvecs: n + 1, residualNorm: nrm2(r), converged: false, stalled: true, reason: 'breakdown' };
  }
  u.set(luSolve(f, Float64Array.from(w)));
  // a direct solve above the tolerance is as good as it gets (rounding times the condition number)
  return checked(cond, w, u, ridge, target, 0, n, 'stalled');
}
