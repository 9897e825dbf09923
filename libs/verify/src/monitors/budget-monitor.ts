import { totalCalls } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import type { Finding, Monitor } from '@bilevel/streams';

/** Options of {@link budgetMonitor}: the limits (none by default), and when memory growth starts to count. */
export interface BudgetMonitorOptions {
  /** Wall seconds since the run started (monitors and evaluation included). Default: no limit. */
  readonly maxSeconds?: number;
  /** Oracle calls of all streams (`totalCalls(snapshot.counts.total)`). Default: no limit. */
  readonly maxCalls?: number;
  /**
   * Growth of the memory in use since the first snapshot, in bytes per outer step: V8 heap plus memory outside it
   * (`heapUsed + external`, which holds the ArrayBuffers of Float64Arrays). Default: no limit.
   */
  readonly maxBytesPerIteration?: number;
  /** Outer steps before the memory growth per step is checked (before, GC noise dominates). Default 1000. */
  readonly minIterations?: number;
}

const NAME = 'budget';
const KEYS = ['maxSeconds', 'maxCalls', 'maxBytesPerIteration', 'minIterations'];

/**
 * Budget: wall time, oracle calls and memory growth per outer step against the user's limits. Guarantees: the first
 * snapshot past a limit gives one `violation` per limit, with the measured value and the limit (with a `strict`
 * run, that ends it: limits are checked at snapshots, so a run overshoots by at most one sampling period); the
 * final snapshot gives one `info` with the three measures. Without limits it only reports (cost: one
 * `process.memoryUsage()` per snapshot).
 *
 * @example budgetMonitor({ maxCalls: 1e6, maxSeconds: 60 })
 */
export function budgetMonitor(options: BudgetMonitorOptions = {}): Monitor {
  const fn = 'budgetMonitor';
  knownKeys(fn, options, KEYS);
  const maxSeconds = options.maxSeconds === undefined ? Infinity : positiveNumber(fn, 'maxSeconds', options.maxSeconds);
  const maxCalls = options.maxCalls === undefined ? Infinity : positiveNumber(fn, 'maxCalls', options.maxCalls);
  const maxBytes = options.maxBytesPerIteration === undefined ? Infinity : positiveNumber(fn, 'maxBytesPerIteration', options.maxBytesPerIteration);
  const minIterations = positiveInteger(fn, 'minIterations', options.minIterations ?? 1000);
  return {
    name: NAME,
    description: 'wall time, oracle calls and memory growth per outer step stay within the limits given',
    start: () => {
      const t0 = performance.now();
      let heap0 = NaN;
      let iter0 = 0;
      const over = { seconds: false, calls: false, heap: false };
      return {
        onSnapshot(s: Snapshot): Finding[] {
          const seconds = (performance.now() - t0) / 1000;
          const calls = totalCalls(s.counts.total);
          const usage = process.memoryUsage();
          const heap = usage.heapUsed + usage.external;
          if (Number.isNaN(heap0)) {
            heap0 = heap;
            iter0 = s.iteration;
          }
          const steps = s.iteration - iter0;
          const perIter = steps > 0 ? (heap - heap0) / steps : 0;
          const found: Finding[] = [];
          const check = (key: keyof typeof over, value: number, bound: number, what: string) => {
            if (over[key] || !(value > bound)) return;
            over[key] = true;
            found.push({ level: 'violation', monitor: NAME, iteration: s.iteration, message: `${what} ${value.toPrecision(4)} exceeds the limit ${bound}`, value, bound });
          };
          check('seconds', seconds, maxSeconds, 'wall seconds');
          check('calls', calls, maxCalls, 'oracle calls');
          if (steps >= minIterations) check('heap', perIter, maxBytes, 'memory growth in bytes per outer step');
          if (s.final) {
            found.push({
              level: 'info',
              monitor: NAME,
              iteration: s.iteration,
              message: `used ${seconds.toPrecision(3)} wall s, ${calls} oracle calls, memory growth ${perIter.toPrecision(3)} bytes per outer step`,
              value: calls,
            });
          }
          return found;
        },
      };
    },
  };
}
