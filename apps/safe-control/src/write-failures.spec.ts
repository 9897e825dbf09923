// Write failures of `safe-control train` (issue 16, items 8 and 9): an output file that cannot be written (a full
// disk) ends the training with the exit code bilevel uses for it and one line naming the file, the last good
// checkpoint kept; read-only folders are "not writable" (--out, --resume) in one line; failed checkpoint writes
// back off, with one warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit-codes';
import { cli } from './in-process-cli';
import { makeReadOnly, nodeWithFileSizeLimit } from './fs-faults';
import { readTrainResume } from './train-checkpoint';

const BIN = fileURLToPath(new URL('../bin/safe-control.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'safe-control-write-'));
const POLY = ['--system', 'pj', '--samples', '2000', '--trajectories', '3'];
/** bilevel's code for the same failure: both programs report a full disk alike. */
const BILEVEL_WRITE_FAILED = 6;

test('a full disk at the end of a training: exit writeFailed (as bilevel), one line naming the file, the checkpoint kept', () => {
  const dir = join(tmp(), 'run');
  // files of at most 32 KiB: train-config.json, the 3 KB checkpoint and policy.json fit, phase.svg (~58 KB) does not
  const r = nodeWithFileSizeLimit(32, [BIN, 'train', ...POLY, '--max-iter', '5', '--out', dir, '--log-level', 'error']);

  assert.equal(r.status, EXIT.writeFailed, r.stderr);
  assert.equal(EXIT.writeFailed, BILEVEL_WRITE_FAILED);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^safe-control: error: could not write \S+phase\.svg \(EFBIG: file too large, write\); the training ended \(max-iter\) at iteration 5; the last good checkpoint \(iteration 5\) is kept in \S+checkpoint\.bin: free space, then continue with safe-control train --resume \S+$/);
  assert.match(r.stdout, /NOT CERTIFIED after 5 iterations/, 'the result is printed all the same');
  assert.doesNotMatch(r.stdout, /Wrote /);
  assert.equal((readTrainResume(dir).resume.state.policy as { iteration: number }).iteration, 5);
});

test('--resume into a read-only folder: one clear line, exit 2, nothing written', async (t) => {
  const dir = join(tmp(), 'run');
  assert.equal((await cli(['train', ...POLY, '--max-iter', '2', '--out', dir, '--log-level', 'fatal'])).code, EXIT.notCertified);
  const before = readdirSync(dir).sort();
  if (!makeReadOnly(t, dir)) return;

  const r = await cli(['train', '--resume', dir, '--max-iter', '4']);

  assert.equal(r.code, EXIT.badInput, r.stderr);
  assert.match(r.stderr, /^safe-control: error: --resume: \S+ is not writable \((EROFS: read-only file system|EACCES: permission denied)\); nothing was written\n$/);
  assert.deepEqual(readdirSync(dir).sort(), before);
});

test('a read-only --out is reported as not writable, not ENOENT', async (t) => {
  const base = tmp();
  if (!makeReadOnly(t, base)) return;

  const r = await cli(['train', ...POLY, '--out', join(base, 'new')]);

  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /cannot create or write the output folder: \S+ is not writable \((EROFS|EACCES)/);
  assert.doesNotMatch(r.stderr, /ENOENT/);
});

test('checkpoints that keep failing back off: one warning, attempts bounded, no temporary file left', () => {
  const dir = join(tmp(), 'run');
  const every = 0.02;
  // files of at most 64 KiB: every ~86 KB neural checkpoint fails (and so, at the end, does phase.svg)
  const r = nodeWithFileSizeLimit(64, [BIN, 'train', '--system', 'pj', '--track', 'neural', '--samples', '500', '--trajectories', '2', '--max-iter', '14', '--checkpoint-every', String(every), '--out', dir, '--json', '--log-level', 'debug']);

  assert.equal(r.status, EXIT.writeFailed, r.stderr.slice(-2000));
  const logs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; time: number; msg: string });
  const attempts = logs.filter((l) => /could not write the checkpoint/.test(l.msg));
  const warnings = attempts.filter((l) => l.level === 40);
  const seconds = (logs.at(-1)!.time - logs[0].time) / 1000;
  const bound = 8 + Math.ceil(seconds / (every * 64));
  console.log(`neural pj, 14 steps in ${seconds.toFixed(1)} s: ${attempts.length} checkpoint attempts failed (bound ${bound}), ${warnings.length} warning`);
  assert.equal(warnings.length, 1, `one warning for one kind of failure (${warnings.length})`);
  assert.ok(attempts.length >= 2 && attempts.length <= bound, `${attempts.length} attempts in ${seconds} s (bound ${bound})`);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.') || f.startsWith('checkpoint')), []);
});
