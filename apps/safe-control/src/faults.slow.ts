// Fault trials of `safe-control train` with the real program (bin/safe-control.mjs in child processes): kill -9 at
// seeded random moments of a checkpointing training, then --resume: every trial either continues from its last
// checkpoint and ends with the bits of an uninterrupted training (θ, c*, the verdicts), or (killed before the first
// checkpoint) is refused with a clear message; never a corrupt file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@bilevel/linalg';
import { readTrainResume } from './train-checkpoint';

const BIN = fileURLToPath(new URL('../bin/safe-control.mjs', import.meta.url));
/** Lane keeping certifies after 42 iterations of ~0.1–0.3 s: long enough to be killed anywhere in it. */
const ARGS = ['train', '--system', 'lane-keeping', '--samples', '5000', '--trajectories', '3', '--json', '--log-level', 'error'];
const TRIALS = 8;

function runToEnd(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
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

const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { theta: number[]; cStar: number; iterations: number; certified: boolean };

test(`safe-control: kill -9 at ${TRIALS} random moments, then --resume: the uninterrupted bits, or a clear refusal`, async () => {
  const base = mkdtempSync(join(tmpdir(), 'safe-control-kill-'));
  const straight = join(base, 'straight');
  assert.equal(runToEnd([...ARGS, '--out', straight]).code, 0);
  const reference = report(straight);
  const rng = Rng.fromSeed(2027);
  const outcomes: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const dir = join(base, `trial-${trial}`);
    const ms = 2000 + rng.float() * 6000; // ~1.5 s to start (module loading, HiGHS), then ~6 s of training
    await killedAfter([...ARGS, '--out', dir, '--checkpoint-every', '0.2'], ms);
    let iteration: number;
    try {
      iteration = (readTrainResume(dir).resume.state.policy as { iteration: number }).iteration;
    } catch (err) {
      assert.match((err as Error).message, /no checkpoint to resume from|no usable checkpoint|no train-config\.json/, `trial ${trial}: ${(err as Error).message}`);
      const r = runToEnd(['train', '--resume', dir]);
      assert.equal(r.code, 2, `trial ${trial}: a folder without a checkpoint is refused`);
      outcomes.push(`${ms.toFixed(0)} ms: killed before the first checkpoint, resume refused`);
      continue;
    }
    const r = runToEnd(['train', '--resume', dir, '--json', '--log-level', 'error']);
    assert.equal(r.code, 0, `trial ${trial}: ${r.stderr}`);
    const got = report(dir);
    assert.deepEqual(got.theta, reference.theta, `trial ${trial}: resumed from ${iteration}, same θ`);
    assert.equal(got.cStar, reference.cStar);
    assert.equal(got.iterations, reference.iterations);
    outcomes.push(`${ms.toFixed(0)} ms: resumed from iteration ${iteration}, final θ and c* identical`);
  }
  console.log(`safe-control kill -9 trials:\n  ${outcomes.join('\n  ')}`);
  assert.ok(outcomes.filter((o) => o.includes('resumed')).length >= TRIALS / 2, 'most trials had a checkpoint to resume from');
  rmSync(base, { recursive: true, force: true });
});
