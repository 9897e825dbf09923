import { Rng } from '@bilevel/linalg';
import type { MetaTask, TaskSource } from './meta-task';
import { checkTaskId, taskSeed } from './meta-task';

/** Options of {@link sinusoidTasks}, with their defaults (MAML's regression benchmark). */
export interface SinusoidTasksOptions {
  /** K, support points per task. Default 10. */
  readonly shots?: number;
  /** Query points per task. Default: `shots` (MAML meta-trains on K query points). */
  readonly queries?: number;
  /** Number of tasks (ids 0..count−1). Default 2²⁰. */
  readonly count?: number;
  /** Seed of the tasks: task j is drawn from a generator of (seed, j). Default 0. */
  readonly seed?: number;
  /** Range of the amplitude A. Default [0.1, 5]. */
  readonly amplitude?: readonly [number, number];
  /** Range of the phase φ. Default [0, π]. */
  readonly phase?: readonly [number, number];
  /** Range of the inputs x. Default [−5, 5]. */
  readonly input?: readonly [number, number];
}

const KEYS = ['shots', 'queries', 'count', 'seed', 'amplitude', 'phase', 'input'];

function positiveInt(field: string, v: unknown, dflt: number, max = 2 ** 31 - 1): number {
  const n = v ?? dflt;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > max) throw new RangeError(`sinusoidTasks: ${field} must be an integer in 1..${max}, received ${String(v)}`);
  return n;
}

function range(field: string, v: readonly [number, number] | undefined, dflt: readonly [number, number]): readonly [number, number] {
  const r = v ?? dflt;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((c) => typeof c === 'number' && Number.isFinite(c)) || !(r[0] <= r[1])) {
    throw new RangeError(`sinusoidTasks: ${field} must be a range [lo, hi] of finite numbers with lo ≤ hi, received ${JSON.stringify(v)}`);
  }
  return [r[0], r[1]];
}

/**
 * MAML's few-shot regression tasks (Finn, Abbeel, Levine, "Model-Agnostic Meta-Learning for Fast Adaptation of Deep
 * Networks", ICML 2017, §5.1): task j is y = A·sin(x + φ) with A ~ U[0.1, 5] and φ ~ U[0, π]; its K support points
 * and its query points have x ~ U[−5, 5] (inputs of shape [1], one real target each). Everything of task j comes from
 * one generator seeded by (seed, j), so tasks are reproducible one by one.
 *
 * @example const train = sinusoidTasks({ shots: 10, seed: 0 }), test = sinusoidTasks({ shots: 10, queries: 100, seed: 1 });
 */
export function sinusoidTasks(options: SinusoidTasksOptions = {}): TaskSource & { parameters(j: number): { amplitude: number; phase: number } } {
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new RangeError(`sinusoidTasks: unknown option ${key}; expected one of ${KEYS.join(', ')}`);
  }
  const shots = positiveInt('shots', options.shots, 10, 100_000);
  const queries = positiveInt('queries', options.queries, shots, 100_000);
  const count = positiveInt('count', options.count, 2 ** 20);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`sinusoidTasks: seed must be a safe integer, received ${String(seed)}`);
  const amp = range('amplitude', options.amplitude, [0.1, 5]);
  const ph = range('phase', options.phase, [0, Math.PI]);
  const inp = range('input', options.input, [-5, 5]);
  const draw = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + (hi - lo) * rng.float();
  const parameters = (j: number) => {
    const rng = Rng.fromSeed(taskSeed(seed, j));
    return { rng, amplitude: draw(rng, amp), phase: draw(rng, ph) };
  };
  const set = (rng: Rng, rows: number, a: number, p: number) => {
    const x = new Float64Array(rows);
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      x[i] = draw(rng, inp);
      y[i] = a * Math.sin(x[i] + p);
    }
    return { rows, x, y };
  };
  return {
    name: `sinusoid-${shots}shot`,
    kind: 'regression',
    count,
    inputShape: [1],
    outputs: 1,
    supportRows: shots,
    queryRows: queries,
    task(j: number): MetaTask {
      checkTaskId('sinusoidTasks.task', j, count);
      const { rng, amplitude, phase } = parameters(j);
      const support = set(rng, shots, amplitude, phase);
      return { support, query: set(rng, queries, amplitude, phase) };
    },
    parameters(j: number) {
      checkTaskId('sinusoidTasks.parameters', j, count);
      const { amplitude, phase } = parameters(j);
      return { amplitude, phase };
    },
    info: { tasks: 'sinusoid', shots, queries, count, seed, amplitude: `[${amp.join(', ')}]`, phase: `[${ph.map((v) => +v.toFixed(4)).join(', ')}]`, input: `[${inp.join(', ')}]` },
  };
}
