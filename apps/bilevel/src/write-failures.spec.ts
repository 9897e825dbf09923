// Write failures of `bilevel run` (issue 16, items 8 and 9): a trace or summary that cannot be written ends the run
// with its own exit code and one line naming the file (never "diverged", never a stack trace), the last good
// checkpoint survives and --resume continues; a partial last trace line is dropped on resume; read-only folders
// are "not writable"; failed checkpoint writes back off instead of being retried at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';
import { makeReadOnly, nodeWithFileSizeLimit } from './fs-faults';
import { readResume, RUN_FILES } from './run-command';

const BIN = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'bilevel-write-'));
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const traceIters = (dir: string) => readFileSync(join(dir, RUN_FILES.trace), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).iter as number);

/** A short run that leaves a checkpoint behind (checked), for the resume cases. */
async function runWithCheckpoint(dir: string): Promise<void> {
  const r = await cli(['run', '--seed', '3', '--max-iter', '6000', '--eval-every', '1000', '--checkpoint-every', '0.0005', '--out', dir, '--log-level', 'fatal']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.ok(readResume(dir).resume.state.versions.x.k > 0, 'the run wrote a checkpoint');
}

test('a trace that cannot be written (full disk mid-line): exit writeFailed, one line naming the file; the checkpoint survives and --resume finishes', () => {
  const dir = join(tmp(), 'run');
  // files of at most 48 KiB: the 34 KB checkpoints fit, the trace (~460 bytes a line) fails near line 106, mid-line
  const r = nodeWithFileSizeLimit(48, [BIN, 'run', '--seed', '3', '--max-iter', '30000', '--eval-every', '100', '--checkpoint-every', '0.002', '--out', dir, '--json', '--log-level', 'error']);

  assert.equal(r.status, EXIT.writeFailed, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^bilevel: error: could not write \S+trace\.jsonl \(EFBIG: file too large, write\); the run stopped at iteration \d+; the last good checkpoint \(iteration \d+\) is kept in \S+checkpoint\.bin: free space, then continue with bilevel run --resume \S+$/);
  assert.equal(lastJson(r.stdout).status, 'write-failed');
  assert.ok(readFileSync(join(dir, RUN_FILES.trace), 'utf8').endsWith('}\n'), 'whole lines only');
  const stoppedAt = traceIters(dir).at(-1)!;
  const kept = readResume(dir).resume.state.versions.x.k;
  assert.ok(kept > 0 && kept <= stoppedAt + 100, `checkpoint at ${kept}, trace to ${stoppedAt}`);

  const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', dir, '--json', '--log-level', 'error'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(resumed.status, EXIT.ok, resumed.stderr);
  assert.equal(lastJson(resumed.stdout).iterations, 30000);
  const iters = traceIters(dir);
  assert.deepEqual(iters, Array.from({ length: 301 }, (_, i) => i * 100), 'every evaluation point once, in order');
});

test('a summary that cannot be written: exit writeFailed and one line, no stack trace', async () => {
  const dir = join(tmp(), 'run');
  await runWithCheckpoint(dir);
  rmSync(join(dir, 'summary.json'));
  mkdirSync(join(dir, 'summary.json'));
  writeFileSync(join(dir, 'summary.json', 'occupied'), 'x'); // a folder in its place: the rename fails

  const r = await cli(['run', '--resume', dir, '--json', '--log-level', 'fatal']);

  assert.equal(r.code, EXIT.writeFailed, r.stderr);
  assert.match(r.stderr, /^bilevel: error: could not write \S+summary\.json \((EISDIR|ENOTEMPTY|EEXIST)[^)]*\); the run ended \(finished\) at iteration 6000; the last good checkpoint \(iteration \d+\) is kept in \S+: free space, then continue with bilevel run --resume \S+\n$/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(lastJson(r.stdout).iterations, 6000, 'the results are printed all the same');
});

test('--resume drops a partial last trace line (a line without its newline) inside the checkpoint\'s position', async () => {
  const dir = join(tmp(), 'run');
  await runWithCheckpoint(dir);
  const { bytes } = readResume(dir).resume.trace;
  const path = join(dir, RUN_FILES.trace);
  const text = readFileSync(path);
  const start = text.subarray(0, bytes - 1).lastIndexOf(0x0a) + 1; // the last whole line before the position
  // what a short write followed by a whole one left: 20 bytes of that line, then the line itself
  writeFileSync(path, Buffer.concat([text.subarray(0, start), text.subarray(start, start + 20), text.subarray(start)]));

  const r = await cli(['run', '--resume', dir, '--json', '--log-level', 'fatal']);

  assert.equal(r.code, EXIT.ok, r.stderr);
  const iters = traceIters(dir);
  assert.deepEqual(iters, [...new Set(iters)].sort((a, b) => a - b), 'valid JSON Lines, each point once, in order');
  assert.equal(iters.at(-1), 6000);
});

test('--resume into a read-only folder: one clear line, exit 2, nothing written', async (t) => {
  const dir = join(tmp(), 'run');
  await runWithCheckpoint(dir);
  const before = readdirSync(dir).sort();
  if (!makeReadOnly(t, dir)) return;

  const r = await cli(['run', '--resume', dir]);

  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /^bilevel: error: --resume: \S+ is not writable \((EROFS: read-only file system|EACCES: permission denied)\); nothing was written\n$/);
  assert.deepEqual(readdirSync(dir).sort(), before);
});

test('a read-only --out is reported as not writable, not ENOENT', async (t) => {
  const base = tmp();
  if (!makeReadOnly(t, base)) return;

  const r = await cli(['run', '--out', join(base, 'new', 'run')]);

  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /cannot create or write the output folder: \S+ is not writable \((EROFS|EACCES)/);
  assert.doesNotMatch(r.stderr, /ENOENT/);
});

test('checkpoints that keep failing back off: a bounded number of attempts, one warning, nothing left behind', () => {
  const dir = join(tmp(), 'run');
  const every = 0.002;
  // about a second of solver time: the back-off reaches its cap (every·64, after six failures) within a quarter of it
  const steps = 60_000;
  // files of at most 24 KiB: every 34 KB checkpoint fails, the trace and the summary fit
  const r = nodeWithFileSizeLimit(24, [BIN, 'run', '--seed', '3', '--max-iter', String(steps), '--eval-every', String(steps / 4), '--checkpoint-every', String(every), '--out', dir, '--json', '--log-level', 'debug']);

  assert.equal(r.status, EXIT.ok, r.stderr.slice(-2000));
  const logs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
  const warnings = logs.filter((l) => l.level === 40 && /could not write the checkpoint/.test(l.msg));
  const summary = lastJson(r.stdout);
  const attempts = summary.checkpointFailures.count as number;
  // back-off: after k failures the next attempt waits every·2^k, at most every·64
  const bound = 8 + Math.ceil(summary.solverSeconds / (every * 64));
  console.log(`logreg-hpo, ${steps.toLocaleString('en')} SABA steps in ${summary.solverSeconds.toFixed(2)} s of solver time, a checkpoint due every ${every} s: ${attempts} failed attempts (bound ${bound}), ${warnings.length} warning`);
  assert.equal(warnings.length, 1, `one warning for one kind of failure, not one per attempt (${warnings.length})`);
  assert.ok(attempts >= 2 && attempts <= bound, `${attempts} attempts in ${summary.solverSeconds.toFixed(2)} s of solver time (bound ${bound})`);
  assert.equal(summary.checkpointFailures.code, 'EFBIG');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.') || f.startsWith('checkpoint')), [], 'no checkpoint, temporary file or link left');
});
