import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@bilevel/autodiff/tfjs';
import { denseRow } from '@bilevel/problems';
import { Rng } from '@bilevel/linalg';
import type { KernelCase } from './kernel-cases';
import type { KernelData } from './kernel-data';

const F32 = 4;

/**
 * tfjs `matMul` at the two hot shapes (logreg margins 31×30 · 30×1 and datacleaning logits 64×784 · 784×10), in
 * float32 on the backend {@link initEngine} picks when asked for `wasm` (XNNPACK kernels, SIMD when the engine has
 * it), in two variants:
 * - `resident`: both operands are tensors made once; a call is `matMul` + `dataSync` of the (tiny) result + dispose,
 *   the cost of the op itself with its dispatch;
 * - `per call`: what an oracle would pay, since the batch and z change every iteration: gather the batch's rows
 *   into a float32 buffer (the datacleaning rows densified and standardized from a float32 copy of all training rows
 *   made once), convert z from float64, upload both, `matMul`, read the result back (float32 → the caller's
 *   Float64Array) and dispose.
 * Flops as the float64 kernels (2·m·k·n); bytes of float32 operands and result.
 */
export async function tfjsMatMulCases(data: KernelData): Promise<{ backend: string; cases: KernelCase[] }> {
  const engine = await initEngine({ prefer: 'wasm' });
  const backend = engine.backend;
  const cases: KernelCase[] = [];
  const rng = Rng.fromSeed(11);

  const shapes = [
    {
      label: 'gemvRows (margins A_B z)',
      m: data.logregBatches[0].length,
      k: data.logregA.cols,
      n: 1,
      rows: data.logregBatches,
      dense: Float32Array.from(data.logregA.data),
      note: 'logreg shape',
    },
    {
      label: 'batchLogits (A_B z, CSR uint8)',
      m: 64,
      k: data.pixels.cols,
      n: 10,
      rows: data.pixelBatches.filter((b) => b.length === 64),
      dense: denseAll(data),
      note: 'datacleaning shape',
    },
  ];
  for (const s of shapes) {
    const { m, k, n } = s;
    const aBuf = new Float32Array(m * k);
    const zBuf = new Float32Array(k * n);
    const z64 = rng.normals(new Float64Array(k * n));
    const out64 = new Float64Array(m * n);
    const a0 = s.rows[0];
    for (let r = 0; r < m; r++) aBuf.set(s.dense.subarray(a0[r] * k, (a0[r] + 1) * k), r * k);
    const aT = tf.tensor2d(aBuf, [m, k]);
    const zT = tf.tensor2d(Float32Array.from(z64), [k, n]);
    let which = 0;
    const flops = 2 * m * k * n;
    const size = `${m}×${k} · ${k}×${n}`;
    cases.push({
      kernel: s.label,
      size,
      variant: `tfjs-${backend} f32 resident`,
      flops,
      bytes: (m * k + k * n + m * n) * F32,
      workingSet: (m * k + k * n + m * n) * F32,
      fn: () => {
        const c = tf.matMul(aT, zT);
        c.dataSync();
        c.dispose();
      },
      note: `${s.note}; operands made once`,
    });
    cases.push({
      kernel: s.label,
      size,
      variant: `tfjs-${backend} f32 per call`,
      flops,
      bytes: (m * k + k * n + m * n) * F32,
      workingSet: (m * k + k * n + m * n) * F32,
      fn: () => {
        const batch = s.rows[which];
        which = which + 1 === s.rows.length ? 0 : which + 1;
        for (let r = 0; r < m; r++) aBuf.set(s.dense.subarray(batch[r] * k, (batch[r] + 1) * k), r * k);
        for (let i = 0; i < z64.length; i++) zBuf[i] = z64[i];
        const out = tf.tidy(() => tf.matMul(tf.tensor2d(aBuf, [m, k]), tf.tensor2d(zBuf, [k, n])));
        const got = out.dataSync();
        for (let i = 0; i < out64.length; i++) out64[i] = got[i];
        out.dispose();
      },
      note: `${s.note}; gather rows + convert z + upload + matMul + readback`,
    });
  }
  return { backend, cases };
}

/** Every training image as standardized float32 features (rows × cols), made once for the tfjs cases. */
function denseAll(data: KernelData): Float32Array {
  const { rows, cols } = data.pixels;
  const out = new Float32Array(rows * cols);
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) out.set(denseRow(data.pixels, data.scaling, r, row), r * cols);
  return out;
}
