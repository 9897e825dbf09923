// Our SABA as a peer process of `npm run bench -- peer` (tools/bench/peer/run-peer.ts starts it):
//   node --import tsx toolkit-child.ts --driver loop|streams --task '{"name","dir","warmupIter"}' --seed S
//        --max-iter T --every E --out FILE
// Builds the task's problem as `bilevel run` does, runs an untimed warm-up (seed 1000) so that the JIT and the
// WebAssembly tiers settle, then the timed run with the chosen driver (runLoop, or run() through the RxJS streams),
// and speaks the Python peers' protocol (saba_numpy.py): a versions line, one {iter, seconds, cpuSeconds} line per
// checkpoint with x, z, v appended to FILE, a last {peakRssMB} line. `seconds` is the driver's solverSeconds (wall
// time, checkpoint handling excluded); `cpuSeconds` the process CPU time of the run minus the time spent writing
// checkpoints. Its own process, so that the peak memory is ours alone, as the peers' is theirs.
import { closeSync, openSync, writeSync } from 'node:fs';
import { lastValueFrom, tap } from 'rxjs';
import { saba } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { run, runLoop } from '@bilevel/streams';
import { cpuSeconds } from '../probe/cpu-timer';
import type { PeerTaskName } from './peer-task';
import { peerProblem, peerSteps } from './peer-task';

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
if (driver !== 'loop' && driver !== 'streams') throw new Error(`toolkit-child: --driver must be loop or streams, received ${driver}`);
const task = JSON.parse(arg('task')) as { name: PeerTaskName; dir: string | null; warmupIter: number };
const seed = int('seed', 0);
const maxIter = int('max-iter', 0);
const every = int('every', 1);
const out = arg('out');

const problem = peerProblem(task.name, task.dir ?? undefined);
const steps = peerSteps(task.name);
console.log(JSON.stringify({ versions: { node: process.version, kernels: process.env.BILEVEL_KERNELS === 'js' ? 'js' : 'simd' } }));

if (task.warmupIter > 0) {
  const warm = { maxIter: task.warmupIter, sampleEvery: task.warmupIter, seed: 1_000 };
  if (driver === 'loop') runLoop(problem, saba(steps), warm);
  else await lastValueFrom(run(problem, saba(steps), warm));
}

const fd = openSync(out, 'w');
let cpu0 = 0;
let excluded = 0;
const onSample = (s: Snapshot) => {
  const c = cpuSeconds();
  for (const w of [s.x, s.z, s.v]) writeSync(fd, new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  console.log(JSON.stringify({ iter: s.iteration, seconds: s.solverSeconds, cpuSeconds: c - cpu0 - excluded }));
  excluded += cpuSeconds() - c;
};
const options = { maxIter, sampleEvery: every, seed };
cpu0 = cpuSeconds();
if (driver === 'loop') runLoop(problem, saba(steps), options, onSample);
else await lastValueFrom(run(problem, saba(steps), options).pipe(tap(onSample)));
closeSync(fd);
console.log(JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024 }));
