// Checkpoints and --resume, in process: a run interrupted (the SIGINT path: finish the step, checkpoint, trace,
// summary, exit 130) and resumed ends with the bits of an uninterrupted run; a corrupt latest checkpoint falls back
// to the previous one; unusable folders and extra options are refused with one clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bilevel/telemetry';
import { EXIT } from './exit-codes';
import { Capture, cli } from './in-process-cli';
import type { RunConfig } from './run-command';
import { RUN_FILES, readResume, runCommand } from './run-command';


const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-resume-'));
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
/** Iterations of a whole run: past the second checkpoint (14,000) of the interrupted one, with evaluations on both sides. */
const N = 20_000;

/**
 * A run "interrupted" (the SIGINT path) as soon as its `afterCheckpoints`-th checkpoint is written, with checkpoints
 * every `every` iterations: an event, not a time, so the outcome does not depend on the machine's speed or load.
 */
async function interruptedRun(out: string, afterCheckpoints: number, every: number): Promise<number> {
  const config: RunConfig = { problem: 'logreg-hpo', seed: 3, maxIter: N, evalEvery: 5000, out, json: true, progress: false, standardize: 'train', oracles: 'analytic', format: 'auto' } as RunConfig;
  let interrupt!: (signal: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  const onSaved = (_iteration: number, written: number) => {
    if (written === afterCheckpoints) interrupt('SIGINT');
  };
  return runCommand(config, { stdout: new Capture(), log: createLogger({ level: 'fatal', destination: new Capture() }), interrupted, checkpoints: { everyIterations: every, onSaved } });
}

test('interrupted, checkpointed and resumed: the same final bits and oracle counts as one uninterrupted run', async () => {
  const straight = join(tmp(), 'straight');
  const r0 = await cli(['run', '--seed', '3', '--max-iter', String(N), '--eval-every', '5000', '--out', straight, '--json']);
  assert.equal(r0.code, EXIT.ok, r0.stderr);
  const dir = join(tmp(), 'run');
  const code = await interruptedRun(dir, 2, 7000);
  assert.equal(code, EXIT.interrupted);
  const stopped = summaryOf(dir);
  assert.equal(stopped.status, 'interrupted');
  assert.ok(stopped.iterations < N, `stopped at ${stopped.iterations}`);
  assert.equal(stopped.checkpoint.iteration, stopped.iterations, 'the stop writes a checkpoint at the last completed step');
  const r1 = await cli(['run', '--resume', dir, '--json']);
  assert.equal(r1.code, EXIT.ok, r1.stderr);
  const resumed = summaryOf(dir);
  assert.equal(resumed.iterations, N);
  assert.deepEqual(resumed.x, summaryOf(straight).x, 'x to the bit');
  assert.deepEqual(resumed.oracleCalls, summaryOf(straight).oracleCalls);
  assert.equal(resumed.resumedFrom.iteration, stopped.iterations);
  // the trace holds each evaluation point once, in order
  const iters = readFileSync(join(dir, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iter);
  assert.deepEqual(iters, [...iters].sort((a, b) => a - b));
  assert.equal(new Set(iters).size, iters.length);
});

test('a corrupt latest checkpoint is detected and the previous one is used; with both bad, a clear refusal', async () => {
  const dir = join(tmp(), 'run');
  assert.equal(await interruptedRun(dir, 2, 3000), EXIT.interrupted);
  const file = join(dir, RUN_FILES.checkpoint);
  assert.ok(existsSync(`${file}.prev`), 'the previous checkpoint is kept');
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(file, bytes);
  const info = readResume(dir);
  assert.equal(info.resume.fromPrevious, true);
  const prev = readFileSync(`${file}.prev`);
  writeFileSync(`${file}.prev`, prev.subarray(0, prev.length - 100)); // truncated
  const r = await cli(['run', '--resume', dir]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /no usable checkpoint/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => /error/.test(l)).length, 1, r.stderr);
});

test('--resume refuses a folder that is not a run, and options that would change the run', async () => {
  const empty = tmp();
  const r1 = await cli(['run', '--resume', empty]);
  assert.equal(r1.code, EXIT.badInput);
  assert.match(r1.stderr, /no run-config\.json: not a folder written by `bilevel run`/);
  const short = join(tmp(), 'short');
  assert.equal((await cli(['run', '--max-iter', '500', '--out', short, '--log-level', 'fatal'])).code, EXIT.ok);
  const r0 = await cli(['run', '--resume', short]);
  assert.equal(r0.code, EXIT.badInput);
  assert.match(r0.stderr, /no checkpoint to resume from: the run wrote none/);
  const dir = join(tmp(), 'run');
  assert.equal(await interruptedRun(dir, 1, 3000), EXIT.interrupted);
  const r2 = await cli(['run', '--resume', dir, '--solver', 'soba', '--seed', '4']);
  assert.equal(r2.code, EXIT.badInput);
  assert.match(r2.stderr, /a resumed run keeps its saved options; remove --solver, --seed/);
});

test('an output folder that cannot be written is refused before any work', async () => {
  const base = tmp();
  writeFileSync(join(base, 'file'), 'x');
  const r = await cli(['run', '--out', join(base, 'file', 'run')]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /cannot create or write the output folder/);
});
