// Child process of `benchModels` (run as `node --import tsx models-engine-child.ts '<json args>'`): the tape engine on
// the cases of model-cases.ts with one kind of tensor kernels (WebAssembly SIMD or JavaScript), in a fresh process as
// in a program that uses one of them. Prints one JSON line: per case, the medians of the gradient and the HVP (CPU
// and wall ms per call), the tensor-kernel calls of one replay and their time (the floor a replay cannot go below),
// and where it wrote the gradient and HVP (for the comparison with PyTorch); with `heapHvps`, the heap over that many
// HVPs of the first case.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TensorKernels } from '@bilevel/linalg';
import { cpuSeconds } from './cpu-timer';
import type { BlockTime, DualMedians } from './dual-timer';
import { dualMedians, dualTimer } from './dual-timer';
import type { TapeModel } from './model-cases';
import { readModelData, tapeModel, writeFloat64 } from './model-cases';
import { median } from './time-call';

/** Arguments of the child run. */
export interface ModelsEngineChildArgs {
  /** Folder of spec.json / data.bin (model-cases.ts); results are written there too. */
  readonly dir: string;
  readonly kernels: 'auto' | 'js';
  readonly reps: number;
  readonly blockMs: number;
  /** Only these cases (ids); default all. */
  readonly only?: readonly string[];
  /**
   * HVPs whose heap is measured (0: none), of the case `heapCase` (default the first), after as many again as a
   * warm-up; with `heapOnly` nothing else is run (a fresh process, as the heap tests: no garbage of the timings
   * pending).
   */
  readonly heapHvps?: number;
  readonly heapCase?: string;
  readonly heapOnly?: boolean;
  /** Write a V8 CPU profile of `profileCalls` gradients and HVPs of each case here (after the timings). */
  readonly profilePath?: string;
  readonly profileCalls?: number;
}

/** Tensor-kernel calls of one replay, by kernel, and their summed CPU time (median over replays, ms). */
export interface KernelFloor {
  readonly calls: Record<string, number>;
  readonly ms: number;
}

export interface ModelsEngineCaseResult {
  readonly id: string;
  readonly grad: DualMedians;
  readonly hvp: DualMedians;
  readonly gradFloor: KernelFloor;
  readonly hvpFloor: KernelFloor;
  readonly work: { readonly grad: { forward: number; reverse: number }; readonly hvp: { forward: number; reverse: number } };
  readonly gradFile: string;
  readonly hvpFile: string;
}

export interface ModelsEngineChildResult {
  readonly kernels: 'auto' | 'js';
  readonly simd: boolean;
  readonly cases: ModelsEngineCaseResult[];
  readonly heap: {
    readonly case: string;
    readonly hvps: number;
    readonly before: number;
    readonly after: number;
    readonly growth: number;
    readonly allocatedPerHvp: number;
    readonly collections: number;
  } | null;
}

const KERNEL_NAMES = ['matmul', 'conv2d', 'conv2dInputGrad', 'conv2dFilterGrad'] as const;

/**
 * Wraps the tape's kernels in counters and timers for `fn` (one replay), `reps` times: the calls per kernel and the
 * median summed kernel time. The wrappers are removed afterwards (the timed replays run unwrapped).
 */
function kernelFloor(K: TensorKernels, fn: () => void, reps: number): KernelFloor {
  const k = K as unknown as Record<string, (...a: unknown[]) => void>;
  const originals = KERNEL_NAMES.map((name) => k[name]);
  const calls: Record<string, number> = {};
  let seconds = 0;
  KERNEL_NAMES.forEach((name, i) => {
    const f = originals[i];
    k[name] = (...a: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      const t0 = cpuSeconds();
      f(...a);
      seconds += cpuSeconds() - t0;
    };
  });
  try {
    fn();
    for (const name of Object.keys(calls)) calls[name] = 0;
    const per: number[] = [];
    for (let r = 0; r < reps; r++) {
      seconds = 0;
      fn();
      per.push(seconds);
    }
    for (const name of Object.keys(calls)) calls[name] /= reps;
    return { calls, ms: median(per) * 1e3 };
  } finally {
    KERNEL_NAMES.forEach((name, i) => (k[name] = originals[i]));
  }
}

async function profile(models: readonly TapeModel[], path: string, calls: number): Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  for (const m of models) {
    for (let i = 0; i < calls; i++) m.grad.run(m.batch);
    for (let i = 0; i < calls; i++) m.hvp.run(m.batch);
  }
  const { profile: p } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(path, JSON.stringify(p));
  session.disconnect();
}

const args = JSON.parse(process.argv[2] ?? '{}') as ModelsEngineChildArgs;
const { cases, data } = readModelData(args.dir);
const chosen = cases.map((c, i) => ({ c, d: data[i] })).filter(({ c }) => !args.only || args.only.includes(c.id));
const models = chosen.map(({ c, d }) => tapeModel(c, d, args.kernels));

const heapOnly = args.heapOnly === true;
// the results first (the comparison with PyTorch), then the timings
const files = (heapOnly ? [] : chosen).map(({ c }, i) => {
  const m = models[i];
  m.grad.run(m.batch);
  const gradFile = join(args.dir, `engine-${args.kernels}-${c.id}-grad.bin`);
  writeFloat64(gradFile, m.params.map((p) => p.bar));
  m.hvp.run(m.batch);
  const hvpFile = join(args.dir, `engine-${args.kernels}-${c.id}-hvp.bin`);
  writeFloat64(hvpFile, m.params.map((p) => p.bdot));
  return { gradFile, hvpFile };
});

// the blocks of all cases interleaved: round r times every case's gradient and HVP once
const timers = (heapOnly ? [] : models).flatMap((m) => [dualTimer(() => m.grad.run(m.batch), args.blockMs, 3), dualTimer(() => m.hvp.run(m.batch), args.blockMs, 3)]);
const blocks: BlockTime[][] = timers.map(() => []);
for (let r = 0; r < args.reps; r++) timers.forEach((t, i) => blocks[i].push(t.block()));

const results: ModelsEngineCaseResult[] = (heapOnly ? [] : chosen).map(({ c }, i) => {
  const m = models[i];
  const K = m.tape.kernels as TensorKernels;
  const floorReps = Math.max(3, Math.min(args.reps, 11));
  return {
    id: c.id,
    grad: dualMedians(blocks[2 * i], timers[2 * i].calls),
    hvp: dualMedians(blocks[2 * i + 1], timers[2 * i + 1].calls),
    gradFloor: kernelFloor(K, () => m.grad.run(m.batch), floorReps),
    hvpFloor: kernelFloor(K, () => m.hvp.run(m.batch), floorReps),
    work: { grad: m.grad.work, hvp: m.hvp.work },
    ...files[i],
  };
});

let heap: ModelsEngineChildResult['heap'] = null;
const hvps = args.heapHvps ?? 0;
const heapAt = Math.max(0, chosen.findIndex(({ c }) => c.id === args.heapCase));
if (hvps > 0 && models.length > 0) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const m = models[heapAt];
  for (let i = 0; i < hvps; i++) m.hvp.run(m.batch);
  const settle = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = settle();
  const profiler = new GCProfiler();
  profiler.start();
  for (let i = 0; i < hvps; i++) m.hvp.run(m.batch);
  const unsettled = process.memoryUsage().heapUsed;
  const collections = profiler.stop()?.statistics.length ?? 0;
  const after = settle();
  // allocated: the growth before the forced collections (garbage included; meaningful when no collection ran)
  heap = { case: chosen[heapAt].c.id, hvps, before, after, growth: after - before, allocatedPerHvp: (unsettled - before) / hvps, collections };
}

if (args.profilePath) await profile(models, args.profilePath, args.profileCalls ?? 20);

const simd = models[0]?.tape.kernels?.simd ?? false;
console.log(JSON.stringify({ kernels: args.kernels, simd, cases: results, heap } satisfies ModelsEngineChildResult));
