import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@bilevel/io';
import type { GridInput } from '../bench/grid-spec';
import { InProcessExecutor } from './in-process-executor';
import { RUNS_FOLDER } from './run-store';
import { sweepCommand } from './sweep-command';
import { runSweep } from './sweep-engine';
import type { SweepExecutor, SweepHooks, SweepJob } from './sweep-types';
import { Capture } from '../in-process-cli';

const BIN = fileURLToPath(new URL('../../bin/bilevel.mjs', import.meta.url));
/** The program gets this much heap: expanding 10⁹ runs (or 10⁶) would blow it within seconds. */
const HEAP_MB = 192;
/** Safety net for a program start (tsx, the libraries) on a loaded 2-core machine; the refusal itself is instant. */
const START_TIMEOUT_MS = 60_000;

const tmp = () => mkdtempSync(join(tmpdir(), 'grid-limits-'));

/** 1,000 problem rows × 10 solvers × 100,000 seeds = 10⁹ runs, in a file of about 0.8 MB. */
function billionRunGrid(): GridInput {
  return {
    name: 'billion',
    solvers: ['soba', 'saba', 'srba', 'amigo', 'stocbio', 'f2sa', 'maid', 'isgd', 'shine', 'esj'],
    seeds: Array.from({ length: 100_000 }, (_, i) => i),
    problems: Array.from({ length: 1000 }, (_, i) => ({
      label: `q${i}`,
      name: 'quadratic' as const,
      config: { seed: i },
      batch: 8,
      maxIter: 10,
      evalEvery: 5,
      evaluation: 'exact' as const,
      metric: 'suboptimality',
      tolerances: [1],
    })),
  };
}

/** Runs the real program with a small heap; its exit code, stderr, wall time and (with /usr/bin/time) peak RSS. */
function bilevel(args: string[]): Promise<{ code: number | null; stderr: string; seconds: number; peakMb?: number }> {
  const timed = existsSync('/usr/bin/time');
  const command = timed ? '/usr/bin/time' : process.execPath;
  const prefix = timed ? ['-f', 'peak-rss-kb %M', process.execPath] : [];
  const t0 = performance.now();
  // its own process group, so that the safety net kills node itself, not only /usr/bin/time
  const child = spawn(command, [...prefix, `--max-old-space-size=${HEAP_MB}`, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const safety = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), START_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(safety);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(safety);
      const seconds = (performance.now() - t0) / 1000;
      const kb = /peak-rss-kb (\d+)/.exec(stderr)?.[1];
      resolve({ code, stderr, seconds, ...(kb ? { peakMb: Number(kb) / 1024 } : {}) });
    });
  });
}

test('a grid of 10⁹ runs is refused at once with its count and --max-runs, within a small heap, nothing written; --status too', async (t) => {
  // Arrange
  const dir = tmp();
  try {
    const grid = join(dir, 'billion.json');
    writeFileSync(grid, JSON.stringify(billionRunGrid()));
    const out = join(dir, 'out');
    // Act: the sweep, and the queue status of the same grid (nothing listens on port 1: the count comes first), at once
    const [sweep, status] = await Promise.all([bilevel(['sweep', grid, '--out', out]), bilevel(['sweep', grid, '--queue', 'redis://127.0.0.1:1', '--status'])]);
    // Assert
    for (const [what, r] of [['sweep', sweep], ['--status', status]] as const) {
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /billion\.json: expands to 1,000,000,000 runs \(1,000 problem rows × up to 10 solvers × 100,000 seeds\), more than the limit of 100,000/, what);
      assert.match(r.stderr, /raise the limit with --max-runs 1000000000/, what);
      assert.doesNotMatch(r.stderr, /heap out of memory|cannot reach Redis/, what);
      t.diagnostic(`10⁹-run grid, ${what}: refused after ${r.seconds.toFixed(2)} s (program start included)${r.peakMb ? `, peak RSS ${r.peakMb.toFixed(0)} MB` : ''}`);
    }
    assert.ok(!existsSync(out), 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--max-runs: a grid of 12 runs is refused under --max-runs 11 and runs under 12', async () => {
  const dir = tmp();
  try {
    const grid = join(dir, 'twelve.json');
    const input: GridInput = {
      name: 'twelve',
      solvers: ['saba', 'soba', 'srba'],
      seeds: [0, 1, 2, 3],
      problems: [{ name: 'quadratic', batch: 16, maxIter: 20, evalEvery: 10, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
    };
    writeFileSync(grid, JSON.stringify(input));
    const io = { stdout: new Capture(), stderr: new Capture(), progress: false, executor: new InProcessExecutor() };
    await assert.rejects(
      sweepCommand({ grid, out: join(dir, 'a'), maxRuns: 11 }, io),
      (e: unknown) => e instanceof InputError && /expands to 12 runs \(1 problem row × up to 3 solvers × 4 seeds\), more than the limit of 11/.test(e.message),
    );
    assert.ok(!existsSync(join(dir, 'a')));
    assert.equal(await sweepCommand({ grid, out: join(dir, 'b'), maxRuns: 12, json: true }, io), 0);
    assert.equal(JSON.parse(io.stdout.text.trim().split('\n').at(-1)!).ran, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An executor that records what the sweep folder held whenever it takes a job, then runs it in process. */
class Inspecting implements SweepExecutor {
  readonly description = 'inspecting';
  readonly specFilesAtTake: number[] = [];
  private readonly inner = new InProcessExecutor();
  constructor(private readonly runsDir: string) {}

  async execute(jobs: Iterable<SweepJob>, hooks: SweepHooks): Promise<void> {
    const runsDir = this.runsDir;
    const seen = this.specFilesAtTake;
    const watched: Iterable<SweepJob> = {
      *[Symbol.iterator]() {
        for (const job of jobs) {
          seen.push(readdirSync(runsDir).filter((k) => existsSync(join(runsDir, k, 'spec.json'))).length);
          yield job;
        }
      },
    };
    await this.inner.execute(watched, hooks);
  }

  async close(): Promise<void> {}
}

test('a raised limit: the runs go to the executor one at a time and each run folder is written with its result, none before', async () => {
  // Arrange: 30 runs (the 10⁶-run case, scaled down: what matters is that nothing is written per run up front)
  const dir = tmp();
  try {
    const out = join(dir, 'sweep');
    const grid: GridInput = {
      name: 'lazy',
      solvers: ['saba', 'soba', 'srba'],
      seeds: Array.from({ length: 10 }, (_, i) => i),
      problems: [{ name: 'quadratic', batch: 16, maxIter: 10, evalEvery: 5, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }],
    };
    const executor = new Inspecting(join(out, RUNS_FOLDER));
    // Act
    const outcome = await runSweep(grid, { out, executor, maxRuns: 30 });
    // Assert: when the k-th run was taken, exactly the k − 1 runs before it had their folder
    assert.equal(outcome.ran, 30);
    assert.deepEqual(executor.specFilesAtTake, Array.from({ length: 30 }, (_, k) => k));
    assert.equal(readdirSync(join(out, RUNS_FOLDER)).length, 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
