import { Tape } from '../tape/tape';
import type { TapeOptions, TapeVar } from '../tape/tape';
import type { ReplayPlan } from '../tape/replay-plan';

/** The architecture of a DEQ layer (see {@link DeqArchitecture}). */
export type DeqLayerKind = 'dense' | 'conv';

/**
 * The shapes of a DEQ: a `dense` layer z* = tanh(z*W + aU + b) on flat inputs a ∈ R^p (state d = `hidden`), or a
 * small `conv` one z* = tanh(W ∗ z* + U ∗_{stride 2} a + b) on images a ∈ R^{C×H×W}, W 3×3 (padding 1) from `hidden`
 * channels to themselves, U 3×3 stride 2 (padding 1) from the C input channels (state d = hidden·h·w, h = ⌈H/2⌉),
 * each followed by a linear head to K classes: logits = zWc + bc.
 */
export interface DeqArchitecture {
  readonly layer: DeqLayerKind;
  /** p, the numbers of one input. */
  readonly inputDim: number;
  /** conv: [C, H, W] of one input (C·H·W = p). */
  readonly imageShape?: readonly [number, number, number];
  /** dense: d; conv: the channels of the state. */
  readonly hidden: number;
  readonly classes: number;
}

/** The parameter shapes of an architecture, in the order of the flat x: W, U, b (the layer), Wc, bc (the head). */
export function deqParamShapes(a: DeqArchitecture): { W: number[]; U: number[]; b: number[]; Wc: number[]; bc: number[] } {
  const d = deqStateDim(a);
  if (a.layer === 'dense') return { W: [a.hidden, a.hidden], U: [a.inputDim, a.hidden], b: [a.hidden], Wc: [d, a.classes], bc: [a.classes] };
  const [C] = a.imageShape as readonly [number, number, number];
  return { W: [a.hidden, a.hidden, 3, 3], U: [a.hidden, C, 3, 3], b: [a.hidden], Wc: [d, a.classes], bc: [a.classes] };
}

/** conv: the state's spatial size [h, w] (the stride-2 injection's output). */
export function deqStateGrid(a: DeqArchitecture): [number, number] {
  const [, H, W] = a.imageShape as readonly [number, number, number];
  return [Math.floor((H + 2 - 3) / 2) + 1, Math.floor((W + 2 - 3) / 2) + 1];
}

/** d, the state of one sample. */
export function deqStateDim(a: DeqArchitecture): number {
  if (a.layer === 'dense') return a.hidden;
  const [h, w] = deqStateGrid(a);
  return a.hidden * h * w;
}

/** The input injection X = aU + b (dense) or U ∗ a + b (conv), as [B, d]. */
function recordInjection(t: Tape, a: DeqArchitecture, B: number, A: TapeVar, U: TapeVar, b: TapeVar): TapeVar {
  if (a.layer === 'dense') return t.linear(A, U, b);
  const [C, H, W] = a.imageShape as readonly [number, number, number];
  const conv = t.conv2d(t.reshape(A, [B, C, H, W]), U, { stride: 2, padding: 1, bias: b });
  return t.reshape(conv, [B, deqStateDim(a)]);
}

/** The layer f(z) = tanh(zW + X) (dense) or tanh(W ∗ z + X) (conv), as [B, d]. */
function recordLayer(t: Tape, a: DeqArchitecture, B: number, z: TapeVar, X: TapeVar, W: TapeVar): TapeVar {
  if (a.layer === 'dense') return t.tanh(t.add(t.matmul(z, W), X));
  const [h, w] = deqStateGrid(a);
  const conv = t.conv2d(t.reshape(z, [B, a.hidden, h, w]), W, { padding: 1 });
  return t.tanh(t.add(t.reshape(conv, [B, deqStateDim(a)]), X));
}

/** The only "batch" of tapes without data: every input is a fixed [B, …] tensor, so the replay's batch is unused. */
export const NO_DATA: Int32Array = Int32Array.of(0);

/**
 * The tapes of a DEQ for batches of exactly B samples, recorded once, every input a fixed [B, …] tensor (a sample's
 * state is a row of z; the tape engine's batch axis is for data gathered by index, which a per-sample unknown is not):
 *   - injection: s = ⟨X(A; U, b), ū⟩, plans: X (value) and (∂X/∂(U, b))ᵀū;
 *   - layer: s = ⟨f(z, X; W), u⟩, plans: f (value), (∂f/∂z)ᵀu, (∂f/∂(W, X))ᵀu, and ∂f/∂z·v (forward over reverse:
 *     u's adjoint tangent);
 *   - head: L = (1/B) Σ_b [logΣexp(logits_b) − ⟨Y_b, logits_b⟩] with Y one-hot, plans: L and its gradient in (z, Wc,
 *     bc), the logits for predictions.
 * The residual energy of the BilevelProblem oracles has its own tape (`energyTape`), recorded on first use.
 */
export class DeqTapes {
  readonly injection: { readonly A: TapeVar; readonly U: TapeVar; readonly b: TapeVar; readonly ubar: TapeVar; readonly X: TapeVar; readonly value: ReplayPlan; readonly grad: ReplayPlan };
  readonly layer: {
    readonly z: TapeVar;
    readonly X: TapeVar;
    readonly W: TapeVar;
    readonly u: TapeVar;
    readonly f: TapeVar;
    readonly value: ReplayPlan;
    readonly vjpZ: ReplayPlan;
    readonly vjpP: ReplayPlan;
    readonly jvpZ: ReplayPlan;
  };
  readonly head: { readonly z: TapeVar; readonly Wc: TapeVar; readonly bc: TapeVar; readonly Y: TapeVar; readonly logits: TapeVar; readonly loss: TapeVar; readonly value: ReplayPlan; readonly grad: ReplayPlan };

  constructor(
    readonly arch: DeqArchitecture,
    readonly size: number,
    kernels: TapeOptions['kernels'] = 'auto',
  ) {
    const B = size;
    const d = deqStateDim(arch);
    const shapes = deqParamShapes(arch);
    {
      const t = new Tape({ kernels });
      const A = t.input([B, arch.inputDim], 'A');
      const U = t.input(shapes.U, 'U');
      const b = t.input(shapes.b, 'b');
      const ubar = t.input([B, d], 'ubar');
      const X = recordInjection(t, arch, B, A, U, b);
      t.output(t.sum(t.mul(X, ubar)));
      this.injection = { A, U, b, ubar, X, value: t.plan({ order: 0 }), grad: t.plan({ order: 1, wrt: [U, b] }) };
    }
    {
      const t = new Tape({ kernels });
      const z = t.input([B, d], 'z');
      const X = t.input([B, d], 'X');
      const W = t.input(shapes.W, 'W');
      const u = t.input([B, d], 'u');
      const f = recordLayer(t, arch, B, z, X, W);
      t.output(t.sum(t.mul(f, u)));
      this.layer = {
        z,
        X,
        W,
        u,
        f,
        value: t.plan({ order: 0 }),
        vjpZ: t.plan({ order: 1, wrt: [z] }),
        vjpP: t.plan({ order: 1, wrt: [W, X] }),
        jvpZ: t.plan({ order: 2, wrt: [u], direction: [z] }),
      };
    }
    {
      const t = new Tape({ kernels });
      const z = t.input([B, d], 'z');
      const Wc = t.input(shapes.Wc, 'Wc');
      const bc = t.input(shapes.bc, 'bc');
      const Y = t.input([B, arch.classes], 'Y');
      const logits = t.linear(z, Wc, bc);
      const ce = t.sub(t.logSumExp(logits, -1), t.sum(t.mul(Y, logits), [1]));
      const loss = t.mean(ce);
      t.output(loss);
      this.head = { z, Wc, bc, Y, logits, loss, value: t.plan({ order: 0 }), grad: t.plan({ order: 1, wrt: [z, Wc, bc] }) };
    }
  }
}

/**
 * The residual energy E = (1/B) Σ_b ½‖z_b − f(z_b, a_b; W, U, b)‖² of exactly B samples on one tape (inputs z, A,
 * W, U, b), with the plans of the BilevelProblem's inner oracles: value, ∇_z E, ∇²_zz E·v, ∇²_{θz} E·v, ∇_θ E
 * (θ = W, U, b).
 */
export class EnergyTape {
  readonly z: TapeVar;
  readonly A: TapeVar;
  readonly W: TapeVar;
  readonly U: TapeVar;
  readonly b: TapeVar;
  readonly energy: TapeVar;
  readonly value: ReplayPlan;
  readonly gradZ: ReplayPlan;
  readonly hvp: ReplayPlan;
  readonly cross: ReplayPlan;
  readonly gradX: ReplayPlan;

  constructor(arch: DeqArchitecture, size: number, kernels: TapeOptions['kernels'] = 'auto') {
    const B = size;
    const d = deqStateDim(arch);
    const shapes = deqParamShapes(arch);
    const t = new Tape({ kernels });
    this.z = t.input([B, d], 'z');
    this.A = t.input([B, arch.inputDim], 'A');
    this.W = t.input(shapes.W, 'W');
    this.U = t.input(shapes.U, 'U');
    this.b = t.input(shapes.b, 'b');
    const X = recordInjection(t, arch, B, this.A, this.U, this.b);
    const f = recordLayer(t, arch, B, this.z, X, this.W);
    this.energy = t.scale(t.sum(t.square(t.sub(this.z, f))), 0.5 / B);
    t.output(this.energy);
    const theta = [this.W, this.U, this.b];
    this.value = t.plan({ order: 0 });
    this.gradZ = t.plan({ order: 1, wrt: [this.z] });
    this.hvp = t.plan({ order: 2, wrt: [this.z], direction: [this.z] });
    this.cross = t.plan({ order: 2, wrt: theta, direction: [this.z] });
    this.gradX = t.plan({ order: 1, wrt: theta });
  }
}
