import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { WASM_BASE64 } from '../wasm/foe-kernels-binary';
import { FoeKernels, foeSimdAvailable } from './foe-kernels';

test('foe kernels: the committed binary is the compilation of foe-kernels.wat', async () => {
  const wabt = await wabtInit();
  const src = readFileSync(fileURLToPath(new URL('../wasm/foe-kernels.wat', import.meta.url)), 'utf8');
  const mod = wabt.parseWat('foe-kernels.wat', src, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString('base64'), WASM_BASE64, 'run `npm run build:wasm` after editing the .wat');
});

/**
 * The loops the kernels replace (field-of-experts.ts before them): the correlation c_k ⋆ ext by taps, its adjoint
 * scattered onto the extended grid, and the filter gradient Σ_p x[p]·ext[p + (a, b)], each term in the same order.
 */
function plainLoops(width: number, height: number, s: number, coef: Float64Array, k: number, ext: Float64Array, q: Float64Array, eo: Float64Array, x: Float64Array, kappa: number) {
  const we = width + s - 1;
  const s2 = s * s;
  const out = new Float64Array(width * height);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) {
    const cab = coef[k * s2 + a * s + b];
    for (let r = 0; r < height; r++) for (let col = 0; col < width; col++) out[r * width + col] += cab * ext[(r + a) * we + b + col];
  }
  const adj = Float64Array.from(eo);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) {
    const cab = coef[k * s2 + a * s + b];
    for (let r = 0; r < height; r++) for (let col = 0; col < width; col++) adj[(r + a) * we + b + col] += cab * q[r * width + col];
  }
  const filter = new Float64Array(s2).fill(0.25);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) {
    let sum = 0;
    for (let r = 0; r < height; r++) for (let col = 0; col < width; col++) sum += x[r * width + col] * ext[(r + a) * we + b + col];
    filter[a * s + b] += kappa * sum;
  }
  return { out, adj, filter };
}

test('foe kernels: correlation, adjoint, filter gradient and ψ are the bits of the plain loops, SIMD and JavaScript, odd and even sizes', () => {
  const variants: ('auto' | 'js')[] = foeSimdAvailable() ? ['auto', 'js'] : ['js'];
  for (const [width, height, s] of [[7, 5, 3], [8, 8, 5], [13, 6, 5], [9, 11, 7], [17, 9, 9], [32, 32, 5]]) {
    for (const kernels of variants) {
      const K = 2;
      const kern = new FoeKernels(width, height, K, s, kernels);
      assert.equal(kern.simd, kernels === 'auto');
      const rnd = (i: number) => Math.sin(1.7 + i * 12.9898) * 43.7 - Math.floor(Math.sin(1.7 + i * 12.9898) * 43.7) - 0.5;
      const theta = Float64Array.from({ length: K * s * s }, (_, i) => rnd(i));
      const kappa = 0.1;
      kern.setFilters(theta, kappa);
      kern.ez.set(Float64Array.from({ length: (width + s - 1) * (height + s - 1) }, (_, i) => rnd(i + 1000)));
      const q = Float64Array.from({ length: width * height }, (_, i) => rnd(i + 5000));
      for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) kern.q[(r + s - 1) * kern.qRow + s - 1 + c] = q[r * width + c];
      const eo0 = Float64Array.from({ length: (width + s - 1) * (height + s - 1) }, (_, i) => rnd(i + 9000));
      kern.eo.set(eo0);
      kern.x.set(Float64Array.from({ length: width * height }, (_, i) => rnd(i + 13000)));
      const want = plainLoops(width, height, s, kern.coef, 1, kern.ez, q, eo0, kern.x, kappa);
      kern.correlate(1, kern.ez);
      kern.correlateT(1);
      const filter = new Float64Array(3 + s * s).fill(0.25);
      kern.correlateFilter(kern.ez, kappa, filter, 3);
      const label = `${width}×${height}, s = ${s}, ${kernels}`;
      assert.deepEqual(kern.resp, want.out, `correlation ${label}`);
      assert.deepEqual(kern.eo.subarray(0, eo0.length), want.adj, `adjoint ${label}`);
      assert.deepEqual(filter.subarray(3), want.filter, `filter gradient ${label}`);
      // ψ of the responses into the adjoint's input grid, as the plain loop wrote it
      kern.psi(0.7, 0.0025);
      for (let r = 0; r < height; r++) {
        for (let c = 0; c < width; c++) {
          const t = want.out[r * width + c];
          assert.equal(kern.q[(r + s - 1) * kern.qRow + s - 1 + c], (0.7 * t) / Math.sqrt(t * t + 0.0025), `ψ at (${r}, ${c}) ${label}`);
        }
      }
    }
  }
});
