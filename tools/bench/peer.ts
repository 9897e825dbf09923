import { mkdirSync, writeFileSync } from 'node:fs';
import type { PeerTask } from './peer/peer-task';
import { dataCleaningTask, fashionMnistDir, logregTask } from './peer/peer-task';
import { peerSelfCheck } from './peer/self-check';
import { timeTask } from './peer/time-task';

/** Arguments of {@link benchPeer} (numbers, from `npm run bench -- peer --seeds 3 …`; 0/1 for switches). */
export interface PeerBenchArgs {
  /** Seeds per implementation; times are medians over them. Default 3. */
  readonly seeds?: number;
  /** 1: only check that the numpy code is the same algorithm (tools/bench/peer/self-check.ts). Default 0. */
  readonly check?: number;
  /** 1: longer runs and tighter targets. Default 0. */
  readonly full?: number;
  /** BLAS threads of the numpy process. Default 1 (our side runs on one thread). */
  readonly threads?: number;
  /** 0 skips the task. Default 1 each. */
  readonly logreg?: number;
  readonly datacleaning?: number;
  /** Run lengths and checkpoint spacing (the same on both sides). */
  readonly logregIters?: number;
  readonly logregEvery?: number;
  readonly dcIters?: number;
  readonly dcEvery?: number;
  /** A single target instead of the defaults: relative suboptimality (logreg), validation loss F(z_t) (cleaning). */
  readonly tol?: number;
  readonly dcTarget?: number;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`benchPeer: --${name} must be a positive integer, received ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`benchPeer: --${name} must be a finite number > 0, received ${value}`);
  return value;
}

function flag(name: string, value: number | undefined, fallback: 0 | 1): boolean {
  const v = value ?? fallback;
  if (v !== 0 && v !== 1) throw new RangeError(`benchPeer: --${name} must be 0 or 1, received ${v}`);
  return v === 1;
}

/** Where the per-checkpoint curves of every run go (relative to the working directory, as bench-results/<name>.json). */
const CURVES_FILE = 'bench-results/peer-curves.json';

const KNOWN = ['seeds', 'check', 'full', 'threads', 'logreg', 'datacleaning', 'logregIters', 'logregEvery', 'dcIters', 'dcEvery', 'tol', 'dcTarget'];

/**
 * `npm run bench -- peer`: SABA against a straightforward numpy implementation of the same algorithm
 * (tools/bench/peer/saba_numpy.py: same data, five SAGA memories over the same kind of blocks, same batch and steps,
 * a Python loop over iterations with vectorized numpy oracles), on the default logistic task and on Fashion-MNIST
 * data cleaning. Reports, per target, the median over seeds of the solver time to reach it, a first time and to stay
 * at or below it until the run's end (SABA's h oscillates on the way), evaluation excluded on both sides (numpy is
 * timed by its own clock around its iterations); the ratio numpy / ours for our plain loop and for our RxJS streams
 * (the product path); iterations to reach it; µs per iteration; the python and numpy versions. The per-checkpoint
 * curves of every run go to bench-results/peer-curves.json.
 * Targets: relative suboptimality 1e-4 and 1e-6 (logreg); validation loss at the iterate 0.6 and 0.5 (cleaning; on
 * the bundled subset, used when ../shared/data/fashion-mnist is missing, 0.6 and 0.45). Default: 40,000 / 3,000
 * iterations, about 3.5 minutes on the shared 2-core machine; `--full 1`: 60,000 / 8,000 and one more target each.
 * `--check 1` only runs the self-check that the numpy code is the same algorithm.
 */
export async function benchPeer(args: PeerBenchArgs = {}) {
  for (const key of Object.keys(args)) {
    if (!KNOWN.includes(key)) throw new RangeError(`benchPeer: unknown option --${key}; expected one of ${KNOWN.map((k) => `--${k}`).join(', ')}`);
  }
  if (flag('check', args.check, 0)) {
    const check = await peerSelfCheck();
    return { benchmark: 'peer', mode: 'check', passed: check.passed, rows: check.rows };
  }
  const full = flag('full', args.full, 0);
  const seeds = positiveInt('seeds', args.seeds ?? 3);
  const threads = positiveInt('threads', args.threads ?? 1);
  const tasks: PeerTask[] = [];
  if (flag('logreg', args.logreg, 1)) {
    tasks.push(
      logregTask({
        maxIter: positiveInt('logregIters', args.logregIters ?? (full ? 60_000 : 40_000)),
        every: positiveInt('logregEvery', args.logregEvery ?? 100),
        targets: args.tol !== undefined ? [positive('tol', args.tol)] : full ? [1e-4, 1e-6, 1e-8] : [1e-4, 1e-6],
      }),
    );
  }
  if (flag('datacleaning', args.datacleaning, 1)) {
    const dir = fashionMnistDir();
    const targets = dir ? (full ? [0.6, 0.5, 0.45] : [0.6, 0.5]) : full ? [0.6, 0.45, 0.35] : [0.6, 0.45];
    tasks.push(
      dataCleaningTask({
        dir,
        maxIter: positiveInt('dcIters', args.dcIters ?? (full ? 8_000 : dir ? 3_000 : 2_000)),
        every: positiveInt('dcEvery', args.dcEvery ?? 100),
        targets: args.dcTarget !== undefined ? [positive('dcTarget', args.dcTarget)] : targets,
      }),
    );
  }
  const results = [];
  const curves: Record<string, unknown> = {};
  let versions = { python: '?', numpy: '?' };
  for (const task of tasks) {
    const t = await timeTask(task, seeds, threads);
    versions = t.versions;
    const round = (c: { iter: number; seconds: number; metric: number }) => [c.iter, +c.seconds.toFixed(4), +c.metric.toPrecision(6)];
    results.push({
      task: task.name,
      description: task.description,
      metric: task.metricName,
      targets: task.targets,
      maxIter: task.maxIter,
      every: task.every,
      exportedMB: t.exportedMB,
      ...task.info,
      rows: t.rows,
    });
    curves[task.name] = { loop: t.curves.loop.map((c) => c.map(round)), streams: t.curves.streams.map((c) => c.map(round)), numpy: t.curves.numpy.map((c) => c.map(round)) };
  }
  // the curves are long: beside the summary rather than in it (main.ts prints the summary)
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(CURVES_FILE, JSON.stringify({ format: '[iteration, solver seconds, metric] per checkpoint, one array per seed', curves }) + '\n');
  return {
    benchmark: 'peer',
    versions: { node: process.version, ...versions },
    numpyBlasThreads: threads,
    seeds,
    note: 'times: median over seeds of solver seconds to the first checkpoint at or below the target, or from which the metric stays at or below it to the end (evaluation excluded); numpy/loop > 1 means ours is faster',
    curvesFile: CURVES_FILE,
    tasks: results.map(({ rows: _rows, ...rest }) => rest),
    rows: results.flatMap((r) => r.rows),
  };
}
