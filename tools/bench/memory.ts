import type { CleaningMemoryArgs } from './probe/cleaning-memory-child';
import type { HeapChildArgs } from './probe/heap-child';
import type { GcEvent, HeapSample } from './probe/heap-summary';
import { heapSummary } from './probe/heap-summary';
import { fashionMnistDir } from './probe/kernel-data';
import { spawnJson } from './probe/spawn-json';

/** Target of issue 7: peak memory of data cleaning ≤ 1.5 × (data + SAGA tables). */
const CLEANING_MEMORY_TARGET = 1.5;

const round = (x: number, digits: number) => +x.toFixed(digits);

interface HeapChildResult {
  readonly seconds: number;
  readonly samples: HeapSample[];
  readonly events: GcEvent[];
}

interface ProfileResult {
  readonly top: { frame: string; bytesPerStep: number }[];
}

/**
 * `npm run bench -- memory [--steps 1e6] [--every 1e5] [--profile-steps 1e5] [--cleaning-iters 1000] [--n 20000]`.
 *
 * (a) Heap flatness: each of SOBA, SABA, SRBA (batch 32) on the default logreg task, through `runLoop` and through
 * the streams `run`, `steps` outer steps in a fresh child process (probe/heap-child.ts), heapUsed sampled after a
 * forced full GC every `every` steps, and V8's unforced GCs counted (PerformanceObserver 'gc') in the steady state
 * (after the first `every` steps). Zero scavenges over the steady state is the evidence that an iteration allocates
 * nothing; when there are some, a second child samples allocations of `profile-steps` loop steps with V8's sampling
 * heap profiler and the top allocating frames (function and its callers; positions are of tsx's one-line output) are
 * reported in bytes per step.
 * (b) Data cleaning peak memory: SABA (batch 64, ρ = 0.02, γ = 100) on Fashion-MNIST, n = `n`, m = 5,000, for
 * `cleaning-iters` steps in a fresh child (probe/cleaning-memory-child.ts): RSS and heap, peak over the run, against
 * the bytes of the resident arrays (pixel rows of train/val/test, scaling, labels, SAGA tables, iterates). The ratio
 * is (peak RSS − RSS of the same process before the problem was built) / those bytes; target ≤ 1.5.
 */
export async function benchMemory(args: Record<string, number> = {}) {
  const steps = args.steps ?? 1_000_000;
  const every = args.every ?? 100_000;
  const profileSteps = args['profile-steps'] ?? 100_000;
  const cleaningIters = args['cleaning-iters'] ?? 1000;
  const n = args.n ?? 20_000;
  for (const [name, v] of Object.entries({ steps, every, 'profile-steps': profileSteps + 1, 'cleaning-iters': cleaningIters + 1, n })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`benchMemory: --${name} must be a positive integer, received ${v}`);
  }
  if (steps < 3 * every) throw new RangeError(`benchMemory: --steps ${steps} must be at least 3 × --every ${every} (3 samples)`);
  const rows: Record<string, unknown>[] = [];
  const allocations: Record<string, unknown>[] = [];
  for (const solver of ['saba', 'soba', 'srba'] as const) {
    for (const driver of ['loop', 'streams'] as const) {
      const child: HeapChildArgs = { solver, driver, steps, every, profileSteps: 0 };
      const r = await spawnJson<HeapChildResult>('./heap-child.ts', child);
      const h = heapSummary(r.samples, r.events);
      rows.push({
        part: 'heap flatness',
        solver,
        driver,
        steps,
        'µs/step (with sampling)': round((r.seconds * 1e6) / steps, 2),
        'heap slope B/1e5 steps': Math.round(h.slopePer1e5),
        'heap range B': h.range,
        'scavenges /1e6': round(h.minorPer1e6, 1),
        'mark-compacts /1e6': round(h.majorPer1e6, 1),
        'other GCs /1e6': round(h.otherPer1e6, 1),
        'allocation-free': h.minorPer1e6 === 0 && h.majorPer1e6 === 0,
      });
      if (profileSteps > 0 && h.minorPer1e6 > 0) {
        const p = await spawnJson<ProfileResult>('./heap-child.ts', { ...child, profileSteps });
        allocations.push({ solver, driver, top: p.top.slice(0, 6) });
      }
    }
  }
  const dir = fashionMnistDir();
  let cleaning: Record<string, unknown> = { skipped: 'no Fashion-MNIST folder (set FASHION_MNIST_DIR)' };
  if (dir) {
    const c = await spawnJson<Record<string, unknown> & { denominatorBytes: number; peakRssBytes: number; baselineRssBytes: number }>(
      './cleaning-memory-child.ts',
      { dir, n, m: 5000, iters: cleaningIters, every: Math.max(1, Math.floor(cleaningIters / 20)) } satisfies CleaningMemoryArgs,
    );
    const ratio = (c.peakRssBytes - c.baselineRssBytes) / c.denominatorBytes;
    cleaning = { ...c, ratioOverBaseline: round(ratio, 3), ratioTotalRss: round(c.peakRssBytes / c.denominatorBytes, 3), target: CLEANING_MEMORY_TARGET, ok: ratio <= CLEANING_MEMORY_TARGET };
    rows.push({
      part: 'datacleaning peak memory',
      solver: 'saba',
      driver: 'loop',
      steps: cleaningIters,
      'peak RSS − baseline / (data + tables)': round(ratio, 3),
      'peak RSS / (data + tables)': round(c.peakRssBytes / c.denominatorBytes, 3),
      'data + tables MB': round(c.denominatorBytes / 2 ** 20, 1),
    });
  }
  return { benchmark: 'memory', task: 'logreg default (batch 32) for heap flatness; Fashion-MNIST cleaning for peak memory', steps, every, allocations, cleaning, rows };
}
