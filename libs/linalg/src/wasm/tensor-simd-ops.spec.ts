// The committed binary of the tensor kernels is the compilation of the committed .wat source (the kernels
// themselves are checked against their JavaScript twins and the reference loops in ../tensor-kernels.spec.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { WASM_BASE64 } from './tensor-kernels-binary';
import { tensorSimdAvailable, tensorSimdOps } from './tensor-simd-ops';

test('the committed binary is the compilation of tensor-kernels.wat', async () => {
  const wabt = await wabtInit();
  const src = readFileSync(fileURLToPath(new URL('./tensor-kernels.wat', import.meta.url)), 'utf8');
  const mod = wabt.parseWat('tensor-kernels.wat', src, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  assert.equal(Buffer.from(buffer).toString('base64'), WASM_BASE64, 'run `npm run build:wasm` after editing the .wat');
});

test('the memory is at least the bytes asked for, in whole 64 KiB pages, and never grows', { skip: !tensorSimdAvailable() }, () => {
  const { memory } = tensorSimdOps(65537);
  assert.equal(memory.buffer.byteLength, 2 * 65536);
  assert.equal(tensorSimdOps(0).memory.buffer.byteLength, 65536);
});
