import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { syntheticRun } from '../bench/synthetic-run';
import type { SweepChildPort, SweepResultMessage } from './sweep-child';
import { serveSweepRuns } from './sweep-child';

/** An in-memory IPC end: what the child sends is collected; `connected` can be turned off. */
class FakePort extends EventEmitter {
  sent: SweepResultMessage[] = [];
  connected = true;
  send(message: SweepResultMessage) {
    this.sent.push(message);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('serveSweepRuns: answers a run message with its result (an unknown solver is an error result), ignores other messages', async () => {
  const port = new FakePort();
  let exits = 0;
  serveSweepRuns(port as unknown as SweepChildPort, () => exits++);
  const spec = { ...syntheticRun('p', 'nope', 0, []).spec, maxIter: 5 };
  port.emit('message', { type: 'hello' });
  port.emit('message', { type: 'run', key: 'k1', spec });
  await settle();
  assert.equal(port.sent.length, 1);
  assert.equal(port.sent[0].key, 'k1');
  assert.equal(port.sent[0].result.status, 'error');
  assert.match(port.sent[0].result.error!.message, /unknown solver "nope"/);
  // the parent went away during a run: no send, the child exits
  port.connected = false;
  port.emit('message', { type: 'run', key: 'k2', spec });
  await settle();
  assert.equal(port.sent.length, 1);
  assert.equal(exits, 1);
  port.emit('disconnect');
  assert.equal(exits, 2);
});

test('serveSweepRuns: refuses a process without an IPC channel', () => {
  assert.throws(() => serveSweepRuns({ on: () => undefined } as SweepChildPort), /serveSweepRuns: this process has no IPC channel/);
});
