import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { headline } from './peer/headline';
import { implementations } from './peer/implementations';
import type { PeerTask } from './peer/peer-task';
import { dataCleaningTask, fashionMnistDir, logregTask } from './peer/peer-task';
import type { Peer } from './peer/run-peer';
import { PEERS } from './peer/run-peer';
import { peerSelfCheck } from './peer/self-check';
import { timeTask } from './peer/time-task';
import { ensureNumba } from './probe/ensure-numba';

/** Arguments of {@link benchPeer} (numbers, from `npm run bench -- peer --seeds 3 …`; 0/1 for switches). */
export interface PeerBenchArgs {
  /** Seeds per implementation; times are medians over them. Default 3. */
  readonly seeds?: number;
  /** 1: only check that the numpy and numba code is the same algorithm (tools/bench/peer/self-check.ts). Default 0. */
  readonly check?: number;
  /** 1: longer runs and more targets. Default 0. */
  readonly full?: number;
  /**
   * BLAS threads of the Python peers. Default 1 (as our loop and streams). When the threads driver runs on a
   * different count, the Python peers also run at that many BLAS threads (ids numpy-2t, numba-2t…).
   */
  readonly threads?: number;
  /** Threads of our threads driver (the jacobi streams in worker threads): 2 or 3; 0 skips it. Default 2. */
  readonly ourThreads?: number;
  /** 0 skips the task. Default 1 each. */
  readonly logreg?: number;
  readonly datacleaning?: number;
  /** 0 skips the numba peer (and its installation). Default 1. */
  readonly numba?: number;
  /** Run lengths and checkpoint spacing (the same for every implementation). */
  readonly logregIters?: number;
  readonly logregEvery?: number;
  readonly dcIters?: number;
  readonly dcEvery?: number;
  /** A single target instead of the defaults: relative suboptimality (logreg), test error (cleaning). */
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

const KNOWN = ['seeds', 'check', 'full', 'threads', 'ourThreads', 'logreg', 'datacleaning', 'numba', 'logregIters', 'logregEvery', 'dcIters', 'dcEvery', 'tol', 'dcTarget'];

/**
 * `npm run bench -- peer`: SABA against two Python implementations of the same algorithm, on the same data, block
 * orders' kind, batch and steps: a numpy one (tools/bench/peer/saba_numpy.py: a Python loop over iterations, BLAS
 * matmuls on the gathered minibatch, no per-sample Python loops) and a numba one (saba_numba.py: the same, the run
 * between two checkpoints one `@njit` function with `np.dot` inside; Debian's python3-numba, installed with apt-get
 * when missing, skipped with a message when it cannot be). Every implementation runs in its own process (ours in
 * tools/bench/peer/toolkit-child.ts: runLoop and the RxJS streams on one thread, and the jacobi streams on
 * `--ourThreads` 2 or 3 threads; the Python peers at `--threads` BLAS threads, default 1, and again at the threads
 * driver's count, so that each budget of ours meets the peers at the same budget), interleaved seed by seed. Our
 * streams and threads drivers must produce the loop's checkpoints bit for bit (checked on every seed; a mismatch
 * throws). Tasks: the default logistic task (breast cancer, targets: relative suboptimality 1e-4 and 1e-6) and
 * Fashion-MNIST data cleaning (n = 20,000, targets: test error 17.5% and 18%; the bundled subset when
 * ../shared/data/fashion-mnist is missing). Per target and implementation: median over seeds of µs per iteration
 * (CPU, all threads, and wall), of the solver CPU seconds to reach the target a first time and to stay at or below
 * it to the end, of the wall seconds to reach it, iterations, and peak resident memory. The last stdout line is the
 * JSON result; its `headline` (peer/headline.ts) holds per implementation µs per iteration and time to the first
 * target on both clocks and peak memory, and the Python/ours ratios on both clocks. The per-checkpoint curves go to
 * bench-results/peer-curves.json. Default: 40,000 / 4,000 iterations (about 9 minutes on the shared 2-core
 * machine); `--full 1`: 60,000 / 8,000 and one more target each. `--check 1` only runs the
 * self-check that both Python peers are the same algorithm (replayed minibatches).
 */
export async function benchPeer(args: PeerBenchArgs = {}) {
  for (const key of Object.keys(args)) {
    if (!KNOWN.includes(key)) throw new RangeError(`benchPeer: unknown option --${key}; expected one of ${KNOWN.map((k) => `--${k}`).join(', ')}`);
  }
  const check = flag('check', args.check, 0);
  const full = flag('full', args.full, 0);
  const withNumba = flag('numba', args.numba, 1);
  const seeds = positiveInt('seeds', args.seeds ?? 3);
  const threads = positiveInt('threads', args.threads ?? 1);
  const ourThreads = args.ourThreads ?? 2;
  if (ourThreads !== 0 && ourThreads !== 2 && ourThreads !== 3) throw new RangeError(`benchPeer: --ourThreads must be 2 or 3 (0: no threads driver), received ${ourThreads}`);
  const wantLogreg = flag('logreg', args.logreg, 1);
  const wantCleaning = flag('datacleaning', args.datacleaning, 1);
  const logregIters = positiveInt('logregIters', args.logregIters ?? (full ? 60_000 : 40_000));
  const logregEvery = positiveInt('logregEvery', args.logregEvery ?? 100);
  const tol = args.tol !== undefined ? positive('tol', args.tol) : undefined;
  const dcTarget = args.dcTarget !== undefined ? positive('dcTarget', args.dcTarget) : undefined;
  const dcEvery = positiveInt('dcEvery', args.dcEvery ?? 100);
  const dcItersArg = args.dcIters !== undefined ? positiveInt('dcIters', args.dcIters) : undefined;

  let numbaPython: string | null = null;
  let numbaNote = 'not run (--numba 0)';
  if (withNumba) {
    const setup = ensureNumba();
    numbaPython = setup.python;
    if (setup.python === null) {
      numbaNote = setup.skipped;
      console.error(`benchPeer: ${numbaNote}`);
    } else numbaNote = setup.installed.length ? `installed ${setup.installed.join(', ')}; ${setup.python}` : setup.python;
  }
  if (check) {
    const res = await peerSelfCheck(numbaPython);
    return { benchmark: 'peer', mode: 'check', numba: numbaNote, passed: res.passed, rows: res.rows };
  }
  const peers: Peer[] = PEERS.filter((p) => (p !== 'numba' || numbaPython !== null) && (p !== 'threads' || ourThreads > 0));
  const impls = implementations({ peers, blasThreads: threads, ourThreads });

  const tasks: PeerTask[] = [];
  if (wantLogreg) tasks.push(logregTask({ maxIter: logregIters, every: logregEvery, targets: tol !== undefined ? [tol] : full ? [1e-4, 1e-6, 1e-8] : [1e-4, 1e-6] }));
  if (wantCleaning) {
    const dir = fashionMnistDir();
    const targets = dir ? (full ? [0.175, 0.18, 0.17] : [0.175, 0.18]) : full ? [0.3, 0.25, 0.22] : [0.3, 0.25];
    tasks.push(dataCleaningTask({ dir, maxIter: dcItersArg ?? (full ? 8_000 : dir ? 4_000 : 2_000), every: dcEvery, targets: dcTarget !== undefined ? [dcTarget] : targets }));
  }
  const results = [];
  const curves: Record<string, unknown> = {};
  for (const task of tasks) {
    const loadBefore = loadavg();
    const t = await timeTask(task, { seeds, impls, ...(numbaPython ? { numbaPython } : {}) });
    const loadAfter = loadavg();
    const round = (c: { iter: number; seconds: number; metric: number }) => [c.iter, +c.seconds.toFixed(4), +c.metric.toPrecision(6)];
    results.push({
      task: task.name,
      description: task.description,
      metric: task.metricName,
      targets: task.targets,
      maxIter: task.maxIter,
      every: task.every,
      exportedMB: t.exportedMB,
      versions: t.versions,
      ...(t.numbaCompileSeconds !== undefined ? { numbaCompileSeconds: t.numbaCompileSeconds } : {}),
      ...task.info,
      bitIdenticalToLoop: t.bitIdenticalToLoop,
      // the machine's load averages (1, 5, 15 min) before and after the task: wall times mean little on a loaded machine
      loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: loadAfter.map((l) => +l.toFixed(2)), cores: availableParallelism() },
      headline: headline(task.targets, t, impls),
      rows: t.rows,
    });
    curves[task.name] = Object.fromEntries(impls.map((m) => [m.id, (t.curves[m.id] ?? []).map((c) => c.map(round))]));
  }
  // the curves are long: beside the summary rather than in it (main.ts prints the summary)
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(CURVES_FILE, JSON.stringify({ format: '[iteration, solver CPU seconds, metric] per checkpoint, one array per seed', curves }) + '\n');
  return {
    benchmark: 'peer',
    peers: impls.map((m) => m.id),
    implementations: impls.map(({ id, threads: n, label }) => ({ id, threads: n, label })),
    numba: numbaNote,
    blasThreads: threads,
    ourThreads,
    seeds,
    note: 'times: median over seeds of solver CPU seconds (all threads; checkpoint I/O and numba compilation excluded) to the first checkpoint at or below the target, or from which the metric stays at or below it to the end; wall: the same on the solver\'s wall clock (the figure of a threaded run); peak MB: peak resident memory of each process; ratios python/ours > 1 mean ours is faster or smaller (sameThreads: the same thread budget)',
    curvesFile: CURVES_FILE,
    tasks: results.map(({ rows: _rows, ...rest }) => rest),
    rows: results.flatMap((r) => r.rows),
  };
}
