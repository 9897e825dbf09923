import { Tape } from '../tape/tape';
import type { TapeOptions, TapeVar } from '../tape/tape';
import type { ReplayPlan } from '../tape/replay-plan';
import { describeShape } from '../tape/shapes';
import type { TensorLayout, TensorShapes } from './tensor-layout';

/** The engine's input tensors of a model by name: what a {@link ModelLoss} reads its parameters and hyperparameters from. */
export type TapeTensors<S extends TensorShapes> = { readonly [K in keyof S]: TapeVar };

/**
 * A model's loss on a batch: given the tape, the parameters z and hyperparameters x as the tape's input tensors by
 * name, return the scalar MEAN of the per-sample losses over the batch plus any batch-independent terms (e.g.
 * `t.add(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(labels))), decay)`). Data enter through
 * `t.gatherRows(matrix)`, `t.gatherLabels(labels)`, `t.gather(values)` or `t.rowsDot(matrix, w)`: one row per sample,
 * picked by the batch. Recorded on a {@link Tape} when the problem is built, three times without `maxBatch` (two small
 * probe recordings size the default capacity): keep it free of side effects.
 */
export type ModelLoss<P extends TensorShapes, H extends TensorShapes> = (t: Tape, params: TapeTensors<P>, hyper: TapeTensors<H>) => TapeVar;

/** How errors name the caller and the spec fields (modelProblem's and tapeProblem's names differ). */
export interface LossNames {
  /** The function, e.g. `modelProblem`. */
  readonly who: string;
  /** The loss's spec field, e.g. `spec.inner.loss`. */
  readonly loss: string;
  /** The sample count's spec field, e.g. `spec.inner.n`. */
  readonly n: string;
  /** The spec fields of the parameter and hyperparameter records, e.g. `spec.params`. */
  readonly params: string;
  readonly hyper: string;
}

/** A recorded loss: its tape, inputs (in layout order), output and the plan of every oracle. */
export interface RecordedLoss {
  readonly tape: Tape;
  readonly params: readonly TapeVar[];
  readonly hypers: readonly TapeVar[];
  readonly out: TapeVar;
  /** Number of samples n the batch indices range over. */
  readonly samples: number;
  /** Most samples one replay holds: a longer batch is evaluated in chunks. */
  readonly capacity: number;
  readonly value: ReplayPlan;
  readonly gradZ: ReplayPlan;
  readonly gradX: ReplayPlan;
  readonly hvp: ReplayPlan;
  readonly cross: ReplayPlan;
  readonly hvpCross: ReplayPlan;
}

/** Default capacity at most (a full batch beyond it is evaluated in chunks). */
export const DEFAULT_MAX_BATCH = 1024;
/** Bytes of one tape's arena the default capacity stays within (measured per sample on two probe recordings). */
export const DEFAULT_ARENA_BUDGET = 256 * 2 ** 20;

/** An error of the spec found while recording: already names its field, so it is not prefixed again. */
class SpecError extends RangeError {}

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v));

/** The tensors by name, as a record that refuses names the spec does not declare (at recording time only). */
function namedTensors(vars: readonly TapeVar[], layout: TensorLayout, names: LossNames, field: string): Record<string, TapeVar> {
  const record: Record<string, TapeVar> = {};
  layout.names.forEach((n, k) => {
    record[n] = vars[k];
  });
  return new Proxy(record, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !Object.prototype.hasOwnProperty.call(target, key) && !(key in Object.prototype)) {
        throw new SpecError(`${names.who}: ${names.loss} reads ${field}.${key}, which ${field === 'params' ? names.params : names.hyper} does not declare (declared: ${layout.names.join(', ')})`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/** One recording of `loss` on a tape of capacity `maxBatch` (null: the tape's default), checked. */
function recordOnce(loss: ModelLoss<TensorShapes, TensorShapes>, n: number, params: TensorLayout, hyper: TensorLayout, names: LossNames, options: TapeOptions): { tape: Tape; params: TapeVar[]; hypers: TapeVar[]; out: TapeVar } {
  const t = new Tape(options);
  const p = params.names.map((name, k) => t.input(params.shapes[k], name));
  const h = hyper.names.map((name, k) => t.input(hyper.shapes[k], name));
  let s: unknown;
  try {
    s = loss(t, namedTensors(p, params, names, 'params'), namedTensors(h, hyper, names, 'hyper'));
  } catch (e) {
    if (e instanceof SpecError || !(e instanceof Error)) throw e;
    const Kind = e instanceof TypeError ? TypeError : RangeError;
    throw new Kind(`${names.who}: ${names.loss} failed while recording: ${e.message}`, { cause: e });
  }
  const node = s as TapeVar | null;
  if (typeof s !== 'object' || node === null || node.owner !== t) {
    throw new TypeError(`${names.who}: ${names.loss} must return a value recorded on the tape it was given (the scalar loss), received ${describe(s)}`);
  }
  if (node.batched || node.size !== 1) {
    throw new RangeError(`${names.who}: ${names.loss} must return a scalar (one entry; reduce over the batch, e.g. with t.mean), received ${describeShape(node.shape, node.batched)}`);
  }
  t.output(node);
  if (t.samples !== null && t.samples !== n) {
    throw new RangeError(`${names.who}: ${names.loss} gathers data of ${t.samples} samples but ${names.n} is ${n}`);
  }
  return { tape: t, params: p, hypers: h, out: node };
}

/**
 * The capacity of a tape when none is given: at most min(n, {@link DEFAULT_MAX_BATCH}), and no more samples than
 * fit in `budget` bytes of arena ({@link DEFAULT_ARENA_BUDGET} by default), the bytes per sample measured as the difference of two probe
 * recordings of capacity 1 and 2 (JavaScript kernels: no SIMD copies of the data).
 */
function defaultCapacity(loss: ModelLoss<TensorShapes, TensorShapes>, n: number, params: TensorLayout, hyper: TensorLayout, names: LossNames, budget: number): number {
  const bytes = (cap: number) => recordOnce(loss, n, params, hyper, names, { kernels: 'js', maxBatch: cap }).tape.kernels?.capacity ?? 0;
  const one = bytes(1);
  const perSample = bytes(2) - one;
  const most = Math.min(n, DEFAULT_MAX_BATCH);
  if (perSample <= 0) return most;
  return Math.max(1, Math.min(most, Math.floor((budget - (one - perSample)) / perSample)));
}

/**
 * Records a model's loss on a float64 tape (its inputs: the parameter tensors, then the hyperparameter tensors, in
 * declared order) and plans every oracle. `maxBatch`: the capacity (clamped to n), or undefined for the default
 * ({@link defaultCapacity}, within `arenaBudget` bytes). Errors name `names.loss` and say what was expected: an undeclared tensor read, a tape
 * operation that refuses its operands (shapes that do not match the data), a result that is not a scalar, data whose
 * sample count is not n.
 */
export function recordLoss(
  loss: ModelLoss<TensorShapes, TensorShapes>,
  n: number,
  params: TensorLayout,
  hyper: TensorLayout,
  names: LossNames,
  options: { readonly maxBatch?: number; readonly kernels?: TapeOptions['kernels']; readonly arenaBudget?: number },
): RecordedLoss {
  const budget = options.arenaBudget ?? DEFAULT_ARENA_BUDGET;
  const cap = options.maxBatch !== undefined ? Math.min(options.maxBatch, n) : defaultCapacity(loss, n, params, hyper, names, budget);
  const r = recordOnce(loss, n, params, hyper, names, { kernels: options.kernels ?? 'auto', maxBatch: cap });
  const t = r.tape;
  const all = [...r.params, ...r.hypers];
  return {
    ...r,
    samples: n,
    capacity: cap,
    value: t.plan({ order: 0 }),
    gradZ: t.plan({ order: 1, wrt: r.params }),
    gradX: t.plan({ order: 1, wrt: r.hypers }),
    hvp: t.plan({ order: 2, wrt: r.params, direction: r.params }),
    cross: t.plan({ order: 2, wrt: r.hypers, direction: r.params }),
    hvpCross: t.plan({ order: 2, wrt: all, direction: r.params }),
  };
}
