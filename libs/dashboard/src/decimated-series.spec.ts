// DecimatedSeries: bounded memory over a run of any length, evenly spread over its whole span, latest always kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecimatedSeries } from './decimated-series';

test('keeps every point until the capacity, then every other one with a doubled stride, and the latest', () => {
  const s = new DecimatedSeries<number>(4);
  for (let i = 0; i < 10; i++) s.push(i);
  assert.deepEqual(s.points(), [0, 4, 8, 9]);
  assert.equal(s.stride, 4);
  assert.equal(s.pushed, 10);
});

test('a million points are held as fewer than capacity + 1, evenly spaced from the first to the latest', () => {
  const capacity = 1000;
  const s = new DecimatedSeries<number>(capacity);
  for (let i = 0; i < 1_000_000; i++) s.push(i);
  const p = s.points();
  assert.ok(p.length <= capacity + 1, `${p.length} points`);
  assert.ok(p.length >= capacity / 2, `${p.length} points`);
  assert.equal(p[0], 0);
  assert.equal(p.at(-1), 999_999);
  const gaps = new Set(p.slice(1, -1).map((v, i) => v - p[i]));
  assert.deepEqual([...gaps], [s.stride], 'evenly spaced');
});

test('the latest point is not repeated when it was kept', () => {
  const s = new DecimatedSeries<number>(8);
  for (let i = 0; i < 3; i++) s.push(i);
  assert.deepEqual(s.points(), [0, 1, 2]);
  assert.deepEqual(new DecimatedSeries<number>(2).points(), []);
});

test('a capacity below 2 is refused', () => {
  assert.throws(() => new DecimatedSeries(1), /capacity must be an integer ≥ 2, received 1/);
});
