// Backend choice. tfjs-node is not installable here (no prebuilt binary, no network), so the engine must record its
// failure and settle on the WebAssembly backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initEngine } from './engine';

test('initEngine falls back from tfjs-node to wasm and says why', async () => {
  const info = await initEngine();

  assert.equal(info.backend, 'wasm');
  assert.equal(currentBackend(), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(
    info.tried.map((t) => [t.name, t.ok]),
    [
      ['node', false],
      ['wasm', true],
    ],
  );
  assert.match(info.tried[0].error ?? '', /tfjs-node/);
  assert.equal(info.tried[1].error, undefined);
});

test('initEngine is idempotent: later calls return the same info whatever they prefer', async () => {
  const first = await initEngine();
  const again = await initEngine({ prefer: 'cpu' });

  assert.equal(again, first);
  assert.equal(currentBackend(), 'wasm');
});

test('initEngine rejects an unknown preference, naming the field, the value and the choices', async () => {
  await assert.rejects(
    initEngine({ prefer: 'gpu' as never }),
    (err: Error) => err instanceof RangeError && /initEngine: options\.prefer must be one of "auto", "node", "wasm", "cpu", received "gpu"/.test(err.message),
  );
});

test('the wasm backend computes (a sanity check of the chosen engine)', async () => {
  await initEngine();
  const value = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6]))).dataSync()[0]);
  assert.equal(value, 32);
});
