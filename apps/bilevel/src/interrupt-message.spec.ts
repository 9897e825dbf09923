// Ctrl-C during a run whose evaluations are slow (a Field of Experts: 45 s): the program says what it does next,
// how long the final evaluation took last time, and that a second Ctrl-C exits at once, even inside that evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import { Capture } from './in-process-cli';
import type { RunConfig } from './run-command';
import { runCommand } from './run-command';

test('an interrupted run says it evaluates the last iterate, how long the last evaluation took, and how to skip it', async () => {
  // Arrange: interrupted as soon as its second checkpoint is written (an event, not a time)
  const out = join(mkdtempSync(join(tmpdir(), 'bilevel-interrupt-')), 'run');
  const config = { problem: 'logreg-hpo', seed: 0, maxIter: 60_000, evalEvery: 500, out, json: true, progress: false, standardize: 'train', oracles: 'analytic', format: 'auto' } as RunConfig;
  let interrupt!: (signal: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  const log = new Capture();
  // Act
  const code = await runCommand(config, {
    stdout: new Capture(),
    log: createLogger({ level: 'info', destination: log }),
    interrupted,
    checkpoints: { everyIterations: 700, onSaved: (_i, written) => written === 2 && interrupt('SIGINT') },
  });
  // Assert
  assert.equal(code, EXIT.interrupted);
  const line = log.text.split('\n').find((l) => l.includes('"msg":"interrupted:'));
  assert.ok(line, log.text);
  const msg = JSON.parse(line).msg as string;
  assert.match(msg, /^interrupted: finishing the current step and writing a checkpoint, then evaluating h at the last iterate \(the last evaluation took \d+(\.\d+)? s\) and writing the trace and the summary; press Ctrl-C again to exit at once without them \(the last checkpoint is kept\)$/);
});

test('a second Ctrl-C ends the program at once, even during the final evaluation (a synchronous inner solve), without a summary', async (t) => {
  // Arrange: a Field of Experts run, whose evaluations are inner solves of seconds; the first SIGINT once the run has
  // started (its solver line), the second once the program has said what it does next (events, not times). The
  // program is node itself (not npx), so the signals reach it.
  const out = join(mkdtempSync(join(tmpdir(), 'bilevel-interrupt-twice-')), 'run');
  const bin = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));
  const args = [bin, 'run', '--problem', 'denoise', '--regularizer', 'foe', '--max-iter', '1000000', '--eval-every', '1000000', '--out', out, '--json'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  let stderr = '';
  let sent = 0;
  const onOutput = (chunk: Buffer) => {
    stderr += chunk.toString();
    if (sent === 0 && stderr.includes('"msg":"solver"')) {
      sent = 1;
      child.kill('SIGINT');
    } else if (sent === 1 && stderr.includes('"msg":"interrupted:')) {
      sent = 2;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  // Act
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Assert: ended by the signal's default action (the old program waited for the evaluation, then exited with 130)
  assert.equal(sent, 2, stderr);
  assert.deepEqual(ended, { code: null, signal: 'SIGINT' }, stderr);
  assert.match(stderr, /received SIGINT: stopping after the current step \(press again to exit at once\)/);
  assert.equal(existsSync(join(out, 'summary.json')), false, 'no summary after the second Ctrl-C');
});
