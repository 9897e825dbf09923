import type { BilevelProblem } from '@bilevel/problems';
import { requireOracles } from '@bilevel/problems';
import type { Solver, StreamPart } from './solver';
import { constantStep } from './parts/constant-step';
import type { HypergradientDirection } from './parts/recursive-hypergradient';
import { publishedDirectionOuter } from './parts/recursive-hypergradient';
import type { StepRule } from './parts/step-rule';
import { enumOption, knownKeys, nonNegativeNumber, positiveInteger, positiveNumber } from './validate-options';

/** Options of {@link bome}, with their defaults (the public benchmark's `solvers/bome.py`, commit 3ad65dc). */
export interface BomeOptions {
  /** Accepted for a uniform interface and ignored: BOME runs on full batches, as in the benchmark. */
  readonly batchSize?: number;
  /** α: step of the T gradient steps on G that approximate z*(x). Default 0.1 (`step_size`). */
  readonly innerStep?: number;
  /** ξ_z: step of z in the joint step. Default: `innerStep` (the benchmark uses one step for both). */
  readonly zStep?: number;
  /** ξ: step of x in the joint step. Default 0.1 (`step_size / outer_ratio`, outer_ratio 1). */
  readonly outerStep?: number;
  /** η ≥ 0 in the control φ = η·(‖∇q̂‖² or q̂). Default 0.5 (`eta`). */
  readonly eta?: number;
  /** T, gradient steps on G(·, x) from z that give z_T ≈ z*(x). Default 10 (`n_inner_steps`). */
  readonly innerIters?: number;
  /** φ: `grad-norm` (η‖∇q̂‖², the paper's default and the benchmark's) or `value` (η q̂, two value oracles more). */
  readonly phi?: 'grad-norm' | 'value';
}

const KEYS = ['batchSize', 'innerStep', 'zStep', 'outerStep', 'eta', 'innerIters', 'phi'] as const;

interface InnerState {
  readonly problem: BilevelProblem;
  readonly zT: Float64Array;
  readonly g: Float64Array;
  readonly fz: Float64Array;
  readonly fx: Float64Array;
  readonly qz: Float64Array;
  readonly gxT: Float64Array;
  lambda: number;
  phi: number;
  gradQ2: number;
}

/**
 * BOME, Bilevel Optimization Made Easy (Liu, Ye, Wright, Stone, Liu, "BOME! Bilevel optimization made easy: a simple
 * first-order approach", NeurIPS 2022). A first-order method on the value-function reformulation
 * min F(z, x) s.t. q(z, x) = G(z, x) − min_z' G(z', x) ≤ 0: with z_T = T gradient steps z ← z − α∇_z G(z, x) from
 * z_k (an approximation of z*(x_k), held fixed when differentiating),
 *   q̂(z, x) = G(z, x) − G(z_T, x),   ∇q̂ = (∇_z G(z_k, x_k),  ∇_x G(z_k, x_k) − ∇_x G(z_T, x_k))
 *   φ_k = η‖∇q̂‖²,   λ_k = max(φ_k − ⟨∇F, ∇q̂⟩, 0) / ‖∇q̂‖²      (λ_k = 0 when ∇q̂ = 0)
 *   (z_{k+1}, x_{k+1}) = (z_k, x_k) − (α, ξ)·(∇F(z_k, x_k) + λ_k ∇q̂)
 * the dynamic-barrier step: it follows −∇F as far as that keeps q̂ decreasing at rate φ, so the value-function gap
 * q shrinks while F decreases. No second-order oracle; it needs ∇_x g (`innerGradX`). The paper proves
 * non-asymptotic convergence to stationary points of the reformulation for nonconvex F (a lower level whose
 * minimizer z_T approaches as T grows).
 *
 * Streams (schedule `gauss-seidel`): the inner part computes z_T, λ_k and both halves of the joint direction from
 * (z_k, x_k), steps z and publishes the x half with z_{k+1} ({@link HypergradientDirection}); the outer part steps x
 * along it ({@link publishedDirectionOuter}); the linear-system part is idle (no linear system: v keeps its start
 * value, no oracle call). Oracle calls per step, full batches: T + 1 ∇_z G, 2 ∇_x G, 1 ∇_z F, 1 ∇_x F (and 2 values
 * with `phi: 'value'`). Defaults: the benchmark's (α = ξ = 0.1, η = 0.5, T = 10, φ from the gradient norm).
 * Diagnostics (inner): `lambda`, `phi`, `gradQ2` (‖∇q̂‖²).
 *
 * @example run(problem, bome({ innerIters: 20, eta: 0.5 }), { maxIter: 2000 })
 */
export function bome(options: BomeOptions = {}): Solver {
  const fn = 'bome';
  knownKeys(fn, options, KEYS);
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  const alpha = positiveNumber(fn, 'innerStep', options.innerStep ?? 0.1);
  const xiZ = positiveNumber(fn, 'zStep', options.zStep ?? alpha);
  const xi = positiveNumber(fn, 'outerStep', options.outerStep ?? 0.1);
  const eta = nonNegativeNumber(fn, 'eta', options.eta ?? 0.5);
  const T = positiveInteger(fn, 'innerIters', options.innerIters ?? 10);
  const phiKind = enumOption(fn, 'phi', options.phi ?? 'grad-norm', ['grad-norm', 'value'] as const);
  const schedule = 'gauss-seidel';

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'full-batch', step: { kind: 'other', rule: 'bome dynamic barrier' } },
    init(problem) {
      requireOracles(problem, ['innerGradX'], fn);
      return {
        problem,
        zT: new Float64Array(problem.dimZ),
        g: new Float64Array(problem.dimZ),
        fz: new Float64Array(problem.dimZ),
        fx: new Float64Array(problem.dimX),
        qz: new Float64Array(problem.dimZ),
        gxT: new Float64Array(problem.dimX),
        lambda: 0,
        phi: 0,
        gradQ2: 0,
      };
    },
    step(s, { z, x }, _t, out): HypergradientDirection {
      const { problem: p, zT, g, fz, fx, qz, gxT } = s;
      const all = p.fullInner;
      const gradX = p.innerGradX as NonNullable<BilevelProblem['innerGradX']>;
      zT.set(z);
      for (let i = 0; i < T; i++) {
        p.innerGradZ(zT, x, all, g);
        for (let k = 0; k < zT.length; k++) zT[k] -= alpha * g[k];
      }
      p.outerGradZ(z, x, p.fullOuter, fz);
      p.outerGradX(z, x, p.fullOuter, fx);
      p.innerGradZ(z, x, all, qz);
      const qx = new Float64Array(p.dimX);
      gradX.call(p, z, x, all, qx);
      gradX.call(p, zT, x, all, gxT);
      let q2 = 0;
      let dot = 0;
      for (let k = 0; k < qz.length; k++) {
        q2 += qz[k] * qz[k];
        dot += fz[k] * qz[k];
      }
      for (let k = 0; k < qx.length; k++) {
        qx[k] -= gxT[k];
        q2 += qx[k] * qx[k];
        dot += fx[k] * qx[k];
      }
      const phi = eta * (phiKind === 'grad-norm' ? q2 : p.innerValue(z, x, all) - p.innerValue(zT, x, all));
      const lambda = q2 > 0 ? Math.max(phi - dot, 0) / q2 : 0;
      s.lambda = lambda;
      s.phi = phi;
      s.gradQ2 = q2;
      for (let k = 0; k < out.length; k++) out[k] = z[k] - xiZ * (fz[k] + lambda * qz[k]);
      // the x half of the joint direction, published with z_{k+1} (a fresh array: published values are never mutated)
      for (let k = 0; k < qx.length; k++) qx[k] = fx[k] + lambda * qx[k];
      return { direction: qx, x: Float64Array.from(x) };
    },
    diagnostics: (s) => ({ lambda: s.lambda, phi: s.phi, gradQ2: s.gradQ2 }),
  };

  const linsys: StreamPart<null> = {
    stream: 'linsys',
    init: () => null,
    step(_s, { v }, _t, out) {
      out.set(v); // no linear system in BOME: v keeps its start value and no oracle is called
    },
  };

  const outer = publishedDirectionOuter(fn, schedule, constantStep(xi) as StepRule, { estimator: 'full-batch', from: 'z' });
  return {
    name: fn,
    citation: 'Liu, Ye, Wright, Stone, Liu. BOME! Bilevel optimization made easy: a simple first-order approach. NeurIPS 2022.',
    schedule,
    fixedSchedule: true,
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { batchSize: 'full', innerStep: alpha, zStep: xiZ, outerStep: xi, eta, innerIters: T, phi: phiKind },
  };
}
