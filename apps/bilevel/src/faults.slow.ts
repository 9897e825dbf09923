// Fault trials with the real program (bin/bilevel.mjs in child processes): kill -9 at seeded random moments of a
// checkpointing run, then --resume: every trial either resumes from its last checkpoint and ends with the bits of
// an uninterrupted run, or (killed before the first checkpoint) is refused with a clear message; never a corrupt
// file. And a full disk (a 160 KiB tmpfs, when this machine lets us mount one): the run ends with exit 6 and one
// line, the trace holds whole lines, the checkpoints stay two distinct good files, and the run resumes elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@bilevel/linalg';
import { readCheckpoint } from '@bilevel/telemetry';
import { readResume } from './run-command';

const BIN = fileURLToPath(new URL('../bin/bilevel.mjs', import.meta.url));
const ARGS = ['run', '--seed', '7', '--max-iter', '400000', '--eval-every', '50000', '--json', '--log-level', 'error'];
const TRIALS = 12;

function runToEnd(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function killedAfter(args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const finalX = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).x as number[];

test(`kill -9 at ${TRIALS} random moments, then --resume: same final bits, or a clear refusal before the first checkpoint`, async () => {
  const base = mkdtempSync(join(tmpdir(), 'bilevel-kill-'));
  const straight = join(base, 'straight');
  assert.equal(runToEnd([...ARGS, '--out', straight]).code, 0);
  const reference = finalX(straight);
  const rng = Rng.fromSeed(2026);
  const outcomes: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const dir = join(base, `trial-${trial}`);
    const ms = 2500 + rng.float() * 3500; // the program needs ~2 s to start (module loading, data, h*)
    await killedAfter([...ARGS, '--out', dir, '--checkpoint-every', '0.1'], ms);
    let iteration: number | undefined;
    try {
      iteration = readResume(dir).resume.state.versions.x.k;
    } catch (err) {
      assert.match((err as Error).message, /no checkpoint to resume from|no usable checkpoint|no run-config\.json/, `trial ${trial}: ${(err as Error).message}`);
      const r = runToEnd(['run', '--resume', dir]);
      assert.equal(r.code, 2, `trial ${trial}: a folder without a checkpoint is refused`);
      outcomes.push(`${ms.toFixed(0)} ms: killed before the first checkpoint, resume refused`);
      continue;
    }
    const r = runToEnd(['run', '--resume', dir, '--json', '--log-level', 'error']);
    assert.equal(r.code, 0, `trial ${trial}: ${r.stderr}`);
    assert.deepEqual(finalX(dir), reference, `trial ${trial}: resumed from ${iteration}, same bits`);
    outcomes.push(`${ms.toFixed(0)} ms: resumed from iteration ${iteration}, final x identical`);
  }
  console.log(`kill -9 trials:\n  ${outcomes.join('\n  ')}`);
  assert.ok(outcomes.filter((o) => o.includes('resumed')).length >= TRIALS / 2, 'most trials had a checkpoint to resume from');
  rmSync(base, { recursive: true, force: true });
});

test('a full disk (a 160 KiB tmpfs): exit 6 with one line, whole trace lines, two distinct good checkpoints, nothing left behind; --resume elsewhere finishes', (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'bilevel-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`SKIPPED: cannot mount a small tmpfs here (${mount.stderr.trim() || 'mount failed'})`);
    rmSync(mnt, { recursive: true, force: true });
    return;
  }
  const copy = join(mkdtempSync(join(tmpdir(), 'bilevel-full-copy-')), 'run');
  try {
    const dir = join(mnt, 'run');
    mkdirSync(dir);
    // 3,000 trace lines of ~460 bytes cannot fit: the checkpoints (34 KB, three at a time while one is written) fail
    // first as the trace grows, then the trace itself
    const r = runToEnd(['run', '--seed', '7', '--max-iter', '300000', '--eval-every', '100', '--json', '--log-level', 'warn', '--out', dir, '--checkpoint-every', '0.02']);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('bilevel: '));
    const warnings = r.stderr.split('\n').filter((l) => l.includes('could not write the checkpoint'));
    console.log(`full disk: exit ${r.code}; ${warnings.length} checkpoint warning(s); ${errors[0] ?? ''}`);
    assert.equal(r.code, 6, r.stderr.slice(-3000));
    assert.equal(errors.length, 1, r.stderr.slice(-3000));
    assert.match(errors[0], /^bilevel: error: could not write \S+trace\.jsonl \(ENOSPC: no space left on device, write\); the run stopped at iteration \d+; the last good checkpoint \(iteration \d+\) is kept in \S+checkpoint\.bin: free space, then continue with bilevel run --resume \S+$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(warnings.length <= 1, `one warning for the ENOSPC checkpoints (${warnings.length})`);
    assert.ok(readFileSync(join(dir, 'trace.jsonl'), 'utf8').endsWith('}\n'), 'whole trace lines only');
    const files = readdirSync(dir);
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no temporary file or link left');
    const info = readResume(dir);
    assert.ok(info.resume.state.versions.x.k > 0 && !info.resume.fromPrevious, 'the latest checkpoint verifies');
    if (files.includes('checkpoint.bin.prev')) {
      assert.notEqual(statSync(join(dir, 'checkpoint.bin')).ino, statSync(join(dir, 'checkpoint.bin.prev')).ino, 'two different files');
      readCheckpoint(join(dir, 'checkpoint.bin.prev'), { kind: 'bilevel-run' });
    }
    // with room again (a copy on the big disk), --resume finishes the run
    cpSync(dir, copy, { recursive: true });
    const resumed = runToEnd(['run', '--resume', copy, '--json', '--log-level', 'error']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const iters = readFileSync(join(copy, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iter as number);
    assert.deepEqual(iters, Array.from({ length: 3001 }, (_, i) => i * 100));
  } finally {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
