import type { Conv2dShape, TensorKernels } from '@bilevel/linalg';
import { conv2dOutSize, Rng } from '@bilevel/linalg';

/** One tensor-kernel call at a shape of the benchmark models (also the JSON a torch_float64.py case reads). */
export type TensorCaseSpec =
  | { readonly kind: 'matmul'; readonly m: number; readonly n: number; readonly k: number; readonly transA: boolean; readonly transB: boolean }
  | { readonly kind: 'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad'; readonly shape: Conv2dShape };

export interface TensorCase {
  /** Which model's gradient uses it. */
  readonly model: 'mlp' | 'convnet';
  readonly label: string;
  readonly spec: TensorCaseSpec;
  /** Nominal flops: 2mnk, or 2·N·O·OH·OW·C·KH·KW for each of the three convolutions. */
  readonly flops: number;
  /**
   * Whether the model's parameter gradient (and Hessian-vector product) needs it: not the input gradient of the first
   * convolution (the gradient with respect to the images), shown for completeness.
   */
  readonly inGradient: boolean;
}

const layer = (inChannels: number, size: number): Conv2dShape => ({
  batch: 16, inChannels, height: size, width: size, outChannels: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1,
});

/**
 * The matrix products and convolutions of the gradient of the two models, each once (and the two input
 * gradients of the first layers, which a parameter gradient skips: flagged `inGradient: false`):
 * - the MLP 784-256-10 at batch 64 (weights stored in × out): forward X·W (NN), input gradient G·Wᵀ (NT), weight
 *   gradient Xᵀ·G (TN), for both layers;
 * - the convnet on 28 × 28 inputs at batch 16, 4 × [conv 3×3, 32 channels, padding 1, relu, 2×2 pool] (so 28, 14, 7
 *   and 3 pixels wide): conv2d, conv2dInputGrad, conv2dFilterGrad per layer (the dense 32 → 10 layer is negligible).
 * A Hessian-vector product repeats these about twice.
 */
export function tensorCases(): TensorCase[] {
  const cases: TensorCase[] = [];
  const mm = (label: string, m: number, n: number, k: number, transA: boolean, transB: boolean, inGradient = true) =>
    cases.push({ model: 'mlp', label: `${label}${inGradient ? '' : ' (not in Σ)'}`, spec: { kind: 'matmul', m, n, k, transA, transB }, flops: 2 * m * n * k, inGradient });
  mm('layer 1 forward X·W (NN)', 64, 256, 784, false, false);
  mm('layer 1 input grad G·Wᵀ (NT)', 64, 784, 256, false, true, false);
  mm('layer 1 weight grad Xᵀ·G (TN)', 784, 256, 64, true, false);
  mm('layer 2 forward (NN)', 64, 10, 256, false, false);
  mm('layer 2 input grad (NT)', 64, 256, 10, false, true);
  mm('layer 2 weight grad (TN)', 256, 10, 64, true, false);
  for (const [c, size] of [[1, 28], [32, 14], [32, 7], [32, 3]]) {
    const shape = layer(c, size);
    const { outH, outW } = conv2dOutSize(shape);
    const flops = 2 * shape.batch * shape.outChannels * outH * outW * shape.inChannels * shape.kernelH * shape.kernelW;
    for (const kind of ['conv2d', 'conv2dInputGrad', 'conv2dFilterGrad'] as const) {
      const inGradient = !(kind === 'conv2dInputGrad' && c === 1);
      cases.push({ model: 'convnet', label: `${kind} ${c}→32 ch, ${size}×${size}${inGradient ? '' : ' (not in Σ)'}`, spec: { kind, shape }, flops, inGradient });
    }
  }
  return cases;
}

/** Operand sizes of a case: A, B (or x, w, gOut) and the output. */
function operandSizes(spec: TensorCaseSpec): [number, number, number] {
  if (spec.kind === 'matmul') return [spec.m * spec.k, spec.k * spec.n, spec.m * spec.n];
  const s = spec.shape;
  const { outH, outW } = conv2dOutSize(s);
  const x = s.batch * s.inChannels * s.height * s.width;
  const w = s.outChannels * s.inChannels * s.kernelH * s.kernelW;
  const out = s.batch * s.outChannels * outH * outW;
  return spec.kind === 'conv2d' ? [x, w, out] : spec.kind === 'conv2dInputGrad' ? [out, w, x] : [x, out, w];
}

/** Arena bytes that hold the operands of every case at once. */
export function tensorCaseBytes(cases: readonly TensorCase[]): number {
  return cases.reduce((sum, c) => sum + operandSizes(c.spec).reduce((s, n) => s + 8 * n + 16, 0), 0);
}

/** The convolution shapes of the cases (for tensorKernels' convShapes). */
export function tensorCaseShapes(cases: readonly TensorCase[]): Conv2dShape[] {
  return cases.flatMap((c) => (c.spec.kind === 'matmul' ? [] : [c.spec.shape]));
}

/** A call of each case on kernels K, over operands allocated in K's arena and filled with seeded normals. */
export function bindTensorCases(K: TensorKernels, cases: readonly TensorCase[], seed = 1): (() => void)[] {
  const rng = Rng.fromSeed(seed);
  return cases.map(({ spec }) => {
    const [na, nb, nc] = operandSizes(spec);
    const a = rng.normals(K.alloc(na));
    const b = rng.normals(K.alloc(nb));
    const c = K.alloc(nc);
    if (spec.kind === 'matmul') return () => K.matmul(a, b, c, spec.m, spec.n, spec.k, spec.transA, spec.transB, false);
    const s = spec.shape;
    if (spec.kind === 'conv2d') return () => K.conv2d(a, b, c, s, false);
    if (spec.kind === 'conv2dInputGrad') return () => K.conv2dInputGrad(a, b, c, s, false);
    return () => K.conv2dFilterGrad(a, b, c, s, false);
  });
}
