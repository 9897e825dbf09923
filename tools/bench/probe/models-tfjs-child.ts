// Child process of `benchModels` (run as `node --import tsx models-tfjs-child.ts '<json args>'`): the cases of
// model-cases.ts in tfjs (@tensorflow/tfjs on the backend the project's initEngine picks, float32), the gradient by
// tf.grads and the HVP by tf.grads of ⟨tf.grads(loss), v⟩ (grad of grad), on the same weights, direction, images and
// labels. Prints one JSON line: per case the medians (CPU and wall ms per call), or why the HVP (or the gradient)
// could not be computed, and where the gradient and HVP were written (float64, in the engine's layouts).
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@bilevel/autodiff/tfjs';
import type { BlockTime, DualMedians } from './dual-timer';
import { dualMedians, dualTimer } from './dual-timer';
import type { ModelCase, ModelData } from './model-cases';
import { CLASSES, PIXELS, paramShapes, readModelData, writeFloat64 } from './model-cases';

/** Arguments of the child run. */
export interface ModelsTfjsChildArgs {
  readonly dir: string;
  readonly reps: number;
  readonly blockMs: number;
  readonly only?: readonly string[];
  /** The backend initEngine tries first (default: its automatic choice). */
  readonly prefer?: 'auto' | 'node' | 'wasm' | 'cpu';
  /** Calls before the timing (default 3). */
  readonly warmup?: number;
}

export interface ModelsTfjsCaseResult {
  readonly id: string;
  readonly grad: DualMedians | null;
  readonly hvp: DualMedians | null;
  /** Why a figure is missing (the error tfjs raised, first line). */
  readonly gradError: string | null;
  readonly hvpError: string | null;
  readonly gradFile: string | null;
  readonly hvpFile: string | null;
}

export interface ModelsTfjsChildResult {
  readonly backend: string;
  readonly tfjs: string;
  readonly cases: ModelsTfjsCaseResult[];
}

const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);

/**
 * tfjs convolutions are NHWC with HWIO filters: OIHW filters are transposed on the way in, and their gradients back
 * on the way out; biases and dense weights keep their layout.
 */
const isFilter = (shape: readonly number[]) => shape.length === 4;
const toTf = (values: Float64Array, shape: readonly number[]) => {
  const t = tf.tensor(Float32Array.from(values), [...shape], 'float32');
  return isFilter(shape) ? tf.transpose(t, [2, 3, 1, 0]) : t;
};
const fromTf = (t: tf.Tensor, shape: readonly number[]): Float64Array =>
  Float64Array.from((isFilter(shape) ? tf.tidy(() => tf.transpose(t, [3, 2, 0, 1])) : t).dataSync());

/** The model's mean softmax cross-entropy as a function of its weights (tfjs ops only; no custom gradients). */
function tfLoss(c: ModelCase, d: ModelData): { loss: (...params: tf.Tensor[]) => tf.Scalar; keep: tf.Tensor[] } {
  const onehot = tf.oneHot(tf.tensor1d(Array.from(d.labels), 'int32'), CLASSES).toFloat();
  const x =
    c.model === 'mlp'
      ? tf.tensor2d(Float32Array.from(d.images), [c.batch, PIXELS], 'float32')
      : tf.transpose(tf.tensor4d(Float32Array.from(d.images), [c.batch, 1, 28, 28], 'float32'), [0, 2, 3, 1]);
  // log Σ e^z written for tfjs's second derivatives: tf.logSumExp's max has a gradient through tf.equal, which has
  // none; and e^z as expm1(z) + 1, since exp's gradient reuses its output, which a grad of grad treats as a constant
  // (tfjs issue #3252: the HVP comes out wrong, silently), while expm1's recomputes exp(z) from z. No maximum
  // subtracted: these logits are O(1), far from float32's overflow at e^88.
  const crossEntropy = (logits: tf.Tensor2D) =>
    tf.mean(tf.sub(tf.log(tf.sum(tf.add(tf.expm1(logits), 1), 1)), tf.sum(tf.mul(onehot, logits), 1))) as tf.Scalar;
  const loss =
    c.model === 'mlp'
      ? (W1: tf.Tensor, b1: tf.Tensor, W2: tf.Tensor, b2: tf.Tensor) =>
          crossEntropy(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, W1 as tf.Tensor2D), b1)) as tf.Tensor2D, W2 as tf.Tensor2D), b2) as tf.Tensor2D)
      : (...p: tf.Tensor[]) => {
          let h = x as tf.Tensor4D;
          for (let l = 0; l < 4; l++) h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, p[2 * l] as tf.Tensor4D, 1, 'same'), p[2 * l + 1])) as tf.Tensor4D, 2, 2, 'valid');
          return crossEntropy(tf.add(tf.matMul(tf.reshape(h, [c.batch, -1]) as tf.Tensor2D, p[8] as tf.Tensor2D), p[9]) as tf.Tensor2D);
        };
  return { loss: loss as (...params: tf.Tensor[]) => tf.Scalar, keep: [onehot, x] };
}

const args = JSON.parse(process.argv[2] ?? '{}') as ModelsTfjsChildArgs;
const engine = await initEngine({ prefer: args.prefer ?? 'auto' });
const { cases, data } = readModelData(args.dir);
const chosen = cases.map((c, i) => ({ c, d: data[i] })).filter(({ c }) => !args.only || args.only.includes(c.id));

interface Bound {
  readonly id: string;
  grad: (() => void) | null;
  hvp: (() => void) | null;
  gradError: string | null;
  hvpError: string | null;
  gradFile: string | null;
  hvpFile: string | null;
}

const bound: Bound[] = chosen.map(({ c, d }) => {
  const shapes = paramShapes(c.model).map((p) => p.shape);
  const params = d.params.map((v, i) => toTf(v, shapes[i]));
  const direction = d.direction.map((v, i) => toTf(v, shapes[i]));
  const { loss } = tfLoss(c, d);
  const gradOf = tf.grads(loss);
  const gradFn = () => gradOf(params);
  const hvpOf = tf.grads((...p: tf.Tensor[]) => tf.addN(tf.grads(loss)(p).map((g, i) => tf.sum(tf.mul(g, direction[i])))) as tf.Scalar);
  const hvpFn = () => hvpOf(params);
  const b: Bound = { id: c.id, grad: null, hvp: null, gradError: null, hvpError: null, gradFile: null, hvpFile: null };
  for (const [name, fn] of [['grad', gradFn], ['hvp', hvpFn]] as const) {
    try {
      const out = tf.tidy(() => fn());
      const file = join(args.dir, `tfjs-${c.id}-${name}.bin`);
      writeFloat64(file, out.map((t, i) => fromTf(t, shapes[i])));
      tf.dispose(out);
      const call = () => tf.dispose(tf.tidy(() => fn()));
      if (name === 'grad') {
        b.grad = call;
        b.gradFile = file;
      } else {
        b.hvp = call;
        b.hvpFile = file;
      }
    } catch (e) {
      if (name === 'grad') b.gradError = oneLine(e);
      else b.hvpError = oneLine(e);
    }
  }
  return b;
});

// the blocks of all cases interleaved, as in the engine's child
const timed = bound.flatMap((b) => [b.grad, b.hvp]).map((fn) => (fn ? dualTimer(fn, args.blockMs, args.warmup ?? 3) : null));
const blocks: BlockTime[][] = timed.map(() => []);
for (let r = 0; r < args.reps; r++) timed.forEach((t, i) => t && blocks[i].push(t.block()));

const results: ModelsTfjsCaseResult[] = bound.map((b, i) => ({
  id: b.id,
  grad: timed[2 * i] ? dualMedians(blocks[2 * i], timed[2 * i]!.calls) : null,
  hvp: timed[2 * i + 1] ? dualMedians(blocks[2 * i + 1], timed[2 * i + 1]!.calls) : null,
  gradError: b.gradError,
  hvpError: b.hvpError,
  gradFile: b.gradFile,
  hvpFile: b.hvpFile,
}));
console.log(JSON.stringify({ backend: engine.backend, tfjs: tf.version.tfjs, cases: results } satisfies ModelsTfjsChildResult));
