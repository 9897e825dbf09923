import { nrm2 } from '@bilevel/linalg';
import type { Snapshot } from '@bilevel/streams';
import { knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import type { Finding, Monitor } from '@bilevel/streams';
import { halfMeans, halfRatio } from './window-trend';

/** Options of {@link progressMonitor}, with their defaults. */
export interface ProgressMonitorOptions {
  /** Evaluate h every this many snapshots. Default 5. */
  readonly every?: number;
  /** Evaluations in the window (at least 2). Default 6. */
  readonly window?: number;
  /** A change of the window's mean h by at most this fraction of |h| is flat (a larger rise is a rise). Default 1e-6. */
  readonly minDecrease?: number;
  /** A fall of the window's ‖∇h‖ (geometric means of the halves) by at most this fraction is flat. Default 1e-3. */
  readonly minGradientDecrease?: number;
  /** No warning once ‖∇h(x)‖ ≤ stationary·‖∇h(x₀)‖ (a converged run may plateau). Default 1e-4. */
  readonly stationary?: number;
}

const NAME = 'progress';
const KEYS = ['every', 'window', 'minDecrease', 'minGradientDecrease', 'stationary'];

/**
 * Progress of the value function: every `every` snapshots h(x) and ‖∇h(x)‖ from an exact inner solve
 * (`problem.hypergradient(x)`, warm started), reported as `info`. Over a window of `window` evaluations, comparing
 * the newer half with the older: a `warning` when the mean of h rose by more than minDecrease·max|h| (a rise), or
 * when h changed by at most that much while ‖∇h‖ fell by at most a fraction minGradientDecrease (a plateau: near
 * a minimum h flattens too, but there ‖∇h‖ keeps falling); then the window restarts. No warning once the run is
 * at a stationary point (‖∇h(x)‖ ≤ stationary·‖∇h(x₀)‖, the first evaluation's gradient).
 *
 * @example withMonitors(run(p, s, o), monitorContext(p, s, o), [progressMonitor({ every: 2 })])
 */
export function progressMonitor(options: ProgressMonitorOptions = {}): Monitor {
  const fn = 'progressMonitor';
  knownKeys(fn, options, KEYS);
  const every = positiveInteger(fn, 'every', options.every ?? 5);
  const window = positiveInteger(fn, 'window', options.window ?? 6);
  if (window < 2) throw new RangeError(`${fn}: window must be an integer ≥ 2, received ${window}`);
  const minDecrease = positiveNumber(fn, 'minDecrease', options.minDecrease ?? 1e-6);
  const minGradientDecrease = positiveNumber(fn, 'minGradientDecrease', options.minGradientDecrease ?? 1e-3);
  const stationary = positiveNumber(fn, 'stationary', options.stationary ?? 1e-4);
  return {
    name: NAME,
    description: 'the value function h(x) (exact inner solve) decreases on average over a window',
    start: ({ problem }) => {
      let seen = 0;
      let warm: Float64Array | undefined;
      let grad0 = NaN;
      const values: number[] = [];
      const grads: number[] = [];
      return {
        onSnapshot(s: Snapshot): Finding[] {
          if (seen++ % every !== 0) return [];
          const exact = problem.hypergradient(s.x, warm ? { z0: warm } : {});
          warm = exact.z;
          const gradNorm = nrm2(exact.grad);
          if (Number.isNaN(grad0)) grad0 = gradNorm;
          const found: Finding[] = [{ level: 'info', monitor: NAME, iteration: s.iteration, message: `h(x) = ${exact.value.toPrecision(8)}, ‖∇h(x)‖ = ${gradNorm.toPrecision(3)}`, value: exact.value }];
          values.push(exact.value);
          grads.push(gradNorm);
          if (values.length > window) {
            values.shift();
            grads.shift();
          }
          if (values.length < window || gradNorm <= stationary * grad0) return found;
          const { older, newer } = halfMeans(values);
          const scale = Math.max(...values.map(Math.abs));
          const decrease = older - newer;
          const rose = decrease < -minDecrease * scale;
          const flat = !rose && decrease <= minDecrease * scale && halfRatio(grads) >= 1 - minGradientDecrease;
          if (rose || flat) {
            found.push({
              level: 'warning',
              monitor: NAME,
              iteration: s.iteration,
              message: `${rose ? 'h rose' : 'h is on a plateau'} over the last ${window} evaluations (mean ${older.toPrecision(8)} → ${newer.toPrecision(8)}) while ‖∇h(x)‖ = ${gradNorm.toPrecision(3)} is not small: outer step too small or too large?`,
              value: decrease,
              bound: minDecrease * scale,
              stream: 'outer',
            });
            values.length = 0;
            grads.length = 0;
          }
          return found;
        },
      };
    },
  };
}
