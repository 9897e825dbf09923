// Child process of `benchMemory` (run as `node --expose-gc --import tsx heap-child.ts '<json args>'`): runs one
// solver on the default logreg task through runLoop or the streams `run`, samples the heap after a forced GC every
// `every` outer steps, counts the garbage collections V8 reports meanwhile, and prints one JSON line.
import { Session } from 'node:inspector';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { buildProblem } from '@bilevel/cli';
import { createSolver } from '@bilevel/solvers';
import { run, runLoop } from '@bilevel/streams';
import type { GcEvent, HeapSample } from './heap-summary';

/** Arguments of one child run. */
export interface HeapChildArgs {
  readonly solver: 'saba' | 'soba' | 'srba';
  readonly driver: 'loop' | 'streams';
  readonly steps: number;
  readonly every: number;
  /** When > 0: instead of counting, sample allocations of this many steps (V8 sampling heap profiler) and report the top frames. */
  readonly profileSteps: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('heap-child: run node with --expose-gc');
const args = JSON.parse(process.argv[2] ?? '{}') as HeapChildArgs;
const problem = buildProblem({ problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 });
const solver = () => createSolver(args.solver, { batchSize: 32 });

if (args.profileSteps > 0) {
  // warm up the JIT, then sample allocations of the steady state
  runLoop(problem, solver(), { maxIter: Math.min(50_000, args.profileSteps), sampleEvery: args.profileSteps, seed: 1 });
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  if (args.driver === 'loop') runLoop(problem, solver(), { maxIter: args.profileSteps, sampleEvery: args.profileSteps, seed: 2 });
  else await new Promise<void>((resolve, reject) => run(problem, solver(), { maxIter: args.profileSteps, sampleEvery: args.profileSteps, seed: 2 }).subscribe({ complete: resolve, error: reject }));
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
  session.disconnect();
  const frames = new Map<string, number>();
  const walk = (node: ProfileNode, stack: string[]) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(libs|apps|tools|node_modules)\//, '$1/')}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    const path = [...stack, here];
    if (node.selfSize > 0) {
      // the allocating frame first, then its callers
      const key = path.slice(-3).reverse().join(' ← ');
      frames.set(key, (frames.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, path);
  };
  walk(profile.head, []);
  const top = [...frames.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([frame, bytes]) => ({ frame, bytesPerStep: +(bytes / args.profileSteps).toFixed(1) }));
  console.log(JSON.stringify({ solver: args.solver, driver: args.driver, profileSteps: args.profileSteps, top }));
} else {
  const events: GcEvent[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind: number; flags: number } }).detail;
      if (!detail) continue;
      events.push({ at: e.startTime, kind: detail.kind, forced: (detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0, ms: e.duration });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const samples: HeapSample[] = [];
  const onSample = (step: number) => {
    gc();
    samples.push({ step, heapUsed: process.memoryUsage().heapUsed, at: performance.now() });
  };
  const t0 = performance.now();
  if (args.driver === 'loop') {
    runLoop(problem, solver(), { maxIter: args.steps, sampleEvery: args.every, seed: 0 }, (s) => onSample(s.iteration));
  } else {
    await new Promise<void>((resolve, reject) =>
      run(problem, solver(), { maxIter: args.steps, sampleEvery: args.every, seed: 0 }).subscribe({ next: (s) => onSample(s.iteration), complete: resolve, error: reject }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  // let the observer deliver the last entries
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  console.log(JSON.stringify({ solver: args.solver, driver: args.driver, steps: args.steps, every: args.every, seconds, samples, events }));
}

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}
