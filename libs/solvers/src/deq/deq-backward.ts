import { applyBroydenInverse, gmres, normalCg } from '@bilevel/linalg';
import type { BroydenInverse, SolveReason } from '@bilevel/linalg';
import type { EquilibriumBatch } from '@bilevel/problems';

/** What a DEQ backward pass is given: the bound products, the batch's equilibria and ∇_zL there. */
export interface DeqBackwardContext {
  readonly batch: EquilibriumBatch;
  /** The equilibria of the batch, compact [B, d]. */
  readonly z: Float64Array;
  /** ∇_zL at z ([B, d]): the right-hand side of (I − J)ᵀu = ∇_zL. */
  readonly rhs: Float64Array;
  /** The forward Broyden solve's inverse-Jacobian approximation H ≈ (I − J)⁻¹, per sample (SHINE needs it). */
  readonly inverse?: BroydenInverse;
}

/** What one backward pass did, as data. */
export interface DeqBackwardInfo {
  /** Vector-Jacobian (and, for normal CG, Jacobian-vector) products with ∂f/∂z: the pass's cost in layer replays. */
  readonly products: number;
  /** Iterations of the linear solver (0 for SHINE and JFB without refinement). */
  readonly iterations: number;
  /** ‖(I − J)ᵀu − ∇_zL‖/‖∇_zL‖ when the pass computed it (an iterative solve), else NaN. */
  readonly relativeResidual: number;
  /** The solver's stop reason, when one ran. */
  readonly reason?: SolveReason;
  /** Whether the solve met its tolerance (true for the closed-form directions). */
  readonly converged: boolean;
}

/**
 * A backward pass of a deep equilibrium model: the vector u ≈ (I − J)⁻ᵀ∇_zL (J = ∂f/∂z at the equilibria) from
 * which the parameters' gradient is (∂f/∂θ)ᵀu + ∇_θL. Interchangeable: exact (a Krylov solve), SHINE (the forward
 * quasi-Newton inverse), Jacobian-free (u = ∇_zL), each optionally refined by a few exact iterations.
 */
export interface DeqBackward {
  readonly name: string;
  /** Whether it needs the forward pass's Broyden inverse. */
  readonly needsInverse: boolean;
  /** out ← u (out is overwritten; [B, d]). */
  direction(ctx: DeqBackwardContext, out: Float64Array): DeqBackwardInfo;
}

/** The Krylov solvers of the exact backward pass. */
export type DeqKrylov = 'gmres' | 'normal-cg';

/** Options of {@link exactBackward}, with their defaults. */
export interface ExactBackwardOptions {
  /** `gmres` on (I − J)ᵀu = ∇_zL (one VJP an iteration), or `normal-cg` on the normal equations (a VJP and a JVP). Default `gmres`. */
  readonly solver?: DeqKrylov;
  /** Relative residual ‖(I − J)ᵀu − ∇_zL‖ ≤ tol·‖∇_zL‖. Default 1e-6. */
  readonly tol?: number;
  /** Iteration cap. Default 100. */
  readonly maxIter?: number;
  /** GMRES restart length. Default 30. */
  readonly restart?: number;
}

/** (I − J)ᵀ and (I − J) as operators on [B, d] arrays, counting the products. */
function operators(ctx: DeqBackwardContext) {
  const n = ctx.z.length;
  const t = new Float64Array(n);
  const count = { products: 0 };
  const adjoint = (q: Float64Array, out: Float64Array) => {
    ctx.batch.vjpZ(ctx.z, q, t);
    count.products++;
    for (let i = 0; i < n; i++) out[i] = q[i] - t[i];
  };
  const forward = (q: Float64Array, out: Float64Array) => {
    ctx.batch.jvpZ(ctx.z, q, t);
    count.products++;
    for (let i = 0; i < n; i++) out[i] = q[i] - t[i];
  };
  return { adjoint, forward, count };
}

function krylov(ctx: DeqBackwardContext, out: Float64Array, solver: DeqKrylov, tol: number, maxIter: number, restart: number): DeqBackwardInfo {
  const { adjoint, forward, count } = operators(ctx);
  const opts = { rtol: tol, maxIter, stallWindow: 0 };
  const res = solver === 'gmres' ? gmres(adjoint, ctx.rhs, out, { ...opts, restart }) : normalCg(adjoint, forward, ctx.rhs, out, opts);
  let bn = 0;
  for (const v of ctx.rhs) bn += v * v;
  return {
    products: count.products,
    iterations: res.iterations,
    relativeResidual: bn > 0 ? res.residualNorm / Math.sqrt(bn) : res.residualNorm,
    reason: res.reason,
    converged: res.converged,
  };
}

function check(fn: string, field: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${fn}: ${field} must be a positive ${integer ? 'integer' : 'number'}, received ${String(v)}`);
  }
  return v;
}

/**
 * The exact implicit backward pass (Bai, Kolter, Koltun, NeurIPS 2019): (I − J)ᵀu = ∇_zL solved by restarted GMRES
 * with one vector-Jacobian product (∂f/∂z)ᵀq an iteration (jaxopt's DEQ example uses GMRES or normal CG), cold
 * started at u = 0, to a relative residual `tol`.
 *
 * @example exactBackward({ solver: 'gmres', tol: 1e-6 }).direction({ batch, z, rhs }, u)
 */
export function exactBackward(options: ExactBackwardOptions = {}): DeqBackward {
  const fn = 'exactBackward';
  const solver = options.solver ?? 'gmres';
  if (solver !== 'gmres' && solver !== 'normal-cg') throw new RangeError(`${fn}: solver must be "gmres" or "normal-cg", received ${String(solver)}`);
  const tol = check(fn, 'tol', options.tol ?? 1e-6, false);
  const maxIter = check(fn, 'maxIter', options.maxIter ?? 100, true);
  const restart = check(fn, 'restart', options.restart ?? 30, true);
  return {
    name: solver === 'gmres' ? 'exact' : 'exact-normal-cg',
    needsInverse: false,
    direction(ctx, out) {
      out.fill(0);
      return krylov(ctx, out, solver, tol, maxIter, restart);
    },
  };
}

/**
 * SHINE's backward pass (Ramzi, Mannel, Bai, Starck, Ciuciu, Moreau, ICLR 2022): u = Hᵀ∇_zL with H ≈ (I − J)⁻¹ the
 * forward Broyden solve's inverse, per sample, from its low-rank factors (O(B·k·d) for k stored terms): no product
 * with the Jacobian at all. With outer-problem awareness (OPA, done by the forward pass) H carries extra
 * adjoint-Broyden terms along the backward direction.
 */
export function shineBackward(): DeqBackward {
  return {
    name: 'shine',
    needsInverse: true,
    direction(ctx, out) {
      if (!ctx.inverse) throw new RangeError('shineBackward: the context has no Broyden inverse; SHINE needs a Broyden forward pass');
      applyBroydenInverse(ctx.inverse, ctx.rhs, out, true);
      return { products: 0, iterations: 0, relativeResidual: NaN, converged: true };
    },
  };
}

/**
 * The Jacobian-free backward pass (Fung, Heaton, Li, McKenzie, Osher, Yin, "JFB: Jacobian-Free Backpropagation for
 * Implicit Networks", AAAI 2022): u = ∇_zL, i.e. (I − J)⁻ᵀ replaced by I.
 */
export function jfbBackward(): DeqBackward {
  return {
    name: 'jfb',
    needsInverse: false,
    direction(ctx, out) {
      out.set(ctx.rhs);
      return { products: 0, iterations: 0, relativeResidual: NaN, converged: true };
    },
  };
}

/**
 * A backward pass refined by at most `steps` iterations of the exact solver warm-started at its own u (the SHINE
 * paper's refinement, also applicable to JFB); stops earlier at the relative residual `tol`.
 *
 * @example refinedBackward(shineBackward(), { steps: 5 })
 */
export function refinedBackward(base: DeqBackward, options: { readonly steps: number; readonly solver?: DeqKrylov; readonly tol?: number; readonly restart?: number }): DeqBackward {
  const fn = 'refinedBackward';
  const steps = check(fn, 'steps', options.steps, true);
  const solver = options.solver ?? 'gmres';
  if (solver !== 'gmres' && solver !== 'normal-cg') throw new RangeError(`${fn}: solver must be "gmres" or "normal-cg", received ${String(solver)}`);
  const tol = check(fn, 'tol', options.tol ?? 1e-6, false);
  const restart = check(fn, 'restart', options.restart ?? 30, true);
  return {
    name: `${base.name}+${steps}`,
    needsInverse: base.needsInverse,
    direction(ctx, out) {
      const first = base.direction(ctx, out);
      const info = krylov(ctx, out, solver, tol, steps, restart);
      return { ...info, products: first.products + info.products };
    },
  };
}

/** The backward passes by name, as `bilevel run --backward` names them (`shine-opa` is SHINE's with an OPA forward). */
export type DeqBackwardName = 'exact' | 'shine' | 'shine-opa' | 'jfb';

/** Every {@link DeqBackwardName}, in the order `--help` lists them. */
export const DEQ_BACKWARDS: readonly DeqBackwardName[] = ['exact', 'shine', 'shine-opa', 'jfb'];
