import type { Solver } from './solver';
import type { Estimator } from './parts/estimator';
import { powerStep } from './parts/power-step';
import { sgdEstimator } from './parts/sgd-estimator';
import { singleLoop } from './parts/single-loop';
import type { StepRule } from './parts/step-rule';
import { stormEstimator } from './parts/storm-estimator';
import { knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link fsla}, with their defaults (the public benchmark's `solvers/fsla.py`, commit 3ad65dc). */
export interface FslaOptions {
  /** Minibatch size of every oracle. Default 64. */
  readonly batchSize?: number;
  /** ρ₀ in the z and v steps ρ_t = ρ₀ (t+1)^−c. Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** γ₀ in the x step γ_t = γ₀ (t+1)^−c. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** c, exponent of the three steps. Default 1/2 (the benchmark). */
  readonly stepDecay?: number;
  /** a in the momentum weight a_t = a (t+1)^−e of the x direction, in (0, 1]. Default 0.1 (the benchmark ties it to `step_size`). */
  readonly momentum?: number;
  /** e. Default 1/2 (the benchmark). */
  readonly momentumDecay?: number;
}

const KEYS = ['batchSize', 'innerStep', 'outerStep', 'stepDecay', 'momentum', 'momentumDecay'] as const;

/**
 * FSLA, the Fully Single Loop Algorithm (Li, Gu, Huang, "A fully single loop algorithm for bilevel optimization
 * without Hessian inverse", AAAI 2022). One SGD step on z, one on the linear-system variable v (which carries the
 * hypergradient's history across steps instead of an inner loop or a Neumann series), and a STORM-momentum step on
 * x, alternating (schedule `gauss-seidel`: v reads the new z, x reads the new z and v):
 *   z_{t+1} = z_t − ρ_t ∇_z g_J(z_t, x_t)
 *   v_{t+1} = v_t − ρ_t (∇²_zz g_{J'}(z_{t+1}, x_t)·v_t + ∇_z f_I(z_{t+1}, x_t))
 *   d_t = D_x(P_t) + (1 − a_t)(d_{t−1} − D_x(P_{t−1})),   D_x = ∇_x f_{I'} + ∇²_xz g_{J''}·v,  P_t = (z_{t+1}, v_{t+1}, x_t)
 *   x_{t+1} = x_t − γ_t d_t
 * (the same batches I', J'' at both points of the difference), ρ_t, γ_t ∝ (t+1)^−1/2, a_t = a (t+1)^−1/2.
 * O(ε^−2) iterations to an ε-stationary point (the paper's Theorem, nonconvex–strongly-convex).
 * Built from parts: SGD + power steps on z and v, {@link stormEstimator} + power step on x ({@link singleLoop}).
 * Oracle calls per step: z: 1 ∇_z g; v: 1 HVP, 1 ∇_z f; x: 2 cross products, 2 ∇_x f (1 each at t = 0).
 * Defaults: the benchmark's (steps 0.1, exponents 1/2, momentum 0.1 (t+1)^−1/2, batch 64); v ≈ −H⁻¹∇_z F (the
 * project's sign; the benchmark stores +H⁻¹∇_z F). The benchmark's first momentum step differences against a
 * previous point with x = 0; here d_0 is the first sample.
 *
 * @example run(problem, fsla({ batchSize: 32, innerStep: 0.2 }), { maxIter: 10_000 })
 */
export function fsla(options: FslaOptions = {}): Solver {
  const fn = 'fsla';
  knownKeys(fn, options, KEYS);
  const batchSize = positiveInteger(fn, 'batchSize', options.batchSize ?? 64);
  const rho0 = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const gamma0 = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const c = nonNegativeNumber(fn, 'stepDecay', options.stepDecay ?? 0.5);
  const momentum = positiveNumber(fn, 'momentum', options.momentum ?? 0.1);
  if (momentum > 1) throw new RangeError(`${fn}: momentum must be in (0, 1], received ${momentum}`);
  const momentumDecay = nonNegativeNumber(fn, 'momentumDecay', options.momentumDecay ?? 0.5);
  const solver = singleLoop({
    name: fn,
    citation: 'Li, Gu, Huang. A fully single loop algorithm for bilevel optimization without Hessian inverse. AAAI 2022.',
    schedule: 'gauss-seidel',
    inner: { estimator: sgdEstimator() as Estimator, step: powerStep(rho0, c) as StepRule, batchSize },
    linsys: { estimator: sgdEstimator() as Estimator, step: powerStep(rho0, c) as StepRule, batchSize },
    outer: { estimator: stormEstimator({ momentum, momentumDecay }) as Estimator, step: powerStep(gamma0, c) as StepRule, batchSize },
  });
  return { ...solver, options: { batchSize, innerStep: rho0, outerStep: gamma0, stepDecay: c, momentum, momentumDecay } };
}
