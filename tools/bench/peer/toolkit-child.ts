// Our SABA as a peer process of `npm run bench -- peer` (tools/bench/peer/run-peer.ts starts it):
//   node --import tsx toolkit-child.ts --driver loop|streams|threads --task '{"name","dir","warmupIter"}' --seed S
//        --max-iter T --every E --out FILE [--threads N]
// Builds the task's problem as `bilevel run` does (peer-problem.ts: the CLI's modules only for logreg-hpo), runs an
// untimed warm-up (seed 1000, the timed run's checkpoint spacing and a sample handler) so that the JIT and the
// WebAssembly tiers settle, collects the garbage (started with --expose-gc), then the timed run with the chosen
// driver (runLoop; run() through the RxJS streams; or run() with the jacobi schedule's streams on N = 2 or 3
// threads, default 2, on a ThreadPool whose workers rebuild the problem and SABA once through rebuild-peer.ts and
// serve the warm-up runs and then the timed one, so that they too start the timed run warm), and speaks the Python peers' protocol (saba_numpy.py): a versions line, one
// {iter, seconds, cpuSeconds} line per checkpoint with x, z, v appended to FILE, a last {peakRssMB} line. `seconds`
// is the driver's solverSeconds (wall time, checkpoint handling excluded); `cpuSeconds` the process CPU time (every
// thread's) from the first checkpoint (iteration 0: the solver's set-up and the workers' start excluded, as in the
// Python peers) minus the time spent writing checkpoints. Its own process, so that the peak memory is ours alone
// (workers included), as the peers' is theirs.
import { closeSync, openSync, writeSync } from 'node:fs';
import { lastValueFrom, tap } from 'rxjs';
import { saba } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { run, runLoop, ThreadPool } from '@bilevel/streams';
import { cpuSeconds } from '../probe/cpu-timer';
import type { PeerTaskName } from './peer-problem';
import { loadPeerProblem, peerSteps } from './peer-problem';
import type { PeerRebuildArgs } from './rebuild-peer';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`toolkit-child: missing --${name}`);
  return process.argv[i + 1];
}

function int(name: string, min: number): number {
  const v = Number(arg(name));
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`toolkit-child: --${name} must be an integer ≥ ${min}, received ${arg(name)}`);
  return v;
}

const driver = arg('driver');
if (driver !== 'loop' && driver !== 'streams' && driver !== 'threads') throw new Error(`toolkit-child: --driver must be loop, streams or threads, received ${driver}`);
const task = JSON.parse(arg('task')) as { name: PeerTaskName; dir: string | null; warmupIter: number };
const seed = int('seed', 0);
const maxIter = int('max-iter', 0);
const every = int('every', 1);
const out = arg('out');
const threads = process.argv.includes('--threads') ? int('threads', 2) : 2;
if (threads > 3) throw new Error(`toolkit-child: --threads must be 2 or 3 (one per stream at most), received ${threads}`);

const problem = await loadPeerProblem(task.name, task.dir ?? undefined);
const steps = peerSteps(task.name);
console.log(JSON.stringify({ versions: { node: process.version, kernels: process.env.BILEVEL_KERNELS === 'js' ? 'js' : 'simd', ...(driver === 'threads' ? { threads: String(threads) } : {}) } }));

/** The threaded driver's workers, kept from the warm-up runs to the timed one (each rebuilds the task once). */
const rebuildArgs: PeerRebuildArgs = { name: task.name, dir: task.dir };
const pool = driver === 'threads' ? new ThreadPool({ threads, rebuild: { module: new URL('./rebuild-peer.ts', import.meta.url).href, name: 'rebuildPeer', args: rebuildArgs } }) : undefined;
const threaded = pool ? { pool } : {};
if (pool) await pool.start();

// the warm-up takes the timed run's path: the same checkpoint spacing, a sample handler that copies the iterates.
// Two runs of half the iterations each, with two solver instances: every run makes new closures (the solver's steps,
// the counting wrappers), and code optimized after one run inlines that run's closures, so the next run starts by
// deoptimizing ("wrong call target") and spends its first ~2,000 iterations re-optimizing; after two instances the
// optimized code checks the function, not the closure, and the timed run starts at its steady speed, as the Python
// peers' timed part starts after their compilation. No collection between the two: collecting the first run's
// closures deoptimizes the code that embedded them, and the second run re-optimizes for its own only (measured: the
// default task's time to 1e-4 doubled).
for (let w = 0; w < 2 && task.warmupIter > 0; w++) {
  const warm = { maxIter: Math.ceil(task.warmupIter / 2), sampleEvery: every, seed: 1_000 + w };
  const sink = new Float64Array(problem.dimX + 2 * problem.dimZ);
  const onWarmSample = (s: Snapshot) => {
    sink.set(s.x);
    sink.set(s.z, problem.dimX);
    sink.set(s.v, problem.dimX + problem.dimZ);
  };
  if (driver === 'loop') runLoop(problem, saba(steps), warm, onWarmSample);
  else await lastValueFrom(run(problem, saba(steps), { ...warm, ...threaded }).pipe(tap(onWarmSample)));
}

// a full collection now (the problem's build and the warm-up leave garbage whose concurrent marking would otherwise
// be charged to the timed run's process CPU time); run-peer.ts starts this child with --expose-gc. It reaches this
// thread's heap only: the pool's workers keep their warm-up runs' garbage until their own collector runs (collecting
// there between runs deoptimized their steps, as between the warm-up runs above)
(globalThis as { gc?: () => void }).gc?.();

const fd = openSync(out, 'w');
let cpu0 = 0;
let excluded = 0;
const onSample = (s: Snapshot) => {
  const c = cpuSeconds();
  // the clock starts at the first checkpoint (iteration 0): the solver's set-up is excluded, as the Python peers'
  if (s.iteration === 0 && s.solverSeconds === 0) {
    cpu0 = c;
    excluded = 0;
  }
  for (const w of [s.x, s.z, s.v]) writeSync(fd, new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  console.log(JSON.stringify({ iter: s.iteration, seconds: s.solverSeconds, cpuSeconds: c - cpu0 - excluded }));
  excluded += cpuSeconds() - c;
};
const options = { maxIter, sampleEvery: every, seed };
cpu0 = cpuSeconds();
if (driver === 'loop') runLoop(problem, saba(steps), options, onSample);
else await lastValueFrom(run(problem, saba(steps), { ...options, ...threaded }).pipe(tap(onSample)));
closeSync(fd);
await pool?.close();
console.log(JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024 }));
