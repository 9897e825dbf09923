import { Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import type { Box, ControlSystem, DynamicsGraphBuilder, NeuralTrainingOptions, Policy } from '@bilevel/control';
import { CARTPOLE, FeaturePolicy, INVERTED_PENDULUM, MlpPolicy, PJ, cartpoleGraph, invertedPendulumGraph, neuralBarrierTerms } from '@bilevel/control';

/** Hidden widths of the barrier MLP B_ψ of the neural track (tanh, linear output). */
export const NEURAL_BARRIER_HIDDEN: readonly number[] = [8];
/** Branch-and-bound budget per condition and state cells per dimension of every verification (train and verify). */
export const NEURAL_MAX_BOXES = 20000;
export const NEURAL_CELLS = 12;
/** The verifier's budget as certificate.json states it (`verify` uses its own, and refuses a file that states another). */
export const NEURAL_VERIFICATION: { readonly maxBoxes: number; readonly cells: number } = Object.freeze({ maxBoxes: NEURAL_MAX_BOXES, cells: NEURAL_CELLS });

/** How the neural track starts on a system: the policy, θ₀, the verified domain, f as graph nodes, the options. */
export interface NeuralSetup {
  readonly policy: Policy;
  readonly theta0: Float64Array;
  /** The box D on which decrease and stay are proved: the system's terms.neural.domain. */
  readonly domain: Box;
  /** f as graph nodes (undefined: from the system's polynomial form). */
  readonly dynamicsGraph?: DynamicsGraphBuilder;
  readonly options: NeuralTrainingOptions;
}

/** f as graph nodes for `verify`: the true sine for the inverted pendulum, the polynomial form otherwise. */
export function neuralDynamicsGraph(system: ControlSystem): DynamicsGraphBuilder | undefined {
  if (system.name === CARTPOLE.name) return cartpoleGraph;
  return system.name === INVERTED_PENDULUM.name ? invertedPendulumGraph : undefined;
}

/** The cart-pole's linear start: the LQR gain of its linearization at m = 0.1 (Q = diag(1, 1, 10, 1), R = 0.1). */
export const CARTPOLE_LQR_GAIN: readonly number[] = [3.162, 5.721, 46.0, 10.41];

/**
 * The neural-track runs of libs/control's neural-training.slow.ts: PJ with a linear policy u = θ₁x₁ + θ₂x₂ from
 * (−2, −2) on the domain [−3, 3]² (large enough that S = {B ≤ 0} can stay inside; PJ's own box is [−2, 2]²), λ₀ = 50;
 * the inverted pendulum with an MLP policy 2-8-1 tanh squashed to |u| ≤ 15 from Glorot weights (seed + 1) on its
 * own domain with the true sine in the graph, λ₀ = 1. Both: margin 0.1, λ growth 1.2, verification every 3 steps
 * on 12 cells per state dimension. The box, the decay and the unsafe margin are the system's (terms.neural). Seed 0 replays the slow test. The cart-pole starts
 * from its LQR gain with a linear policy, its dynamics graph dividing by M + m sin²ϑ. Other systems are refused
 * (their verifier graph or state box is not ready for the neural track).
 */
export function neuralSetup(system: ControlSystem, seed: number): NeuralSetup {
  const common: NeuralTrainingOptions = {
    margin: 0.1,
    lambdaGrowth: 1.2,
    verifyEvery: 3,
    verifyCells: NEURAL_CELLS,
    maxBoxes: NEURAL_MAX_BOXES,
    seed,
  };
  if (system.name === PJ.name) {
    return { policy: new FeaturePolicy(2, 1), theta0: Float64Array.of(-2, -2), domain: neuralBarrierTerms(system, 'neuralSetup').domain, options: { ...common, lambda0: 50 } };
  }
  if (system.name === INVERTED_PENDULUM.name) {
    const policy = new MlpPolicy(2, 1, { hidden: [8], squash: 15 });
    return {
      policy,
      theta0: policy.init(Rng.fromSeed(seed + 1)),
      domain: neuralBarrierTerms(system, 'neuralSetup').domain,
      dynamicsGraph: invertedPendulumGraph,
      options: { ...common, dynamicsGraph: invertedPendulumGraph, lambda0: 1 },
    };
  }
  if (system.name === CARTPOLE.name) {
    // the graph divides by M + m sin²ϑ (the verifier's reciprocal node); the policy is linear from the LQR gain
    return {
      policy: new FeaturePolicy(4, 1),
      theta0: Float64Array.from(CARTPOLE_LQR_GAIN),
      domain: neuralBarrierTerms(system, 'neuralSetup').domain,
      dynamicsGraph: cartpoleGraph,
      options: { ...common, dynamicsGraph: cartpoleGraph, lambda0: 1 },
    };
  }
  throw new InputError(`the neural track is set up for pj, inverted-pendulum and cartpole, received '${system.name}'`, '--track neural');
}
