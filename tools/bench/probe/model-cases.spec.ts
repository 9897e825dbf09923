// The models benchmark's shared data: what the children and the PyTorch peer read is what was written, the tape
// models take every weight and the direction, and the comparison measure is the relative error it claims to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModelData, MODEL_CASES, paramShapes, readFloat64, readModelData, relativeError, tapeModel, writeFloat64, writeModelData } from './model-cases';

test('the exchange files give back the cases and every array, bit for bit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-cases-'));
  try {
    const data = MODEL_CASES.map((c, i) => makeModelData(c, 3 + i));
    writeModelData(dir, MODEL_CASES, data);
    const back = readModelData(dir);
    assert.deepEqual(back.cases, MODEL_CASES);
    back.data.forEach((d, i) => {
      assert.deepEqual(d.images, data[i].images);
      assert.deepEqual(d.labels, data[i].labels);
      assert.deepEqual(d.params, data[i].params);
      assert.deepEqual(d.direction, data[i].direction);
    });
    const file = join(dir, 'x.bin');
    writeFloat64(file, [Float64Array.of(1, -2), Float64Array.of(Math.PI)]);
    assert.deepEqual(readFloat64(file), Float64Array.of(1, -2, Math.PI));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('labels are classes 0..9, weights follow the parameter shapes, and the seed decides the data', () => {
  const c = MODEL_CASES.find((m) => m.model === 'convnet');
  assert.ok(c);
  const d = makeModelData(c, 1);
  assert.ok(d.labels.every((l) => Number.isInteger(l) && l >= 0 && l <= 9));
  assert.deepEqual(
    d.params.map((p) => p.length),
    paramShapes('convnet').map((p) => p.shape.reduce((a, b) => a * b, 1)),
  );
  assert.notDeepEqual(makeModelData(c, 2).params[0], d.params[0]);
  assert.deepEqual(makeModelData(c, 1).params[0], d.params[0]);
});

test('the tape model holds the weights and direction; its gradient and HVP change with them', () => {
  const c = MODEL_CASES.find((m) => m.id === 'mlp4');
  assert.ok(c);
  const d = makeModelData(c, 5);
  const m = tapeModel(c, d, 'js');
  assert.deepEqual(Array.from(m.params[2].val), Array.from(d.params[2]));
  assert.deepEqual(Array.from(m.params[3].dot), Array.from(d.direction[3]));
  m.grad.run(m.batch);
  const g = m.params[2].bar.slice();
  m.hvp.run(m.batch);
  const h = m.params[2].bdot.slice();
  m.params[3].dot.fill(0);
  m.hvp.run(m.batch);
  assert.ok(g.some((v) => v !== 0) && h.some((v) => v !== 0));
  assert.ok(relativeError(m.params[2].bdot, h) > 1e-3, 'the HVP must depend on the direction');
});

test('relativeError is ‖a − b‖ / ‖b‖ (|a − b| when b = 0, Infinity for different lengths)', () => {
  assert.equal(relativeError(Float64Array.of(3, 4), Float64Array.of(0, 0)), 5);
  assert.equal(relativeError(Float64Array.of(1, 1), Float64Array.of(1, 2)), 0.4472135954999579);
  assert.equal(relativeError(Float64Array.of(1), Float64Array.of(1, 2)), Infinity);
});
