import { Rng } from '@bilevel/linalg';
import type { RngState } from '@bilevel/linalg';
import type { StopSignal } from '@bilevel/verify';
import { checkedStopSignal, throwIfStopped } from '@bilevel/verify';
import type { ControlSystem } from '../systems/control-system';
import { neuralBarrierTerms } from '../systems/certificate-terms';
import type { Policy } from '../policy';
import { sampleBall, sampleInitialStates, valueGradient } from '../rollout';
import type { BarrierMlp } from './barrier-mlp';
import type { BarrierLossSettings, BarrierLossValue, BarrierTrainingSet } from './barrier-loss';
import { barrierLoss, successors } from './barrier-loss';
import { certificateGradient } from './certificate-gradient';
import type { DynamicsGraphBuilder } from './closed-loop-graph';
import { barrierConditions } from './closed-loop-graph';
import type { BarrierVerdict } from './verify-barrier';
import { verifyBarrier } from './verify-barrier';

/**
 * Options of {@link neuralTraining}. Defaults in brackets. The box D of the decrease / stay conditions (and of the
 * domain samples), the decay a and the unsafe margin are the system's terms (`system.terms.neural`).
 */
export interface NeuralTrainingOptions {
  /** f as graph nodes for the verifier [from the system's polynomial form], and its extra bounded inputs [none]. */
  readonly dynamicsGraph?: DynamicsGraphBuilder;
  readonly extraParams?: readonly { readonly lo: number; readonly hi: number }[];
  /** Initial training states in X₀, Xᵤ, D × A and on the rim of D [100, 100, 600, 100]. */
  readonly initialSamples?: number;
  readonly unsafeSamples?: number;
  readonly domainSamples?: number;
  readonly shellSamples?: number;
  /** Width of the rim of D where B > 0 is trained, relative to each side [0.05]. */
  readonly shellWidth?: number;
  /** Hinge margin m [0.05] and band [0.5] of the loss (see barrierLoss; its decay a is the system's). */
  readonly margin?: number;
  readonly band?: number;
  /** Adam steps on ψ per outer step [100], at the first step [1000], and Adam's rate [0.01]. */
  readonly lowerSteps?: number;
  readonly firstLowerSteps?: number;
  readonly lowerRate?: number;
  /**
   * 'unrolled': the certificate gradient through one unrolled plain gradient step of the lower level with
   * η = lowerRate (certificateGradient); 'frozen': η = 0, the partial derivative at the fitted ψ ['unrolled'].
   */
  readonly upper?: 'unrolled' | 'frozen';
  /** Whether θ is updated at all (false: fit and verify a barrier for a fixed policy) [true]. */
  readonly trainPolicy?: boolean;
  /** Upper step l [0.01], penalty λ₀ [1], its growth per step [1.1] and cap [1e4], step clip ‖Δθ‖ [0.2]. */
  readonly learningRate?: number;
  readonly lambda0?: number;
  readonly lambdaGrowth?: number;
  readonly lambdaMax?: number;
  readonly maxStep?: number;
  /** Initial states per value-gradient batch [16]. */
  readonly batch?: number;
  /** Verify every K outer steps, and whenever the training loss is 0 [5]. */
  readonly verifyEvery?: number;
  /** Branch-and-bound budget per condition [20,000 boxes, ∞ seconds]. */
  readonly maxBoxes?: number;
  readonly maxSeconds?: number;
  /** State cells per dimension of each verification (see verifyBarrier) [1]. */
  readonly verifyCells?: number;
  /** Intermediate bounds of the verifier ['crown']. */
  readonly intermediate?: 'crown' | 'interval';
  /** Jittered copies added per counterexample [8], jitter radius relative to D's sides [0.02], open-box centres added [32]. */
  readonly counterexampleCopies?: number;
  readonly counterexampleRadius?: number;
  readonly unresolvedPoints?: number;
  /** Seed of every sample [0]. */
  readonly seed?: number;
  /**
   * Read before each Adam step of the lower fit and each box of the verification: once aborted, `step` throws an
   * `AbortError` and the state it was given is untouched (a stopped run continues, or resumes, from it) [none].
   */
  readonly signal?: StopSignal;
}

/** What one outer step measured. */
export interface NeuralTrainingDiagnostics {
  /** The certificate loss after the lower fit, for the θ the step started from. */
  readonly lower: BarrierLossValue;
  /** V_θ of the step's batch; NaN when the step ended before the upper level (certified, or trainPolicy false). */
  readonly value: number;
  readonly valueGradientNorm: number;
  readonly certificateGradientNorm: number;
  readonly stepNorm: number;
  readonly lambda: number;
  /** The verdict of this step's verification, or null when none ran. */
  readonly verification: BarrierVerdict | null;
  readonly trainingSetSize: number;
}

/** Everything the loop carries from one outer step to the next. */
export interface NeuralTrainingState {
  readonly theta: Float64Array;
  readonly psi: Float64Array;
  /** Adam's moments and step count on ψ (warm start across outer steps). */
  readonly adam: { readonly m: Float64Array; readonly v: Float64Array; readonly t: number };
  readonly lambda: number;
  readonly iteration: number;
  readonly rng: RngState;
  readonly set: BarrierTrainingSet;
  /** 'certified': all four conditions verified for (theta, psi); 'diverged': a rollout left float range. */
  readonly outcome: 'running' | 'certified' | 'diverged';
  readonly done: boolean;
  /** Verification runs so far, their boxes and seconds. */
  readonly verifications: number;
  readonly verifyBoxes: number;
  readonly verifySeconds: number;
  readonly diagnostics: NeuralTrainingDiagnostics | null;
}

/** The init/step pair of {@link neuralTraining}. */
export interface NeuralTraining {
  init(theta0: Float64Array, psi0: Float64Array): NeuralTrainingState;
  step(state: NeuralTrainingState): NeuralTrainingState;
}

/** The pieces of one outer step of {@link neuralTraining}, which the neural track's pipeline stages run apart. */
export interface NeuralTrainingParts {
  init(theta0: Float64Array, psi0: Float64Array): NeuralTrainingState;
  /** Lower level: ψ fitted for state.theta by Adam from state.psi and its moments, on state.set. */
  fit(state: NeuralTrainingState): { readonly psi: Float64Array; readonly adam: NeuralTrainingState['adam']; readonly value: BarrierLossValue };
  /** Whether outer step k verifies (every verifyEvery steps, or when the training loss is 0). */
  verifies(iteration: number, loss: number): boolean;
  /** verifyBarrier on the four conditions for (θ, ψ), seeded by the step. */
  verify(theta: Float64Array, psi: Float64Array, iteration: number): BarrierVerdict;
  /** The set with a verdict's counterexample and its jittered copies (drawn from rng), or the open boxes' centres. */
  absorb(set: BarrierTrainingSet, verification: BarrierVerdict, rng: Rng): BarrierTrainingSet;
  /** The set with a counterexample of condition `condition` (a state, or (x, α)) and its jittered copies. */
  absorbPoint(set: BarrierTrainingSet, condition: string, point: Float64Array, rng: Rng): BarrierTrainingSet;
  /** Upper level: θ_{k+1} from the fit (and the verification that ran, for the diagnostics), with `set`. */
  upper(state: NeuralTrainingState, fit: ReturnType<NeuralTrainingParts['fit']>, set: BarrierTrainingSet, rng: Rng, verification: BarrierVerdict | null): NeuralTrainingState;
}

const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;
const ADAM_EPS = 1e-8;

/**
 * The neural track of certified control: a policy π_θ and an MLP barrier B_ψ trained as a bilevel problem with a
 * counterexample-guided loop (after Wang et al., ICCPS 2023, with the neural certificates of Chang, Roohi, Gao,
 * "Neural Lyapunov control", NeurIPS 2019 and the discrete barrier conditions of barrierConditions). One step:
 *
 *  1. lower level: ψ ← Adam on L(θ, ψ) (barrierLoss: hinges on X₀, Xᵤ, the rim of D and the decrease on D × A),
 *     warm-started from the previous ψ and moments;
 *  2. every K steps (or when L = 0): verify the four conditions on the graph policy → dynamics → barrier by
 *     branch and bound; all `verified` → done ('certified', θ and ψ unchanged); otherwise the counterexample (or
 *     the centres of the open boxes) and jittered copies join the training set;
 *  3. upper level: θ ← θ + l (∇_θ V_θ − λ dL(θ, ψ'(θ))/dθ) (certificateGradient; step clipped to maxStep),
 *     λ ← min(λ · growth, λ_max).
 *
 * Each step returns a new state (the training set is shared, extended by copy); deterministic for a seed while
 * maxSeconds does not cut a verification. With `signal`, a step can be stopped part-way (it throws an `AbortError`
 * and the state it was given stays valid). neuralTrainingParts returns the pieces of a step apart (the pipeline
 * stages of neuralTrack run them); {@link neuralTraining} composes them into init/step.
 *
 * @example
 * const pi = new FeaturePolicy(2, 1);
 * const b = new BarrierMlp(2, { hidden: [16, 16] });
 * const run = neuralTraining(PJ, pi, b); // on PJ.terms.neural.domain = [−3, 3]²
 * let s = run.init(Float64Array.of(-1, -2), b.init(Rng.fromSeed(0)));
 * while (!s.done && s.iteration < 50) s = run.step(s);
 */
export function neuralTrainingParts(system: ControlSystem, policy: Policy, barrier: BarrierMlp, options: NeuralTrainingOptions = {}): NeuralTrainingParts {
  const fn = 'neuralTraining';
  if (system.unsafe === null) throw new RangeError(`${fn}: system '${system.name}' has no unsafe set (a barrier needs one)`);
  const unsafeBall = system.unsafe;
  if (policy.nx !== system.nx || policy.nu !== system.nu) throw new RangeError(`${fn}: policy must map ${system.nx} states to ${system.nu} inputs, received ${policy.nx} → ${policy.nu}`);
  if (barrier.nx !== system.nx) throw new RangeError(`${fn}: barrier must take ${system.nx} states, received ${barrier.nx}`);
  const { domain, decay } = neuralBarrierTerms(system, fn);
  const int = (field: string, v: number, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: options.${field} must be an integer ≥ ${min}, received ${v}`);
    return v;
  };
  const pos = (field: string, v: number, allowZero = false): number => {
    if (!(allowZero ? v >= 0 : v > 0) || Number.isNaN(v)) throw new RangeError(`${fn}: options.${field} must be ${allowZero ? '≥ 0' : '> 0'}, received ${v}`);
    return v;
  };
  const nInit = int('initialSamples', options.initialSamples ?? 100, 1);
  const nUnsafe = int('unsafeSamples', options.unsafeSamples ?? 100, 1);
  const nDomain = int('domainSamples', options.domainSamples ?? 600, 1);
  const nShell = int('shellSamples', options.shellSamples ?? 100, 0);
  const shellWidth = pos('shellWidth', options.shellWidth ?? 0.05);
  const settings: BarrierLossSettings = {
    margin: pos('margin', options.margin ?? 0.05, true),
    decay,
    band: options.band ?? 0.5,
  };
  if (!Number.isFinite(settings.band)) throw new RangeError(`${fn}: options.band must be finite, received ${settings.band}`);
  const lowerSteps = int('lowerSteps', options.lowerSteps ?? 100, 0);
  const firstLowerSteps = int('firstLowerSteps', options.firstLowerSteps ?? 1000, 0);
  const lowerRate = pos('lowerRate', options.lowerRate ?? 0.01);
  const upper = options.upper ?? 'unrolled';
  if (upper !== 'unrolled' && upper !== 'frozen') throw new RangeError(`${fn}: options.upper must be 'unrolled' or 'frozen', received '${String(upper)}'`);
  const eta = upper === 'unrolled' ? lowerRate : 0;
  const trainPolicy = options.trainPolicy ?? true;
  const lr = pos('learningRate', options.learningRate ?? 0.01);
  const lambda0 = pos('lambda0', options.lambda0 ?? 1, true);
  const growth = options.lambdaGrowth ?? 1.1;
  if (!(growth >= 1)) throw new RangeError(`${fn}: options.lambdaGrowth must be ≥ 1, received ${growth}`);
  const lambdaMax = pos('lambdaMax', options.lambdaMax ?? 1e4, true);
  const maxStep = pos('maxStep', options.maxStep ?? 0.2);
  const batch = int('batch', options.batch ?? 16, 1);
  const verifyEvery = int('verifyEvery', options.verifyEvery ?? 5, 1);
  const maxBoxes = int('maxBoxes', options.maxBoxes ?? 20000, 1);
  const maxSeconds = pos('maxSeconds', options.maxSeconds ?? Infinity);
  const copies = int('counterexampleCopies', options.counterexampleCopies ?? 8, 0);
  const jitter = pos('counterexampleRadius', options.counterexampleRadius ?? 0.02, true);
  const nOpen = int('unresolvedPoints', options.unresolvedPoints ?? 32, 0);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: options.seed must be a safe integer, received ${seed}`);
  const signal = checkedStopSignal(fn, options.signal);

  const { nx } = system;
  const params = system.params;
  const side = domain.lo.map((l, i) => domain.hi[i] - l);
  const sampleParams = (rng: Rng): number[] => params.map((p) => p.lo + rng.float() * (p.hi - p.lo));
  const sampleDomain = (rng: Rng): Float64Array => Float64Array.from([...domain.lo.map((l, i) => l + rng.float() * side[i]), ...sampleParams(rng)]);
  const sampleShell = (rng: Rng): Float64Array => {
    const x = Float64Array.from(domain.lo, (l, i) => l + rng.float() * side[i]);
    const i = Math.min(nx - 1, Math.floor(rng.float() * nx));
    const d = rng.float() * shellWidth * side[i];
    x[i] = rng.float() < 0.5 ? domain.lo[i] + d : domain.hi[i] - d;
    return x;
  };
  /** p and `copies` jittered copies (state part only, clamped to the box of the first `lo.length` coordinates). */
  const withCopies = (p: Float64Array, rng: Rng): Float64Array[] => {
    const out = [Float64Array.from(p)];
    for (let c = 0; c < copies; c++) {
      out.push(Float64Array.from(p, (v, i) => (i < nx ? Math.min(domain.hi[i], Math.max(domain.lo[i], v + (2 * rng.float() - 1) * jitter * side[i])) : v)));
    }
    return out;
  };

  const fitLower = (theta: Float64Array, psi0: Float64Array, adam: NeuralTrainingState['adam'], set: BarrierTrainingSet, steps: number) => {
    const psi = Float64Array.from(psi0);
    const m = Float64Array.from(adam.m);
    const v = Float64Array.from(adam.v);
    let t = adam.t;
    const succ = successors(system, policy, theta, set.domain, false);
    const g = new Float64Array(barrier.nPsi);
    for (let s = 0; s < steps; s++) {
      throwIfStopped(signal);
      const val = barrierLoss(barrier, psi, set, succ, settings, g, null);
      if (val.loss === 0) break;
      t++;
      const c1 = 1 - ADAM_B1 ** t;
      const c2 = 1 - ADAM_B2 ** t;
      for (let k = 0; k < psi.length; k++) {
        m[k] = ADAM_B1 * m[k] + (1 - ADAM_B1) * g[k];
        v[k] = ADAM_B2 * v[k] + (1 - ADAM_B2) * g[k] * g[k];
        psi[k] -= (lowerRate * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + ADAM_EPS);
      }
    }
    const value = barrierLoss(barrier, psi, set, succ, settings, null, null);
    return { psi, adam: { m, v, t }, value };
  };

  const init = (theta0: Float64Array, psi0: Float64Array): NeuralTrainingState => {
    if (theta0.length !== policy.nTheta) throw new RangeError(`${fn}.init: theta0 must have length ${policy.nTheta}, received ${theta0.length}`);
    if (psi0.length !== barrier.nPsi) throw new RangeError(`${fn}.init: psi0 must have length ${barrier.nPsi}, received ${psi0.length}`);
    const rng = Rng.fromSeed(seed);
    const set: BarrierTrainingSet = {
      initial: sampleInitialStates(system, nInit, rng),
      unsafe: sampleBall(unsafeBall.centre, unsafeBall.radius, nUnsafe, rng),
      domain: Array.from({ length: nDomain }, () => sampleDomain(rng)),
      shell: Array.from({ length: nShell }, () => sampleShell(rng)),
    };
    return {
      theta: Float64Array.from(theta0),
      psi: Float64Array.from(psi0),
      adam: { m: new Float64Array(barrier.nPsi), v: new Float64Array(barrier.nPsi), t: 0 },
      lambda: lambda0,
      iteration: 0,
      rng: rng.state(),
      set,
      outcome: 'running',
      done: false,
      verifications: 0,
      verifyBoxes: 0,
      verifySeconds: 0,
      diagnostics: null,
    };
  };
  const setSize = (set: BarrierTrainingSet): number => set.initial.length + set.unsafe.length + set.domain.length + set.shell.length;
  /** The set with `points` (states, or (x, α) for decrease) added to the part of condition `name`. */
  const addTo = (set: BarrierTrainingSet, name: string, pts: readonly Float64Array[]): BarrierTrainingSet => {
    const stateOnly = pts.map((p) => p.slice(0, nx));
    // (x, α) without the extra verifier inputs; a point that carries the state only gets the nominal parameters
    const stateParams = pts.map((p) => (p.length >= nx + params.length ? p.slice(0, nx + params.length) : Float64Array.from([...p.subarray(0, nx), ...params.map((a) => a.nominal)])));
    return {
      initial: name === 'initial' ? [...set.initial, ...stateOnly] : set.initial,
      unsafe: name === 'unsafe' ? [...set.unsafe, ...stateOnly] : set.unsafe,
      domain: name === 'decrease' ? [...set.domain, ...stateParams] : set.domain,
      shell: name === 'stay' ? [...set.shell, ...stateOnly] : set.shell,
    };
  };
  const parts: NeuralTrainingParts = {
    init,
    fit: (state) => fitLower(state.theta, state.psi, state.adam, state.set, state.iteration === 0 ? firstLowerSteps : lowerSteps),
    verifies: (iteration, loss) => (iteration + 1) % verifyEvery === 0 || loss === 0,
    verify(theta, psi, iteration) {
      const conds = barrierConditions(system, policy, theta, barrier, psi, { dynamicsGraph: options.dynamicsGraph, extraParams: options.extraParams });
      return verifyBarrier(conds, { maxBoxes, maxSeconds, seed: seed + iteration, intermediate: options.intermediate, cells: options.verifyCells, ...(signal ? { signal } : {}) });
    },
    absorb(set, verification, rng) {
      const last = verification.conditions[verification.conditions.length - 1];
      const pts: Float64Array[] = [];
      if (last.result.status === 'falsified') pts.push(...withCopies(last.result.counterexample, rng));
      else if (last.result.status === 'unknown') {
        const open = [...last.result.unresolvedBoxes].sort((a, b) => b.upperBound - a.upperBound).slice(0, nOpen);
        for (const o of open) pts.push(Float64Array.from(o.box.lo, (l, i) => l + (o.box.hi[i] - l) / 2));
      }
      return addTo(set, last.name, pts);
    },
    absorbPoint: (set, condition, point, rng) => addTo(set, condition, withCopies(point, rng)),
    upper(state, fit, set, rng, verification) {
      const { verifications, verifyBoxes, verifySeconds } = state;
      const trainingSetSize = setSize(set);
      if (!trainPolicy) {
        return {
          ...state,
          psi: fit.psi,
          adam: fit.adam,
          set,
          iteration: state.iteration + 1,
          rng: rng.state(),
          diagnostics: { lower: fit.value, value: NaN, valueGradientNorm: 0, certificateGradientNorm: 0, stepNorm: 0, lambda: state.lambda, verification, trainingSetSize },
        };
      }
      const x0s = sampleInitialStates(system, batch, rng);
      const { value, gradient } = valueGradient(system, policy, state.theta, x0s);
      const vNorm = Math.hypot(...gradient);
      const cert = certificateGradient(system, policy, barrier, state.theta, fit.psi, set, settings, eta);
      const cNorm = Math.hypot(...cert.gradient);
      const dir = Float64Array.from(gradient, (gv, k) => gv - state.lambda * cert.gradient[k]);
      const rawNorm = lr * Math.hypot(...dir);
      const diagnostics = (stepNorm: number): NeuralTrainingDiagnostics => ({
        lower: fit.value,
        value,
        valueGradientNorm: vNorm,
        certificateGradientNorm: cNorm,
        stepNorm,
        lambda: state.lambda,
        verification,
        trainingSetSize,
      });
      if (!Number.isFinite(value) || !Number.isFinite(rawNorm)) {
        return { ...state, psi: fit.psi, adam: fit.adam, set, rng: rng.state(), outcome: 'diverged', done: true, verifications, verifyBoxes, verifySeconds, diagnostics: diagnostics(0) };
      }
      const scale = rawNorm > maxStep ? maxStep / rawNorm : 1;
      const theta = Float64Array.from(state.theta, (t, k) => t + lr * scale * dir[k]);
      return {
        theta,
        psi: fit.psi,
        adam: fit.adam,
        lambda: Math.min(state.lambda * growth, lambdaMax),
        iteration: state.iteration + 1,
        rng: rng.state(),
        set,
        outcome: 'running',
        done: false,
        verifications,
        verifyBoxes,
        verifySeconds,
        diagnostics: diagnostics(rawNorm * scale),
      };
    },
  };
  return parts;
}

/**
 * The init/step pair of the neural track (see {@link neuralTrainingParts}): one step is the lower fit, the
 * verification when due (certified: done), the counterexamples joining the training set, and the upper step.
 */
export function neuralTraining(system: ControlSystem, policy: Policy, barrier: BarrierMlp, options: NeuralTrainingOptions = {}): NeuralTraining {
  const parts = neuralTrainingParts(system, policy, barrier, options);
  return {
    init: parts.init,
    step(state) {
      if (state.done) return state;
      const rng = Rng.fromState(state.rng);
      const fit = parts.fit(state);
      let set = state.set;
      let verification: BarrierVerdict | null = null;
      let { verifications, verifyBoxes, verifySeconds } = state;
      if (parts.verifies(state.iteration, fit.value.loss)) {
        verification = parts.verify(state.theta, fit.psi, state.iteration);
        verifications++;
        verifyBoxes += verification.boxes;
        verifySeconds += verification.seconds;
        if (verification.certified) {
          const diagnostics: NeuralTrainingDiagnostics = {
            lower: fit.value,
            value: NaN,
            valueGradientNorm: 0,
            certificateGradientNorm: 0,
            stepNorm: 0,
            lambda: state.lambda,
            verification,
            trainingSetSize: set.initial.length + set.unsafe.length + set.domain.length + set.shell.length,
          };
          return { ...state, psi: fit.psi, adam: fit.adam, rng: rng.state(), outcome: 'certified', done: true, verifications, verifyBoxes, verifySeconds, diagnostics };
        }
        set = parts.absorb(set, verification, rng);
      }
      return parts.upper({ ...state, verifications, verifyBoxes, verifySeconds }, fit, set, rng, verification);
    },
  };
}
