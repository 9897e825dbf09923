// Ctrl-C during a run whose evaluations are slow (a Field of Experts: 45 s): the program says what it does next,
// how long the final evaluation took last time, and that a second Ctrl-C exits without it, the checkpoint kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import { Capture } from './in-process-cli';
import type { RunConfig } from './run-command';
import { runCommand } from './run-command';

test('an interrupted run says it evaluates the last iterate, how long the last evaluation took, and how to skip it', async () => {
  // Arrange: interrupted as soon as its second checkpoint is written (an event, not a time)
  const out = join(mkdtempSync(join(tmpdir(), 'bilevel-interrupt-')), 'run');
  const config = { problem: 'logreg-hpo', seed: 0, maxIter: 60_000, evalEvery: 5000, out, json: true, progress: false, standardize: 'train', oracles: 'analytic', format: 'auto' } as RunConfig;
  let interrupt!: (signal: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  const log = new Capture();
  // Act
  const code = await runCommand(config, {
    stdout: new Capture(),
    log: createLogger({ level: 'info', destination: log }),
    interrupted,
    checkpoints: { everyIterations: 7000, onSaved: (_i, written) => written === 2 && interrupt('SIGINT') },
  });
  // Assert
  assert.equal(code, EXIT.interrupted);
  const line = log.text.split('\n').find((l) => l.includes('"msg":"interrupted:'));
  assert.ok(line, log.text);
  const msg = JSON.parse(line).msg as string;
  assert.match(msg, /^interrupted: finishing the current step and writing a checkpoint, then evaluating h at the last iterate \(the last evaluation took \d+(\.\d+)? s\) and writing the trace and the summary; press Ctrl-C again to exit without them \(the checkpoint is kept; an evaluation in progress ends first\)$/);
});
