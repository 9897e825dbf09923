// The tape's elementwise SIMD kernels: the committed binary is the compilation of the .wat; each kernel gives the
// bits of its definition (written here as plain loops), −0, NaN, ties and odd lengths included; and whole replays on
// the SIMD kernels equal replays on the JavaScript ones bit for bit (the tensor kernels agree by construction, so any
// difference would come from these).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { Rng, tensorKernels } from '@bilevel/linalg';
import { WASM_BASE64 } from '../wasm/tape-kernels-binary';
import { tapeSimd } from './tape-simd';
import { Tape } from './tape';
import type { TapeVar } from './tape';

const K = tensorKernels({ bytes: 1 << 20 });
const E = tapeSimd(K.memory);
const skip = E === null ? 'no WebAssembly SIMD here' : false;

/** A vector of the arena filled with `values`. */
const arena = (values: ArrayLike<number>) => {
  const a = K.alloc(values.length);
  a.set(Array.from(values));
  return a;
};
/** Values with the awkward cases: ±0, NaN, ties, and random signs. */
function awkward(n: number, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  const special = [0, -0, Number.NaN, 1.5, 1.5, -2, Infinity, -Infinity];
  return Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length] : rng.normal()));
}
const same = (a: Float64Array, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}: entry ${i} is ${a[i]}, expected ${b[i]}`);
};

test('the committed binary is the compilation of tape-kernels.wat', async () => {
  const wabt = await wabtInit();
  const src = readFileSync(fileURLToPath(new URL('../wasm/tape-kernels.wat', import.meta.url)), 'utf8');
  const mod = wabt.parseWat('tape-kernels.wat', src, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString('base64'), WASM_BASE64, 'run `npm run build:wasm` after editing the .wat');
});

test('relu and kink give the bits of their definitions, odd lengths, ±0 and NaN included', { skip }, () => {
  const S = E!;
  for (const n of [1, 2, 7, 40]) {
    const u = arena(awkward(n, n));
    const g = arena(awkward(n, n + 1));
    const y = arena(new Float64Array(n));
    S.relu(u, y, n);
    same(y, Array.from(u, (m) => (m > 0 ? m : 0)), `relu n=${n}`);
    for (const alpha of [0, 0.1, -0.5]) {
      const d0 = awkward(n, 3 * n);
      const d = arena(d0);
      S.kink(u, g, d, n, alpha, false);
      same(d, Array.from(d0, (v, k) => v + (u[k] > 0 ? 1 : alpha) * g[k]), `kink += n=${n} α=${alpha}`);
      S.kink(u, g, d, n, alpha, true);
      same(d, Array.from(u, (m, k) => (m > 0 ? 1 : alpha) * g[k]), `kink = n=${n} α=${alpha}`);
    }
  }
});

test('biases and their adjoints give the bits of their definitions (two-lane plane sums), odd widths included', { skip }, () => {
  const S = E!;
  for (const [rows, n] of [[3, 5], [4, 2], [1, 1]]) {
    const y0 = awkward(rows * n, 7);
    const y = arena(y0);
    const b = arena(awkward(n, 8));
    S.rowBias(y, b, rows, n);
    same(y, Array.from(y0, (v, i) => v + b[i % n]), `rowBias ${rows}×${n}`);
    const out0 = awkward(n, 9);
    for (const acc of [true, false]) {
      const out = arena(out0);
      S.sumRows(y, out, rows, n, acc);
      const want = Array.from(out0, (v, j) => {
        let s = acc ? v : 0;
        for (let i = 0; i < rows; i++) s += y[i * n + j];
        return s;
      });
      same(out, want, `sumRows ${rows}×${n} acc=${acc}`);
    }
  }
  for (const [N, O, P] of [[2, 3, 9], [3, 2, 4], [2, 2, 1]]) {
    const y0 = awkward(N * O * P, 11);
    const y = arena(y0);
    const b = arena(awkward(O, 12));
    S.planeBias(y, b, N * O, O, P);
    same(y, Array.from(y0, (v, i) => v + b[Math.floor(i / P) % O]), `planeBias ${N}×${O}×${P}`);
    const g = arena(Float64Array.from(y0, (v) => (Number.isFinite(v) ? v : 0.25)));
    const out0 = awkward(O, 13);
    for (const acc of [true, false]) {
      const out = arena(out0);
      S.sumPlanes(g, out, N * O, O, P, acc);
      const want = Array.from(out0, (v) => (acc ? v : 0));
      for (let q = 0; q < N * O; q++) {
        let s0 = 0;
        let s1 = 0;
        const pairs = P & ~1;
        for (let p = 0; p < pairs; p += 2) {
          s0 += g[q * P + p];
          s1 += g[q * P + p + 1];
        }
        let s = s0 + s1;
        if (pairs < P) s += g[q * P + pairs];
        want[q % O] += s;
      }
      same(out, want, `sumPlanes ${N}×${O}×${P} acc=${acc}`);
    }
  }
});

test('2×2 max pooling keeps the first maximum (ties, NaN) and its index; scatter adds at the indices', { skip }, () => {
  const S = E!;
  for (const [np, H, W] of [[3, 4, 6], [2, 7, 7], [1, 3, 3]]) {
    const OH = H >> 1;
    const OW = W >> 1;
    const x0 = awkward(np * H * W, H);
    for (let i = 0; i < x0.length; i += 7) x0[i + 1] = x0[i]; // more ties
    const x = arena(x0);
    const v = arena(new Float64Array(np * OH * OW));
    const arg = arena(new Float64Array(np * OH * OW));
    S.maxPool2(x, v, arg, np, H, W, OH, OW, true);
    const wantV: number[] = [];
    const wantA: number[] = [];
    for (let p = 0; p < np; p++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          const r = p * H * W + 2 * i * W + 2 * j;
          let best = r;
          let m = x0[r];
          for (const c of [r + 1, r + W, r + W + 1]) {
            if (x0[c] > m) {
              m = x0[c];
              best = c;
            }
          }
          wantV.push(m);
          wantA.push(best);
        }
    same(v, wantV, `maxPool2 values ${np}×${H}×${W}`);
    same(arg, wantA, `maxPool2 argmax ${np}×${H}×${W}`);
    const g = arena(awkward(v.length, 5));
    const d0 = awkward(x0.length, 6);
    const d = arena(d0);
    S.scatter(arg, g, d, v.length);
    const want = Array.from(d0);
    for (let o = 0; o < v.length; o++) want[wantA[o]] += g[o];
    same(d, want, `scatter ${np}×${H}×${W}`);
  }
});

/** A convnet-and-MLP loss using every SIMD path (relu, leakyRelu, biases, 2×2 pooling) on odd sizes. */
function record(kernels: 'auto' | 'js') {
  const rng = Rng.fromSeed(21);
  const images = Float64Array.from({ length: 6 * 2 * 7 * 7 }, () => rng.normal());
  const labels = Int32Array.from({ length: 6 }, (_, i) => i % 3);
  const t = new Tape({ maxBatch: 5, kernels });
  const w = t.input([3, 2, 3, 3], 'w');
  const cb = t.input([3], 'cb');
  const W1 = t.input([27, 5], 'W1');
  const b1 = t.input([5], 'b1');
  const W2 = t.input([5, 3], 'W2');
  const b2 = t.input([3], 'b2');
  const h = t.maxPool2d(t.relu(t.conv2d(t.gatherRows(images, [2, 7, 7]), w, { padding: 1, bias: cb })), { size: 2 });
  const z = t.leakyRelu(t.linear(t.flatten(h), W1, b1), 0.1);
  t.output(t.mean(t.softmaxCrossEntropy(t.linear(t.relu(z), W2, b2), t.gatherLabels(labels))));
  const inputs: TapeVar[] = [w, cb, W1, b1, W2, b2];
  const values = Rng.fromSeed(4);
  for (const v of inputs) {
    values.normals(v.val);
    values.normals(v.dot);
  }
  return { t, inputs };
}

test('replays on the SIMD kernels equal replays on the JavaScript kernels bit for bit', { skip }, () => {
  const simd = record('auto');
  const js = record('js');
  assert.ok(simd.t.kernels?.simd && !js.t.kernels?.simd);
  for (const batch of [Int32Array.of(0, 4, 5, 1, 2), Int32Array.of(3), Int32Array.of(5, 0)]) {
    for (const order of [1, 2] as const) {
      const run = (m: typeof simd) => {
        m.t.plan({ order, wrt: m.inputs, direction: m.inputs }).run(batch);
        return m.inputs.map((v) => (order === 1 ? v.bar : v.bdot).slice());
      };
      const a = run(simd);
      const b = run(js);
      a.forEach((v, i) => same(v, b[i], `order ${order}, batch [${batch}], ${simd.inputs[i].name}`));
    }
  }
});
