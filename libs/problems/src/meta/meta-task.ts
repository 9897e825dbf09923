/**
 * The data of one few-shot task: a support set (the inner problem's samples, what a learner adapts on) and a query
 * set (the outer problem's samples, what the adapted learner is scored on). `x` holds `rows` inputs one after the
 * other (row-major, each of the source's `inputShape`); `y` one target per row: a class index 0..ways−1
 * (classification, `Int32Array`) or a real value (regression, `Float64Array`).
 */
export interface TaskSet {
  readonly rows: number;
  readonly x: Float64Array;
  readonly y: Int32Array | Float64Array;
}

/** One task: its support (adaptation) set and its query (evaluation) set. */
export interface MetaTask {
  readonly support: TaskSet;
  readonly query: TaskSet;
}

/**
 * A numbered family of few-shot tasks, the data side of a meta-learning problem: task j (0 ≤ j < count) is a pure
 * function of j (and of the source's own seed), so a task can be asked for again at any time, in any order, by any
 * process (a resumed run reads the tasks its checkpoint names, not a sampler's position).
 *
 * Every task of a source has the same shape: `supportRows` support rows and `queryRows` query rows of `inputShape`.
 * Classification sources also fix the label of every row (`supportLabels`, `queryLabels`: the rows are grouped
 * by class, class c's shots first), so that a model's loss can be recorded once with those labels and replayed on
 * every task's inputs.
 */
export interface TaskSource {
  /** Short identifier, e.g. `sinusoid-10shot` or `omniglot-5way-1shot`. */
  readonly name: string;
  readonly kind: 'classification' | 'regression';
  /** Number of tasks: the ids 0..count−1. */
  readonly count: number;
  /** Shape of one input, e.g. [1] (a scalar) or [1, 28, 28] (a grayscale image, channels first). */
  readonly inputShape: readonly number[];
  /** Outputs of a model on this source: the number of classes (ways), or 1 for regression. */
  readonly outputs: number;
  readonly supportRows: number;
  readonly queryRows: number;
  /** Classification: the label of each support row (the same for every task). */
  readonly supportLabels?: Int32Array;
  /** Classification: the label of each query row (the same for every task). */
  readonly queryLabels?: Int32Array;
  /** Task j. Throws a RangeError for j outside 0..count−1. */
  task(j: number): MetaTask;
  /** Facts for logs and summaries. */
  readonly info: Readonly<Record<string, string | number | boolean>>;
}

/** The labels c repeated `per` times for c = 0..ways−1 (class-major rows): [0, 0, 1, 1, …] for per = 2. */
export function classMajorLabels(ways: number, per: number): Int32Array {
  const y = new Int32Array(ways * per);
  for (let c = 0; c < ways; c++) y.fill(c, c * per, (c + 1) * per);
  return y;
}

/** A generator seed for task j of a source with seed `seed`: distinct for distinct j (0 ≤ j < 2³¹) and seed mod 2²¹. */
export function taskSeed(seed: number, j: number): number {
  return (seed % 2 ** 21) * 2 ** 31 + j;
}

/** Throws a RangeError naming `who` unless j is a task id of a source of `count` tasks. */
export function checkTaskId(who: string, j: number, count: number): void {
  if (!Number.isSafeInteger(j) || j < 0 || j >= count) throw new RangeError(`${who}: task id must be an integer in 0..${count - 1}, received ${String(j)}`);
}
