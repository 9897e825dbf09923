import type { BilevelProblem } from './bilevel-problem';

/**
 * The products of a deep equilibrium model on one minibatch at one x (the network's parameters θ), with the batch's
 * data loaded and the input injection computed once: what the forward fixed-point solvers and the backward passes
 * of a DEQ training loop call. Sample b's equilibrium state is row b of a compact [B, d] array (B = `size`), and
 *
 *   f(z, a; θ)  the layer (z* = f(z*, a; θ) is the equilibrium),   L(z; θ) = (1/B) Σ_b ℓ(head(z_b), y_b)  the loss.
 *
 * Valid until the problem binds another batch of the same size (see {@link EquilibriumProblem.equilibriumBatch}).
 * Every product writes into buffers the caller owns.
 */
export interface EquilibriumBatch {
  /** B, the samples of the batch. */
  readonly size: number;
  /** d, the state of one sample. */
  readonly dim: number;
  /** out ← f(z) row by row ([B, d]; out ≠ z). */
  layer(z: Float64Array, out: Float64Array): void;
  /** out ← (∂f/∂z)ᵀu: the vector-Jacobian product (block-diagonal over the samples). */
  vjpZ(z: Float64Array, u: Float64Array, out: Float64Array): void;
  /** out ← (∂f/∂z)·v: the Jacobian-vector product. */
  jvpZ(z: Float64Array, v: Float64Array, out: Float64Array): void;
  /** out ← (∂f/∂x)ᵀu summed over the batch (length dimX; zero on the entries f does not depend on, the head's). */
  vjpX(z: Float64Array, u: Float64Array, out: Float64Array): void;
  /** L(z; x); gz ← ∇_z L ([B, d]); gx ← ∇_x L (length dimX: the head's entries, zero elsewhere) when given. */
  loss(z: Float64Array, gz: Float64Array, gx?: Float64Array): number;
  /** The class predicted for each sample from its state (argmax of the head's logits). */
  predict(z: Float64Array, out: Int32Array): void;
}

/**
 * A deep equilibrium model trained on n labelled samples (Bai, Kolter, Koltun, "Deep Equilibrium Models", NeurIPS
 * 2019) as a bilevel problem, with the per-sample structure of the isgd `per-sample` lower level: z is the n
 * equilibrium states side by side (dimZ = n·d, block j = sample j), nInner = nOuter = n, and
 *
 *   G(z, x) = (1/n) Σ_j ½‖z_j − f(z_j, a_j; x)‖²   (zero exactly at the equilibria),
 *   F(z, x) = (1/n) Σ_j ℓ(head(z_j; x), y_j)       (the training loss at the states).
 *
 * At the equilibria ∇²_zz G = (I − J)ᵀ(I − J) (J = ∂f/∂z, the residual vanishes), so the generic hypergradient
 * ∇_xF + ∇²_xzG·v, v = −(∇²_zzG)⁻¹∇_zF, is the DEQ's implicit gradient ∇_xL + (∂f/∂x)ᵀu with (I − J)ᵀu = ∇_zL,
 * the system a DEQ backward pass solves (exactly, or approximately: SHINE, Jacobian-free). The BilevelProblem
 * oracles serve evaluation and audits; training goes through {@link EquilibriumProblem.equilibriumBatch}.
 */
export interface EquilibriumProblem extends BilevelProblem {
  readonly kind: 'equilibrium';
  /** d, the state of one sample (dimZ = nInner·d). */
  readonly stateDim: number;
  /** Number of classes of the head. */
  readonly classes: number;
  /**
   * The products on the training samples `batch` at x (copied). Binding computes the injection of the batch's data
   * once; binding the same batch and x again returns the bound products without recomputing anything.
   */
  equilibriumBatch(batch: Int32Array, x: Float64Array): EquilibriumBatch;
  /** The same products on held-out samples (`split` `test`), for evaluation. */
  heldOutBatch?(batch: Int32Array, x: Float64Array): EquilibriumBatch;
  /** Number of held-out samples (0 when there are none). */
  readonly nHeldOut: number;
  /** Labels of the training samples (`train`) or held-out ones (`test`). */
  labels(split: 'train' | 'test'): Int32Array;
}

/** Whether a problem is an {@link EquilibriumProblem}. */
export function isEquilibriumProblem(p: BilevelProblem): p is EquilibriumProblem {
  return (p as Partial<EquilibriumProblem>).kind === 'equilibrium' && typeof (p as Partial<EquilibriumProblem>).equilibriumBatch === 'function';
}
