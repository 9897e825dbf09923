import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { matrix, Rng } from '@bilevel/linalg';
import { classGradAccumulate, classLogits } from './multiclass-kernels';
import { MulticlassSimd } from './multiclass-simd';
import { WASM_BASE64 } from './wasm/multiclass-kernels-binary';

test('multiclass SIMD: the committed binary is the compilation of multiclass-kernels.wat', async () => {
  const wabt = await wabtInit();
  const src = readFileSync(fileURLToPath(new URL('./wasm/multiclass-kernels.wat', import.meta.url)), 'utf8');
  const mod = wabt.parseWat('multiclass-kernels.wat', src, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString('base64'), WASM_BASE64, 'run `npm run build:wasm` after editing the .wat');
});

test('multiclass SIMD: logits and gradient accumulation are the bits of classLogits and classGradAccumulate (odd and even K, d, batch sizes; β = 0, 1, 0.7)', (t) => {
  const rng = Rng.fromSeed(11);
  const probe = MulticlassSimd.create([matrix(1, 1)], 2, 1);
  if (probe === null) {
    t.skip('no WebAssembly SIMD here');
    return;
  }
  for (const [n, d, K] of [[40, 65, 10], [23, 7, 3], [9, 1, 2], [31, 12, 7]]) {
    const A = matrix(n, d, rng.normals(new Float64Array(n * d)));
    const B = matrix(n + 3, d, rng.normals(new Float64Array((n + 3) * d)));
    const simd = MulticlassSimd.create([A, B], K, n + 3)!;
    assert.deepEqual(simd.matrices[1].data, B.data);
    for (const m of [1, 2, 3, 4, 5, 9, n]) {
      const rows = Int32Array.from({ length: m }, () => rng.int(0, n - 1));
      const W = rng.normals(new Float64Array(K * d));
      const [want, got] = [new Float64Array(m * K), new Float64Array(m * K)];
      classLogits(A, rows, W, K, want);
      simd.logits(simd.matrices[0], rows, W, K, got);
      assert.deepEqual(got, want, `logits n = ${n}, d = ${d}, K = ${K}, m = ${m}`);
      const r = rng.normals(new Float64Array(m * K));
      for (const beta of [0, 1, 0.7]) {
        const start = rng.normals(new Float64Array(K * d));
        const [gw, gg] = [Float64Array.from(start), Float64Array.from(start)];
        classGradAccumulate(0.3, A, rows, r, K, beta, gw);
        simd.gradAccumulate(0.3, simd.matrices[0], rows, r, K, beta, gg);
        assert.deepEqual(gg, gw, `accumulation n = ${n}, d = ${d}, K = ${K}, m = ${m}, β = ${beta}`);
      }
    }
    // a matrix from elsewhere goes to the JavaScript kernels
    const rows = Int32Array.from([0, 1, 2]);
    const W = rng.normals(new Float64Array(K * d));
    const [want, got] = [new Float64Array(3 * K), new Float64Array(3 * K)];
    classLogits(A, rows, W, K, want);
    simd.logits(A, rows, W, K, got);
    assert.deepEqual(got, want);
  }
});
