import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteBackoff } from './write-backoff';

const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const erofs = Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' });

test('while writes succeed one is due every period', () => {
  const b = new WriteBackoff({ period: 10, start: 5 });

  assert.equal(b.due(14), false);
  assert.equal(b.due(15), true);
  assert.equal(b.succeeded(15), 0);
  assert.equal(b.due(24), false);
  assert.equal(b.due(25), true);
});

test('after k failures the next attempt waits period·2^k, capped at period·maxFactor; a success resets it', () => {
  const b = new WriteBackoff({ period: 1, maxFactor: 8 });
  const waits: number[] = [];
  let t = 0;
  for (let k = 0; k < 6; k++) {
    t += b.wait;
    assert.equal(b.due(t), true);
    waits.push(b.failed(t, enospc).retryIn);
  }

  assert.deepEqual(waits, [2, 4, 8, 8, 8, 8]);
  assert.equal(b.due(t + 7.9), false);
  assert.equal(b.succeeded(t + 8), 6, 'the success ends six failures');
  assert.equal(b.wait, 1);
});

test('attempts over a long stretch of failures grow like log2 + stretch / (period·maxFactor), not like the steps', () => {
  // a step every 0.001 time units for 100 units, period 0.01: 10,000 periods, 100,000 steps
  const period = 0.01;
  const b = new WriteBackoff({ period });
  let attempts = 0;
  for (let step = 1; step <= 100_000; step++) {
    const now = step * 0.001;
    if (b.due(now)) {
      attempts++;
      b.failed(now, enospc);
    }
  }

  const bound = Math.ceil(Math.log2(64)) + 1 + Math.ceil(100 / (period * 64));
  assert.ok(attempts <= bound, `${attempts} attempts, bound ${bound}`);
  assert.ok(attempts >= 100 / (period * 64), `${attempts} attempts: it keeps trying at the capped rate`);
});

test('one warning per kind of failure until a write succeeds', () => {
  const b = new WriteBackoff({ period: 1 });

  assert.equal(b.failed(1, enospc).newKind, true);
  assert.equal(b.failed(3, enospc).newKind, false);
  assert.equal(b.failed(7, erofs).newKind, true);
  assert.equal(b.failed(15, { message: 'x', cause: erofs }).newKind, false, 'the code of a wrapped cause counts');
  b.succeeded(31);
  assert.equal(b.failed(32, enospc).newKind, true);
});

test('options are validated', () => {
  assert.throws(() => new WriteBackoff({ period: 0 }), /WriteBackoff: options\.period is 0; expected a finite number > 0/);
  assert.throws(() => new WriteBackoff({ period: 1, maxFactor: 0.5 }), /WriteBackoff: options\.maxFactor is 0\.5; expected a finite number ≥ 1/);
  assert.throws(() => new WriteBackoff({ period: 1, start: NaN }), /WriteBackoff: options\.start is NaN; expected a finite number/);
});
