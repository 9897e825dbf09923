import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FewShotDataset } from '../fewshot/few-shot-dataset';
import { EpisodeSampler } from '../fewshot/episode-sampler';
import { InputError } from '@bilevel/io';
import { episodeTasks, fewshotTasks } from './fewshot-tasks';

/** 12 classes of 4 drawings of 3×3 pixels, each drawing's pixels its class and drawing numbers (recognisable rows). */
function tiny(): FewShotDataset {
  const classes = Array.from({ length: 12 }, (_, c) => ({ alphabet: `a${c % 3}`, name: `c${c}`, indices: Int32Array.from({ length: 4 }, (_, d) => 4 * c + d) }));
  const images = new Float64Array(48 * 9);
  for (let r = 0; r < 48; r++) images.fill(r / 48, 9 * r, 9 * r + 9);
  return { size: 3, images, classes };
}

test('fewshotTasks: task j is an N-way K-shot episode, rows grouped by class, labels fixed, drawn again identically', () => {
  const src = fewshotTasks(tiny(), { ways: 3, shots: 2, queries: 1, count: 50, seed: 1 });
  assert.deepEqual([src.supportRows, src.queryRows, src.outputs, src.kind], [6, 3, 3, 'classification']);
  assert.deepEqual(Array.from(src.supportLabels!), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(src.queryLabels!), [0, 1, 2]);
  const t = src.task(7);
  assert.deepEqual(Array.from(t.support.y), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(src.task(7), t);
  // support and query rows of one label come from one class, and are distinct drawings
  for (let c = 0; c < 3; c++) {
    const rows = [t.support.x[18 * c], t.support.x[18 * c + 9], t.query.x[9 * c]].map((v) => Math.round(v * 48));
    assert.equal(new Set(rows.map((r) => Math.floor(r / 4))).size, 1, `label ${c}: one class`);
    assert.equal(new Set(rows).size, 3, `label ${c}: three drawings`);
  }
  assert.notDeepEqual(src.task(8).support.x, t.support.x);
});

test('fewshotTasks: too few classes, too few drawings: one InputError naming what to lower', () => {
  assert.throws(() => fewshotTasks(tiny(), { ways: 13, shots: 1 }), (e: Error) => e instanceof InputError && /13-way episodes need 13 classes, but the data set has 12/.test(e.message));
  assert.throws(() => fewshotTasks(tiny(), { ways: 2, shots: 5 }), (e: Error) => e instanceof InputError && /shots = 5 is more than the 4 images of class/.test(e.message));
  assert.throws(() => fewshotTasks(tiny(), { ways: 2, shots: 2, queries: 3 }), (e: Error) => e instanceof InputError && /lower queries to 2 or less/.test(e.message));
});

test('episodeTasks: fixed episodes of one shape; another shape is an InputError naming the episode', () => {
  const ds = tiny();
  const e1 = new EpisodeSampler(ds, { ways: 3, shots: 1, queries: 2, seed: 0, reuseBuffers: false }).next();
  const e2 = new EpisodeSampler(ds, { ways: 3, shots: 1, queries: 2, seed: 1, reuseBuffers: false }).next();
  const src = episodeTasks([e1, e2], 'dir');
  assert.equal(src.count, 2);
  assert.equal(src.task(1).query.x, e2.query.x);
  const e3 = new EpisodeSampler(ds, { ways: 2, shots: 1, queries: 2, seed: 2, reuseBuffers: false }).next();
  assert.throws(() => episodeTasks([e1, e3], 'dir'), /dir: episode 1 is 2-way 1-shot with 2 queries per class .* score episodes of one shape at a time/);
});
