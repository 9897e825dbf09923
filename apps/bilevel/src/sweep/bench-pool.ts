import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GridInput } from '../bench/grid-spec';
import { MAX_POOL_WORKERS, ProcessPool } from './process-pool';
import { runSweep } from './sweep-engine';

/** Outer steps of each run of {@link poolBenchGrid}: about 1–2 s of SOBA / SABA / SRBA on the breast-cancer task. */
export const POOL_BENCH_MAX_ITER = 60_000;

/**
 * The grid of {@link benchSweepPool}: logreg-hpo (bundled breast cancer, one shared L2 weight, batch 32) × SOBA,
 * SABA, SRBA × `seeds` seeds, each run bounded by `maxIter` outer steps (not seconds) so the work is the same
 * whatever the machine's load, with a few exact evaluations on a geometric schedule.
 */
export function poolBenchGrid(seeds = 4, maxIter = POOL_BENCH_MAX_ITER): GridInput {
  return {
    name: 'pool-bench',
    solvers: ['soba', 'saba', 'srba'],
    seeds: Array.from({ length: seeds }, (_, i) => i),
    problems: [{ name: 'logreg-hpo', config: { reg: 'scalar' }, batch: 32, maxIter, evalEvery: 100, evalGrowth: 4, evaluation: 'exact', metric: 'suboptimality', tolerances: [1e-2] }],
  };
}

/** A fixed CPU-bound loop in a fresh Node process (about 1 s on this machine when idle). */
const SPIN = 'let x = 0; for (let i = 0; i < 3e8; i++) x += Math.sqrt(i); if (!(x > 0)) process.exit(1);';

/**
 * The speed-up the machine offers right now: wall time of {@link SPIN} in one process over that of `n` copies
 * running at once (n when n idle cores are free; about 1 when other processes already use them).
 */
export async function parallelCeiling(n: number): Promise<number> {
  const wall = async (copies: number) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: copies }, () => new Promise<void>((resolve, reject) => execFile(process.execPath, ['-e', SPIN], (err) => (err ? reject(err) : resolve())))));
    return (performance.now() - t0) / 1000;
  };
  const one = await wall(1);
  return (n * one) / (await wall(n));
}

/**
 * `npm run bench -- sweep [--workers 2] [--seeds 4] [--maxIter 60000]`: the speed-up of the sweep's embedded
 * pool over one worker process, on the fixed work of {@link poolBenchGrid} (12 runs by default). Each pool size
 * runs the whole sweep into a fresh folder: wall time from the grid to the written report, the children's start
 * (tsx, tfjs, the problem and h* in each child) included. Reports the load average around each measurement and
 * the machine's parallel ceiling ({@link parallelCeiling}) before and after, since other processes may share the
 * cores.
 */
export async function benchSweepPool(args: Record<string, number> = {}): Promise<{ rows: Record<string, unknown>[] } & Record<string, unknown>> {
  const workers = args.workers ?? 2;
  const seeds = args.seeds ?? 4;
  const maxIter = args.maxIter ?? POOL_BENCH_MAX_ITER;
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`benchSweepPool: --${name} is ${value}; expected an integer from ${min} to ${max}`);
  };
  check('workers', workers, 2, MAX_POOL_WORKERS);
  check('seeds', seeds, 1, 100);
  check('maxIter', maxIter, 1, 1e9);
  const grid = poolBenchGrid(seeds, maxIter);
  const base = mkdtempSync(join(tmpdir(), 'bench-pool-'));
  const rows: Record<string, unknown>[] = [];
  const ceilingBefore = await parallelCeiling(workers);
  try {
    for (const n of [1, workers]) {
      const pool = new ProcessPool({ workers: n });
      const load = loadavg()[0];
      const t0 = performance.now();
      try {
        const o = await runSweep(grid, { out: join(base, `w${n}`), executor: pool });
        const seconds = (performance.now() - t0) / 1000;
        const solver = o.report.results.reduce((s, r) => s + r.solverSeconds, 0);
        rows.push({
          workers: n,
          runs: o.ran,
          failed: o.failed,
          'wall s': Number(seconds.toFixed(2)),
          'runs/s': Number((o.ran / seconds).toFixed(3)),
          'solver s (sum)': Number(solver.toFixed(2)),
          'load before': Number(load.toFixed(2)),
          'load after': Number(loadavg()[0].toFixed(2)),
        });
      } finally {
        await pool.close();
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const ceilingAfter = await parallelCeiling(workers);
  const speedUp = (rows[0]['wall s'] as number) / (rows[1]['wall s'] as number);
  return {
    benchmark: 'sweep',
    cores: availableParallelism(),
    workers,
    runs: rows[0].runs,
    speedUp: Number(speedUp.toFixed(2)),
    ceiling: [Number(ceilingBefore.toFixed(2)), Number(ceilingAfter.toFixed(2))],
    rows,
  };
}
