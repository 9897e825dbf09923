// The CPU-clock timer: its blocks measure the CPU time of the calls (a busy loop of known work, against the clock
// read directly), and its arguments are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuSeconds, cpuTimer } from './cpu-timer';

test('a block reports CPU seconds per call that add up to the CPU time the block took', () => {
  let sink = 0;
  const work = () => {
    for (let i = 0; i < 20_000; i++) sink += Math.sqrt(i);
  };
  const block = cpuTimer(work, 5, 3);
  const t0 = cpuSeconds();
  const perCall = block();
  const total = cpuSeconds() - t0;
  assert.ok(perCall > 0 && Number.isFinite(sink));
  // the block is some whole number of calls of about perCall each, within the block's own CPU time
  const calls = total / perCall;
  assert.ok(calls >= 1 && Math.abs(calls - Math.round(calls)) < 0.5, `${calls} calls`);
});

test('bad block lengths and warm-ups are refused', () => {
  assert.throws(() => cpuTimer(() => {}, 0, 1), /cpuTimer: blockMs must be a positive number, received 0/);
  assert.throws(() => cpuTimer(() => {}, 1, -1), /cpuTimer: warmup must be a non-negative integer, received -1/);
});
