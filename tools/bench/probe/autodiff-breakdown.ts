import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '@bilevel/linalg';
import type { KernelCase } from './kernel-cases';

/**
 * The pieces of one autodiff oracle call of logreg-autodiff.ts (the `softplus` loss, the same tfjs ops:
 * gather, dot, mul, neg, softplus, mean, and the ½ Σ e^x z² regularizer), timed one at a time so the cost of an
 * autodiff iteration can be attributed: (1) uploading z, x and the batch as fresh tensors and disposing them; (2) the
 * forward loss with its readback; (3) a first-order `tf.grad` pass with readback (innerGradZ); (4) a second-order
 * `tf.grads` pass (HVP and cross product together) with readback; and two floors of any tfjs formulation: (5) one
 * op on resident 30-vectors (`tf.add` + dispose: the per-op dispatch cost of the engine and backend), (6) the same
 * innerGradZ written in closed form, −Aᵀ_B(y ⊙ σ(−y ⊙ A_B z))/|B| + e^x z, with no tape (what tfjs costs when it is
 * used as a kernel library, not for differentiation). `flops` is 0: only time matters here. `kernels` gives the
 * number of backend kernels each piece launches (from `tf.profile`). `out` holds the last gradient a piece wrote and
 * `point` the (z, x) every piece evaluates at, so a caller can check the pieces against an analytic oracle.
 */
export async function autodiffBreakdown(A: Matrix, y: Float64Array, batches: readonly Int32Array[]): Promise<{ cases: KernelCase[]; kernels: Record<string, number>; out: Float64Array; point: { z: Float64Array; x: Float64Array }; dispose: () => void }> {
  const d = A.cols;
  const At = tf.tensor2d(Float32Array.from(A.data), [A.rows, d]);
  const yt = tf.tensor1d(Float32Array.from(y));
  const z = new Float64Array(d).map((_, i) => Math.sin(i) * 0.1);
  const x = new Float64Array([-1]);
  const v = new Float64Array(d).map((_, i) => Math.cos(i));
  const out = new Float64Array(d);
  let which = 0;
  const nextBatch = () => {
    const b = batches[which];
    which = which + 1 === batches.length ? 0 : which + 1;
    return b;
  };
  const vec = (a: Float64Array) => tf.tensor1d(Float32Array.from(a), 'float32');
  const idx = (b: Int32Array) => tf.tensor1d(Int32Array.from(b), 'int32');
  const g = (zt: tf.Tensor1D, xt: tf.Tensor1D, b: tf.Tensor1D): tf.Scalar => {
    const t = tf.dot(tf.gather(At, b), zt) as tf.Tensor1D;
    const loss = tf.mean(tf.softplus(tf.neg(tf.mul(tf.gather(yt, b), t))));
    return tf.add(loss, tf.mul(0.5, tf.sum(tf.mul(tf.exp(xt), tf.square(zt)))));
  };
  const r1 = tf.tensor1d(Float32Array.from(z));
  const r2 = tf.tensor1d(Float32Array.from(v));
  const pieces: Record<string, () => void> = {
    'upload z, x, batch + dispose': () => tf.tidy(() => void [vec(z), vec(x), idx(nextBatch())]),
    'forward loss + readback': () => tf.tidy(() => void g(vec(z), vec(x), idx(nextBatch())).dataSync()),
    'tf.grad in z + readback (innerGradZ)': () =>
      tf.tidy(() => {
        const xt = vec(x);
        const b = idx(nextBatch());
        out.set(tf.grad((zz: tf.Tensor) => g(zz as tf.Tensor1D, xt, b))(vec(z)).dataSync());
      }),
    'tf.grads of ⟨∇_z g, v⟩ in (z, x) + readback (innerHvp + innerCross)': () =>
      tf.tidy(() => {
        const b = idx(nextBatch());
        const vt = vec(v);
        const s = (zz: tf.Tensor, xx: tf.Tensor): tf.Scalar => {
          const gz = tf.grad((zi: tf.Tensor) => g(zi as tf.Tensor1D, xx as tf.Tensor1D, b))(zz);
          return tf.sum(tf.mul(gz, vt));
        };
        const [h, c] = tf.grads(s as (...a: tf.Tensor[]) => tf.Scalar)([vec(z), vec(x)]);
        out.set(h.dataSync());
        void c.dataSync();
      }),
    'one op on resident 30-vectors (tf.add + dispose)': () => tf.add(r1, r2).dispose(),
    'closed-form innerGradZ in tfjs, no tape + readback': () =>
      tf.tidy(() => {
        const b = idx(nextBatch());
        const zt = vec(z);
        const Ab = tf.gather(At, b);
        const yb = tf.gather(yt, b);
        const w = tf.mul(yb, tf.sigmoid(tf.neg(tf.mul(yb, tf.dot(Ab, zt) as tf.Tensor1D))));
        const grad = tf.add(tf.mul(-1 / b.shape[0], tf.dot(w, Ab)), tf.mul(tf.exp(vec(x)), zt));
        out.set(grad.dataSync());
      }),
  };
  const kernels: Record<string, number> = {};
  for (const [name, fn] of Object.entries(pieces)) {
    const info = await tf.profile(() => {
      fn();
      return tf.scalar(0);
    });
    kernels[name] = info.kernels.length;
    tf.dispose(info.result as tf.Tensor);
  }
  const cases: KernelCase[] = Object.entries(pieces).map(([name, fn]) => ({
    kernel: name,
    size: `${batches[0].length} of ${A.rows}×${d}`,
    variant: `tfjs-${tf.getBackend()} f32`,
    flops: 0,
    bytes: 0,
    workingSet: 0,
    fn,
  }));
  return { cases, kernels, out, point: { z, x }, dispose: () => tf.dispose([At, yt, r1, r2]) };
}
