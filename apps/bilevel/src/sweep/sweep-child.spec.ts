import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { syntheticRun } from '../bench/synthetic-run';
import type { SweepChildPort, SweepResultMessage } from './sweep-child';
import { serveSweepRuns } from './sweep-child';

/** An in-memory IPC end: what the child sends is collected (and announced as 'sent'); `connected` can be turned off. */
class FakePort extends EventEmitter {
  sent: SweepResultMessage[] = [];
  connected = true;
  send(message: SweepResultMessage) {
    this.sent.push(message);
    this.emit('sent', message);
  }
}

test('serveSweepRuns: answers a run message with its result (an unknown solver is an error result), ignores other messages', async () => {
  const port = new FakePort();
  let exits = 0;
  const exited = new EventEmitter();
  serveSweepRuns(port as unknown as SweepChildPort, () => {
    exits++;
    exited.emit('exit');
  });
  const spec = { ...syntheticRun('p', 'nope', 0, []).spec, maxIter: 5 };
  port.emit('message', { type: 'hello' });
  const answered = once(port, 'sent');
  port.emit('message', { type: 'run', key: 'k1', spec });
  await answered;
  assert.equal(port.sent.length, 1);
  assert.equal(port.sent[0].key, 'k1');
  assert.equal(port.sent[0].result.status, 'error');
  assert.match(port.sent[0].result.error!.message, /unknown solver "nope"/);
  // the parent went away during a run: no send, the child exits
  port.connected = false;
  const gone = once(exited, 'exit');
  port.emit('message', { type: 'run', key: 'k2', spec });
  await gone;
  assert.equal(port.sent.length, 1);
  assert.equal(exits, 1);
  port.emit('disconnect');
  assert.equal(exits, 2);
});

test('serveSweepRuns: refuses a process without an IPC channel', () => {
  assert.throws(() => serveSweepRuns({ on: () => undefined } as SweepChildPort), /serveSweepRuns: this process has no IPC channel/);
});
