import { nrm2 } from '@bilevel/linalg';
import type { Snapshot } from '@bilevel/streams';
import { knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import type { Finding, Monitor } from '@bilevel/streams';
import { halfRatio } from './window-trend';

/** Options of {@link accuracyMonitor}, with their defaults. */
export interface AccuracyMonitorOptions {
  /** Check every this many snapshots. Default 5. */
  readonly every?: number;
  /** Largest dim z checked (each check is one exact inner solve and linear system). Default 10,000. */
  readonly maxDimZ?: number;
  /** Checks in the trend window (at least 2). Default 6. */
  readonly window?: number;
  /** Warn when the relative error of the window's newer half is this many times the older half's. Default 2. */
  readonly growth?: number;
}

const NAME = 'accuracy';
const KEYS = ['every', 'maxDimZ', 'window', 'growth'];

/**
 * Hypergradient accuracy: every `every` snapshots, the direction the outer stream follows at the streams' own
 * (z, v), on the full batch,
 *
 *   d = ∇_x F(z, x) + ∇²_xz G(z, x)·v          (SOBA/SABA's D_x without sampling noise)
 *
 * against the exact hypergradient ∇h(x) = `problem.hypergradient(x).grad`: relative error e = ‖d − ∇h‖ / ‖∇h‖,
 * reported as `info` with its value. Trend: over a window of `window` checks, a `warning` when the geometric mean
 * of e on the newer half is ≥ `growth` times the older half's while the absolute error ‖d − ∇h‖ grew too (near a
 * stationary point ‖∇h‖ → 0 and e alone may rise from rounding); the window then restarts. Problems with
 * dim z > maxDimZ get one `info` and are not checked.
 *
 * @example withMonitors(run(p, s, o), monitorContext(p, s, o), [accuracyMonitor({ every: 10 })])
 */
export function accuracyMonitor(options: AccuracyMonitorOptions = {}): Monitor {
  const fn = 'accuracyMonitor';
  knownKeys(fn, options, KEYS);
  const every = positiveInteger(fn, 'every', options.every ?? 5);
  const maxDimZ = positiveInteger(fn, 'maxDimZ', options.maxDimZ ?? 10_000);
  const window = positiveInteger(fn, 'window', options.window ?? 6);
  if (window < 2) throw new RangeError(`${fn}: window must be an integer ≥ 2, received ${window}`);
  const growth = positiveNumber(fn, 'growth', options.growth ?? 2);
  return {
    name: NAME,
    description: "relative error of the streams' hypergradient direction against the exact one, and its trend",
    start: ({ problem }) => {
      const dx = new Float64Array(problem.dimX);
      const cross = new Float64Array(problem.dimX);
      let seen = 0;
      let warm: Float64Array | undefined;
      const rel: number[] = [];
      const abs: number[] = [];
      return {
        onSnapshot(s: Snapshot): Finding[] {
          if (seen++ % every !== 0) return [];
          if (problem.dimZ > maxDimZ) {
            return seen === 1 ? [{ level: 'info', monitor: NAME, iteration: s.iteration, message: `not checked: dim z = ${problem.dimZ} > maxDimZ = ${maxDimZ}`, value: problem.dimZ, bound: maxDimZ }] : [];
          }
          const exact = problem.hypergradient(s.x, warm ? { z0: warm } : {});
          warm = exact.z;
          problem.outerGradX(s.z, s.x, problem.fullOuter, dx);
          problem.innerCross(s.z, s.x, s.v, problem.fullInner, cross);
          for (let i = 0; i < dx.length; i++) dx[i] += cross[i] - exact.grad[i];
          const err = nrm2(dx);
          const norm = nrm2(exact.grad);
          const e = err / norm;
          const found: Finding[] = [
            { level: 'info', monitor: NAME, iteration: s.iteration, message: `relative error of the direction ${e.toPrecision(3)} (‖∇h(x)‖ = ${norm.toPrecision(3)})`, value: e, stream: 'outer' },
          ];
          if (!(e > 0 && err > 0 && Number.isFinite(e))) return found;
          rel.push(e);
          abs.push(err);
          if (rel.length > window) {
            rel.shift();
            abs.shift();
          }
          if (rel.length === window) {
            const ratio = halfRatio(rel);
            if (ratio >= growth && halfRatio(abs) > 1) {
              found.push({
                level: 'warning',
                monitor: NAME,
                iteration: s.iteration,
                message: `the relative error of the direction grew ${ratio.toPrecision(3)}× over the last ${window} checks (now ${e.toPrecision(3)}): z or v is drifting from z*(x), v*(x)`,
                value: ratio,
                bound: growth,
                stream: 'outer',
              });
              rel.length = 0;
              abs.length = 0;
            }
          }
          return found;
        },
      };
    },
  };
}
