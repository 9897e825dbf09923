import { Rng } from '@bilevel/linalg';
import type { RngState } from '@bilevel/linalg';
import type { ControlSystem } from './systems/control-system';
import type { Policy } from './policy';
import type { CertificateLp, CertificateSolution } from './certificate-lp';
import { sampleInitialStates, valueGradient } from './rollout';

/** Options of {@link jointTraining}. */
export interface JointTrainingOptions {
  /** 'joint': the paper's bilevel update; 'svg': the value gradient only (the SVG baseline). Default 'joint'. */
  readonly mode?: 'joint' | 'svg';
  /** Step l. Default 0.02. */
  readonly learningRate?: number;
  /** Initial penalty weight λ₀. Default 100. */
  readonly lambda0?: number;
  /** Geometric growth of λ per iteration. Default 1.3. */
  readonly lambdaGrowth?: number;
  /** Largest allowed ‖Δθ‖ per step (the step is scaled down to it). Default 0.5. */
  readonly maxStep?: number;
  /** Initial states per value-gradient batch. Default 16. */
  readonly batch?: number;
  /** Seed of the batch sampler. Default 0. */
  readonly seed?: number;
  /**
   * Stop when c* ≤ −margin. Default 1e-6: HiGHS meets the coefficient-matching equalities to its feasibility
   * tolerance 1e-7, so a c* within that of 0 is not taken as a certificate.
   */
  readonly margin?: number;
}

/** Everything the loop carries from one step to the next. */
export interface JointTrainingState {
  readonly theta: Float64Array;
  readonly lambda: number;
  readonly iteration: number;
  readonly rng: RngState;
  /** True once c* ≤ −margin (joint mode: θ is certified by `solution`) or the rollouts diverged. */
  readonly done: boolean;
  /** 'certified': c* ≤ −margin; 'diverged': a rollout left float range (θ is the last finite one). */
  readonly outcome: 'running' | 'certified' | 'diverged';
  readonly diagnostics: JointTrainingDiagnostics | null;
}

/** What one step measured (for the θ it started from). */
export interface JointTrainingDiagnostics {
  readonly value: number;
  readonly valueGradientNorm: number;
  /** c*(θ) (NaN in svg mode). */
  readonly cStar: number;
  readonly certificateGradientNorm: number;
  readonly stepNorm: number;
  readonly lambda: number;
  readonly solution: CertificateSolution | null;
}

/** The init/step pair of {@link jointTraining}. */
export interface JointTraining {
  init(theta0: Float64Array): JointTrainingState;
  step(state: JointTrainingState): JointTrainingState;
}

/**
 * The upper level of Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, "Joint differentiable optimization and verification
 * for certified reinforcement learning", ICCPS 2023: ascend V_θ − λ (c*(θ))²,
 *
 *   θ ← θ + l (∇_θ V_θ − 2 λ c* ∂c* / ∂θ),    λ ← λ · growth,
 *
 * with ∇V by backpropagation through the Euler rollouts (rollout.ts) on a fresh seeded batch of initial states and
 * c*, ∂c* / ∂θ from the certificate LP (certificate-lp.ts). Stops (done) as soon as c*(θ) ≤ −margin: the LP's β* is then a
 * certificate for θ, which is left unchanged. The penalty uses max(c*, 0), so a certified margin is not pushed
 * back up. With mode 'svg' it is the SVG(∞) baseline: the same rollouts and steps, no certificate.
 * The step is clipped to ‖Δθ‖ ≤ maxStep (our addition: the cubic PJ term makes raw value gradients spiky). When
 * the LP is not solved to optimality (e.g. its hard set conditions are infeasible) the step uses ∇V alone; when a
 * rollout diverges (non-finite value) the loop stops with outcome 'diverged'.
 * Each step returns a new state; nothing is mutated.
 *
 * @example
 * const highs = await (await import('highs')).default();
 * const policy = new FeaturePolicy(2, 1);
 * const run = jointTraining(PJ, policy, new CertificateLp(PJ, policy, highs));
 * let s = run.init(Float64Array.of(-1, -1));
 * while (!s.done && s.iteration < 100) s = run.step(s);
 */
export function jointTraining(system: ControlSystem, policy: Policy, lp: CertificateLp | null, options: JointTrainingOptions = {}): JointTraining {
  const fn = 'jointTraining';
  const mode = options.mode ?? 'joint';
  const lr = options.learningRate ?? 0.02;
  const lambda0 = options.lambda0 ?? 100;
  const growth = options.lambdaGrowth ?? 1.3;
  const maxStep = options.maxStep ?? 0.5;
  const batch = options.batch ?? 16;
  const seed = options.seed ?? 0;
  const margin = options.margin ?? 1e-6;
  if (!(margin >= 0)) throw new RangeError(`${fn}: options.margin must be ≥ 0, received ${margin}`);
  if (mode !== 'joint' && mode !== 'svg') throw new RangeError(`${fn}: options.mode must be 'joint' or 'svg', received '${String(mode)}'`);
  if (!(lr > 0)) throw new RangeError(`${fn}: options.learningRate must be > 0, received ${lr}`);
  if (!(lambda0 >= 0)) throw new RangeError(`${fn}: options.lambda0 must be ≥ 0, received ${lambda0}`);
  if (!(growth >= 1)) throw new RangeError(`${fn}: options.lambdaGrowth must be ≥ 1, received ${growth}`);
  if (!(maxStep > 0)) throw new RangeError(`${fn}: options.maxStep must be > 0, received ${maxStep}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${fn}: options.batch must be an integer ≥ 1, received ${batch}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: options.seed must be a safe integer, received ${seed}`);
  if (mode === 'joint' && lp === null) throw new RangeError(`${fn}: mode 'joint' needs a CertificateLp, received null`);

  return {
    init(theta0) {
      if (theta0.length !== policy.nTheta) {
        throw new RangeError(`${fn}.init: theta0 must have length ${policy.nTheta}, received ${theta0.length}`);
      }
      return { theta: Float64Array.from(theta0), lambda: lambda0, iteration: 0, rng: Rng.fromSeed(seed).state(), done: false, outcome: 'running', diagnostics: null };
    },
    step(state) {
      if (state.done) return state;
      const rng = Rng.fromState(state.rng);
      const x0s = sampleInitialStates(system, batch, rng);
      const { value, gradient } = valueGradient(system, policy, state.theta, x0s);
      const vNorm = Math.hypot(...gradient);
      if (!Number.isFinite(value) || !Number.isFinite(vNorm)) {
        const diagnostics = { value, valueGradientNorm: vNorm, cStar: NaN, certificateGradientNorm: 0, stepNorm: 0, lambda: state.lambda, solution: null };
        return { ...state, rng: rng.state(), done: true, outcome: 'diverged', diagnostics };
      }
      let solution: CertificateSolution | null = null;
      let cStar = NaN;
      const dir = Float64Array.from(gradient);
      let cNorm = 0;
      if (mode === 'joint') {
        solution = lp!.solve(state.theta);
        cStar = solution.cStar;
        if (solution.status === 'Optimal' && cStar <= -margin) {
          return {
            ...state,
            rng: rng.state(),
            done: true,
            outcome: 'certified',
            diagnostics: { value, valueGradientNorm: vNorm, cStar, certificateGradientNorm: 0, stepNorm: 0, lambda: state.lambda, solution },
          };
        }
        if (solution.status === 'Optimal') {
          const w = 2 * state.lambda * Math.max(cStar, 0);
          for (let p = 0; p < dir.length; p++) dir[p] -= w * solution.dcdtheta[p];
          cNorm = Math.hypot(...solution.dcdtheta);
        }
      }
      let stepNorm = lr * Math.hypot(...dir);
      const scale = stepNorm > maxStep ? maxStep / stepNorm : 1;
      stepNorm *= scale;
      const theta = Float64Array.from(state.theta, (t, p) => t + lr * scale * dir[p]);
      return {
        theta,
        lambda: state.lambda * growth,
        iteration: state.iteration + 1,
        rng: rng.state(),
        done: false,
        outcome: 'running',
        diagnostics: { value, valueGradientNorm: vNorm, cStar, certificateGradientNorm: cNorm, stepNorm, lambda: state.lambda, solution },
      };
    },
  };
}
