import { conjugateGradient } from '@bilevel/linalg';
import { fullBatch, INNER_TOL } from '@bilevel/problems';
import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions, MetaTask, TaskSource } from '@bilevel/problems';
import type { Tape, TapeVar } from '../tape/tape';
import { modelProblem } from '../model/model-problem';
import type { ModelHypergradient } from '../model/model-problem';
import { solveInnerNewtonCg } from '../model/solve-inner-newton-cg';
import type { TensorShapes } from '../model/tensor-layout';
import { metaModel } from './meta-model';
import type { MetaModel, MetaModelSpec } from './meta-model';

/** What {@link metaLearningProblem} builds a problem from. */
export interface MetaLearningSpec {
  /** The model (or its spec): its weights are θ (outer) and each task's φ (inner). Its outputs must match the tasks'. */
  readonly model: MetaModel | MetaModelSpec;
  /** The tasks: sample j of the problem is task j of the source. */
  readonly tasks: TaskSource;
  /** λ > 0, weight of the proximal term (λ/2)‖φ − θ‖² of every task's inner problem (iMAML: 2 on Omniglot). */
  readonly lambda: number;
  /** Short identifier. Default `meta-<tasks.name>`. */
  readonly name?: string;
  /** Tasks kept ready (their data drawn) at a time. Default 256. */
  readonly cacheSize?: number;
  /** Kernels of the tapes (`auto`, default, or `js`). */
  readonly kernels?: 'auto' | 'js';
}

/**
 * Task j of a {@link MetaLearningProblem} as an ordinary {@link BilevelProblem}: inner samples its support rows,
 * outer samples its query rows, z = φ, x = θ. `solveInner` is line-search Newton–CG from z0 = θ (unless given) to
 * ‖∇_φ g_j‖ ≤ tol (default 1e-10); `hypergradient` then solves ∇²g_j·v = −∇f_j by CG to 1e-12 relative and returns
 * ∇h_j = −λv, the task's exact implicit meta-gradient.
 */
export interface TaskProblem extends BilevelProblem {
  hypergradient(x: Float64Array, options?: InnerSolveOptions): ModelHypergradient;
}

/** Query-set scores of an adapted model on one task. */
export interface TaskScore {
  /** The query loss (mean cross-entropy, or the mean squared error for regression). */
  readonly loss: number;
  /** Classification: the fraction of query rows whose largest logit is their class. */
  readonly accuracy?: number;
}

/**
 * A meta-learning problem in the iMAML form (Rajeswaran, Finn, Kakade, Levine, "Meta-Learning with Implicit
 * Gradients", NeurIPS 2019): meta-parameters θ (the initialisation of a model, x here) and, for every task j, the
 * task's weights φ_j (z) adapted on its support set:
 *
 *   φ_j*(θ) = argmin_φ  g_j(φ, θ) = L̂_j(φ) + (λ/2)‖φ − θ‖²    (support loss plus the proximal term),
 *   h(θ) = mean_j f_j(φ_j*(θ)),  f_j = L_j (query loss),
 *   ∇h(θ) = mean_j (I + ∇²L̂_j(φ_j*)/λ)⁻¹ ∇L_j(φ_j*)          (the implicit meta-gradient).
 *
 * How it meets the {@link BilevelProblem} contract (chosen so that every oracle call of a meta-solver is an
 * ordinary, counted oracle call on a batch of samples): **the samples are the tasks** (nInner = nOuter = the
 * source's task count), z is one task's weights φ (dimZ = dimX = the number of model weights), and an oracle on a
 * batch of tasks is the mean of the tasks' own oracles at the same (z, x): `innerGradZ(φ, θ, [j])` is ∇_φ g_j,
 * `innerHvp(φ, θ, v, [j])` is (∇²L̂_j(φ) + λI)v, `outerGradZ(φ, θ, [j])` is ∇L_j(φ), `innerCross(φ, θ, v, [j])` is
 * −λv and `outerGradX` is 0. Contract-wise v_j = −(∇²g_j)⁻¹∇f_j and ∇²_xz g_j·v_j = −λv_j = (I + ∇²L̂_j/λ)⁻¹∇L_j:
 * the contract's hypergradient of task j is exactly iMAML's meta-gradient of task j.
 *
 * What the contract cannot hold is one φ per task: a meta-solver calls the oracles one task at a time (batch [j])
 * and keeps the per-task φ_j itself (the meta-solvers of @bilevel/solvers publish them with z). A batch of several
 * tasks at one z is the *joint* problem (one φ for all of them), a different bilevel problem; `solveInner` and
 * `hypergradient` over the whole task set are therefore refused (a RangeError that says so): use
 * {@link MetaLearningProblem.task} (task j as an ordinary BilevelProblem, with its exact solve and hypergradient)
 * or {@link MetaLearningProblem.metaGradient} (the exact meta-gradient over chosen tasks).
 *
 * Engine: the model's data losses (support and query) are recorded once on the float64 tape engine as a
 * {@link modelProblem} whose data are buffers of one task's support and query rows (gathered by reference), planned
 * for every oracle; an oracle on task j copies task j's rows into those buffers (unless they hold it already) and
 * replays. The proximal term and the θ-side oracles (∇_θ g = λ(θ − φ), ∇²_θφ g·v = −λv, ∇_θ f = 0) are added in
 * closed form (on the tape they cost as much as a small model's whole replay). Classification sources fix the label
 * of every row ({@link TaskSource}), so the labels are recorded with the tape. A batch-norm layer normalises over the
 * task's whole support (inner) or query (outer) set: transductive, as MAML and iMAML evaluate.
 * Not re-entrant: one task's data are in the buffers at a time.
 *
 * @example
 *   const p = metaLearningProblem({ model: { kind: 'mlp', inputShape: [1], hidden: [40, 40], outputs: 1 }, tasks: sinusoidTasks(), lambda: 2 });
 *   const t = p.task(0);                                   // task 0 as a BilevelProblem
 *   const hg = t.hypergradient(theta);                     // its exact implicit meta-gradient hg.grad
 */
export interface MetaLearningProblem extends BilevelProblem {
  readonly kind: 'meta-learning';
  readonly lambda: number;
  readonly model: MetaModel;
  readonly tasks: TaskSource;
  /** Task j as a BilevelProblem: inner samples its support rows, outer samples its query rows, z = φ, x = θ; solveInner and hypergradient start at z0 = θ unless told. */
  task(j: number): TaskProblem;
  /** The data of task j (from the source, cached). */
  taskData(j: number): MetaTask;
  /** Query loss (and accuracy) of the weights φ on task j. */
  score(j: number, phi: Float64Array): TaskScore;
  /** Support loss L̂_j(φ) (without the proximal term) of task j. */
  supportLoss(j: number, phi: Float64Array): number;
  /** The model's initial weights for this seed (a starting θ). */
  initialParams(seed?: number): Float64Array;
  /**
   * The exact meta-gradient mean_j ∇h_j(θ) over `tasks`: each φ_j*(θ) solved from θ to ‖∇g_j‖ ≤ `tol` (default
   * 1e-10), then (∇²g_j)v_j = −∇f_j by CG to 1e-12 relative; also the mean query loss at the φ_j*.
   */
  metaGradient(theta: Float64Array, tasks: Int32Array, options?: InnerSolveOptions): { readonly grad: Float64Array; readonly value: number; readonly hypergradients: readonly ModelHypergradient[] };
}

/** Whether a problem (or its counting wrapper) is a {@link MetaLearningProblem}. */
export function isMetaLearningProblem(p: BilevelProblem): p is MetaLearningProblem {
  return (p as Partial<MetaLearningProblem>).kind === 'meta-learning';
}

const describe = (v: unknown) => (v === undefined ? 'undefined' : typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : typeof v);

function checkSource(tasks: TaskSource): void {
  const fn = 'metaLearningProblem';
  if (tasks === null || typeof tasks !== 'object' || typeof tasks.task !== 'function') throw new TypeError(`${fn}: spec.tasks must be a TaskSource (task(j), count, …), received ${describe(tasks)}`);
  for (const f of ['count', 'supportRows', 'queryRows', 'outputs'] as const) {
    const v = tasks[f];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${fn}: spec.tasks.${f} must be a positive integer, received ${describe(v)}`);
  }
  if (tasks.count > 2 ** 31 - 1) throw new RangeError(`${fn}: spec.tasks.count must be at most 2³¹ − 1 (task ids are Int32Array entries), received ${tasks.count}`);
  if (tasks.kind === 'classification') {
    for (const [f, rows] of [['supportLabels', tasks.supportRows], ['queryLabels', tasks.queryRows]] as const) {
      const y = tasks[f];
      if (!(y instanceof Int32Array) || y.length !== rows) throw new RangeError(`${fn}: spec.tasks.${f} must be an Int32Array of ${rows} labels (one per row)`);
      const bad = y.findIndex((c) => c < 0 || c >= tasks.outputs);
      if (bad >= 0) throw new RangeError(`${fn}: spec.tasks.${f}[${bad}] = ${y[bad]} is not a class in 0..${tasks.outputs - 1}`);
    }
  } else if (tasks.kind !== 'regression') throw new RangeError(`${fn}: spec.tasks.kind must be "classification" or "regression", received ${describe(tasks.kind)}`);
}

/** Builds a {@link MetaLearningProblem} (see there). Errors name the spec field and what was expected. */
export function metaLearningProblem(spec: MetaLearningSpec): MetaLearningProblem {
  const fn = 'metaLearningProblem';
  if (spec === null || typeof spec !== 'object') throw new TypeError(`${fn}: spec must be { model, tasks, lambda }, received ${describe(spec)}`);
  const known = ['model', 'tasks', 'lambda', 'name', 'cacheSize', 'kernels'];
  for (const key of Object.keys(spec)) if (!known.includes(key)) throw new RangeError(`${fn}: unknown field spec.${key}; expected one of ${known.join(', ')}`);
  const { tasks, lambda } = spec;
  checkSource(tasks);
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda <= 0) throw new RangeError(`${fn}: spec.lambda must be a positive finite number (the proximal weight λ), received ${describe(lambda)}`);
  const cacheSize = spec.cacheSize ?? 256;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) throw new RangeError(`${fn}: spec.cacheSize must be a positive integer, received ${describe(cacheSize)}`);
  const model = 'forward' in spec.model ? spec.model : metaModel(spec.model);
  if (model.outputs !== tasks.outputs) throw new RangeError(`${fn}: the model has ${model.outputs} outputs but the tasks need ${tasks.outputs} (${tasks.kind === 'classification' ? 'one logit per class' : 'one real output'})`);
  const shape = model.inputShape;
  if (shape.length !== tasks.inputShape.length || shape.some((d, i) => d !== tasks.inputShape[i])) {
    throw new RangeError(`${fn}: the model reads inputs of shape [${shape.join(', ')}] but the tasks' inputs have shape [${tasks.inputShape.join(', ')}]`);
  }
  const d = shape.reduce((a, b) => a * b, 1);
  const S = tasks.supportRows;
  const Q = tasks.queryRows;
  const P = model.size;
  const regression = tasks.kind === 'regression';
  // one task's rows, gathered by reference by the recorded losses
  const supportX = new Float64Array(S * d);
  const queryX = new Float64Array(Q * d);
  const supportY = new Float64Array(S);
  const queryY = new Float64Array(Q);
  let queryOutputs: TapeVar | null = null;

  const dataLoss = (t: Tape, params: Parameters<MetaModel['forward']>[1], x: Float64Array, y: Float64Array, labels: Int32Array | undefined, out: (v: TapeVar) => void) => {
    const outputs = model.forward(t, params, t.gatherRows(x, shape));
    out(outputs);
    if (regression) {
      const err = t.sub(outputs, t.gatherRows(y, [1]));
      return t.mean(t.square(err));
    }
    return t.mean(t.softmaxCrossEntropy(outputs, t.gatherLabels(labels as Int32Array)));
  };
  const shapes = model.params as TensorShapes;
  // the data losses only: the proximal term, its derivatives and the θ-side oracles are added in closed form below
  const mp = modelProblem({
    name: spec.name ?? `meta-${tasks.name}`,
    params: shapes,
    hyper: { unused: [1] },
    maxBatch: Math.max(S, Q),
    warmStart: false,
    init: 'zeros',
    ...(spec.kernels ? { kernels: spec.kernels } : {}),
    inner: { n: S, loss: (t, params) => dataLoss(t, params, supportX, supportY, tasks.supportLabels, () => undefined) },
    outer: { n: Q, loss: (t, params) => dataLoss(t, params, queryX, queryY, tasks.queryLabels, (v) => (queryOutputs = v)) },
    info: { model: model.name },
  });
  const none = new Float64Array(1);
  const half = lambda / 2;
  const checkVec = (oracle: string, arg: string, a: Float64Array) => {
    if (!(a instanceof Float64Array) || a.length !== P) throw new RangeError(`${mp.name}.${oracle}: ${arg} must be a Float64Array of length ${P}, received ${a instanceof Float64Array ? `length ${a.length}` : typeof a}`);
  };
  /** The oracles of the loaded task: the recorded data losses plus (λ/2)‖φ − θ‖² in closed form. */
  const oracles = {
    innerValue(z: Float64Array, x: Float64Array, b: Int32Array): number {
      checkVec('innerValue', 'x', x);
      let d2 = 0;
      for (let i = 0; i < P; i++) d2 += (z[i] - x[i]) * (z[i] - x[i]);
      return mp.innerValue(z, none, b) + half * d2;
    },
    outerValue: (z: Float64Array, _x: Float64Array, b: Int32Array) => mp.outerValue(z, none, b),
    innerGradZ(z: Float64Array, x: Float64Array, b: Int32Array, out: Float64Array) {
      checkVec('innerGradZ', 'x', x);
      mp.innerGradZ(z, none, b, out);
      for (let i = 0; i < P; i++) out[i] += lambda * (z[i] - x[i]);
    },
    innerGradX(z: Float64Array, x: Float64Array, _b: Int32Array, out: Float64Array) {
      checkVec('innerGradX', 'z', z);
      checkVec('innerGradX', 'x', x);
      checkVec('innerGradX', 'out', out);
      for (let i = 0; i < P; i++) out[i] = lambda * (x[i] - z[i]);
    },
    innerHvp(z: Float64Array, _x: Float64Array, v: Float64Array, b: Int32Array, out: Float64Array) {
      mp.innerHvp(z, none, v, b, out);
      for (let i = 0; i < P; i++) out[i] += lambda * v[i];
    },
    innerCross(_z: Float64Array, _x: Float64Array, v: Float64Array, _b: Int32Array, out: Float64Array) {
      checkVec('innerCross', 'v', v);
      checkVec('innerCross', 'out', out);
      for (let i = 0; i < P; i++) out[i] = -lambda * v[i];
    },
    outerGradZ: (z: Float64Array, _x: Float64Array, b: Int32Array, out: Float64Array) => mp.outerGradZ(z, none, b, out),
    outerGradX(_z: Float64Array, _x: Float64Array, _b: Int32Array, out: Float64Array) {
      checkVec('outerGradX', 'out', out);
      out.fill(0);
    },
    outerHvp: (z: Float64Array, _x: Float64Array, v: Float64Array, b: Int32Array, out: Float64Array) => mp.outerHvp!(z, none, v, b, out),
    outerCross(_z: Float64Array, _x: Float64Array, _v: Float64Array, _b: Int32Array, out: Float64Array) {
      checkVec('outerCross', 'out', out);
      out.fill(0);
    },
  };

  // tasks ready to load, least recently used first (a Map keeps insertion order)
  const cache = new Map<number, MetaTask>();
  const taskData = (j: number): MetaTask => {
    if (!Number.isSafeInteger(j) || j < 0 || j >= tasks.count) throw new RangeError(`${mp.name}: task id must be an integer in 0..${tasks.count - 1}, received ${describe(j)}`);
    const hit = cache.get(j);
    if (hit) {
      cache.delete(j);
      cache.set(j, hit);
      return hit;
    }
    const t = tasks.task(j);
    const check = (set: MetaTask['support'], rows: number, labels: Int32Array | undefined, what: string) => {
      if (set.rows !== rows || set.x.length !== rows * d || set.y.length !== rows) {
        throw new RangeError(`${mp.name}: task ${j}'s ${what} set has ${set.rows} rows (${set.x.length} inputs, ${set.y.length} targets), expected ${rows} rows of ${d} numbers`);
      }
      if (labels) for (let i = 0; i < rows; i++) if (set.y[i] !== labels[i]) throw new RangeError(`${mp.name}: task ${j}'s ${what} row ${i} has label ${set.y[i]}, expected ${labels[i]} (rows grouped by class)`);
    };
    check(t.support, S, tasks.supportLabels, 'support');
    check(t.query, Q, tasks.queryLabels, 'query');
    cache.set(j, t);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as number);
    return t;
  };
  let loaded = -1;
  const load = (j: number) => {
    if (j === loaded) return;
    const t = taskData(j);
    supportX.set(t.support.x);
    queryX.set(t.query.x);
    if (regression) {
      supportY.set(t.support.y);
      queryY.set(t.query.y);
    }
    loaded = j;
  };

  const views = new Map<number, TaskProblem>();
  const task = (j: number): TaskProblem => {
    load(j);
    const cached = views.get(j);
    if (cached) return cached;
    const view: TaskProblem = {
      name: `${mp.name}/task${j}`,
      dimZ: P,
      dimX: P,
      nInner: S,
      nOuter: Q,
      precision: 'float64',
      fullInner: mp.fullInner,
      fullOuter: mp.fullOuter,
      innerValue: (z, x, b) => (load(j), oracles.innerValue(z, x, b)),
      outerValue: (z, x, b) => (load(j), oracles.outerValue(z, x, b)),
      innerGradZ: (z, x, b, o) => (load(j), oracles.innerGradZ(z, x, b, o)),
      innerGradX: (z, x, b, o) => oracles.innerGradX(z, x, b, o),
      outerGradZ: (z, x, b, o) => (load(j), oracles.outerGradZ(z, x, b, o)),
      outerGradX: (z, x, b, o) => oracles.outerGradX(z, x, b, o),
      innerHvp: (z, x, v, b, o) => (load(j), oracles.innerHvp(z, x, v, b, o)),
      innerCross: (z, x, v, b, o) => oracles.innerCross(z, x, v, b, o),
      outerHvp: (z, x, v, b, o) => (load(j), oracles.outerHvp(z, x, v, b, o)),
      outerCross: (z, x, v, b, o) => oracles.outerCross(z, x, v, b, o),
      solveInner(x, o = {}) {
        const tol = o.tol ?? INNER_TOL;
        return { ...solveInnerNewtonCg(view, x, { tol, z0: o.z0 ?? x, ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}) }), tol };
      },
      hypergradient(x, o = {}) {
        const inner = view.solveInner(x, o);
        const { z } = inner;
        const b = new Float64Array(P);
        view.outerGradZ(z, x, mp.fullOuter, b);
        for (let i = 0; i < P; i++) b[i] = -b[i];
        const v = new Float64Array(P);
        const res = conjugateGradient((p, out) => view.innerHvp(z, x, p, mp.fullInner, out), b, v, { rtol: 1e-12, atol: 1e-300, maxIter: 50 * P });
        const grad = new Float64Array(P);
        view.innerCross(z, x, v, mp.fullInner, grad);
        return {
          value: view.outerValue(z, x, mp.fullOuter),
          grad,
          z,
          v,
          innerGradNorm: inner.gradNorm,
          innerConverged: inner.converged,
          innerTol: inner.tol,
          linear: { solver: 'cg', iterations: res.iterations, matvecs: res.matvecs, residualNorm: res.residualNorm, converged: res.converged, reason: res.reason },
        };
      },
      info: { ...mp.info, task: j },
    };
    if (views.size >= 64) views.delete(views.keys().next().value as number);
    views.set(j, view);
    return view;
  };

  const count = tasks.count;
  let full: Int32Array | undefined;
  const checkBatch = (oracle: string, batch: Int32Array) => {
    if (!(batch instanceof Int32Array) || batch.length === 0) throw new RangeError(`${mp.name}.${oracle}: batch must be a non-empty Int32Array of task ids, received ${describe(batch)}`);
    for (let k = 0; k < batch.length; k++) {
      const j = batch[k];
      if (j < 0 || j >= count) throw new RangeError(`${mp.name}.${oracle}: batch[${k}] = ${j} is not a task id in 0..${count - 1}`);
    }
  };
  const zAcc = new Float64Array(P);
  const xAcc = new Float64Array(P);
  /** out ← the mean over the batch's tasks of oracle(task) (one task: straight into out). */
  const meanOver = (oracle: string, batch: Int32Array, out: Float64Array, call: (o: Float64Array) => void) => {
    checkBatch(oracle, batch);
    if (batch.length === 1) {
      load(batch[0]);
      call(out);
      return;
    }
    const acc = out.length === P ? zAcc : xAcc;
    acc.fill(0);
    for (let k = 0; k < batch.length; k++) {
      load(batch[k]);
      call(out);
      for (let i = 0; i < out.length; i++) acc[i] += out[i];
    }
    for (let i = 0; i < out.length; i++) out[i] = acc[i] / batch.length;
  };
  const meanValue = (oracle: string, batch: Int32Array, call: () => number) => {
    checkBatch(oracle, batch);
    let s = 0;
    for (let k = 0; k < batch.length; k++) {
      load(batch[k]);
      s += call();
    }
    return s / batch.length;
  };
  const refuse = (what: string): never => {
    throw new RangeError(
      `${mp.name}.${what}: a meta-learning problem has one inner problem per task (its own φ_j), not one z for all ${count} tasks; use problem.task(j).${what}(θ) for task j, or problem.metaGradient(θ, tasks) for the exact meta-gradient over chosen tasks`,
    );
  };

  const problem: MetaLearningProblem = {
    kind: 'meta-learning',
    name: mp.name,
    dimZ: P,
    dimX: P,
    nInner: count,
    nOuter: count,
    precision: 'float64',
    lambda,
    model,
    tasks,
    get fullInner() {
      full ??= fullBatch(count);
      return full;
    },
    get fullOuter() {
      full ??= fullBatch(count);
      return full;
    },
    innerValue: (z, x, batch) => meanValue('innerValue', batch, () => oracles.innerValue(z, x, mp.fullInner)),
    outerValue: (z, x, batch) => meanValue('outerValue', batch, () => oracles.outerValue(z, x, mp.fullOuter)),
    innerGradZ: (z, x, batch, out) => meanOver('innerGradZ', batch, out, (o) => oracles.innerGradZ(z, x, mp.fullInner, o)),
    innerGradX: (z, x, batch, out) => (checkBatch('innerGradX', batch), oracles.innerGradX(z, x, batch, out)),
    innerHvp: (z, x, v, batch, out) => meanOver('innerHvp', batch, out, (o) => oracles.innerHvp(z, x, v, mp.fullInner, o)),
    innerCross: (z, x, v, batch, out) => (checkBatch('innerCross', batch), oracles.innerCross(z, x, v, batch, out)),
    outerGradZ: (z, x, batch, out) => meanOver('outerGradZ', batch, out, (o) => oracles.outerGradZ(z, x, mp.fullOuter, o)),
    outerGradX: (z, x, batch, out) => (checkBatch('outerGradX', batch), oracles.outerGradX(z, x, batch, out)),
    outerHvp: (z, x, v, batch, out) => meanOver('outerHvp', batch, out, (o) => oracles.outerHvp(z, x, v, mp.fullOuter, o)),
    outerCross: (z, x, v, batch, out) => (checkBatch('outerCross', batch), oracles.outerCross(z, x, v, batch, out)),
    solveInner: (): InnerSolution => refuse('solveInner'),
    hypergradient: (): Hypergradient => refuse('hypergradient'),
    task,
    taskData,
    score(j, phi) {
      load(j);
      const loss = mp.outerValue(phi, none, mp.fullOuter);
      if (regression) return { loss };
      // the query logits of the replay that just ran
      const logits = (queryOutputs as TapeVar).val;
      const labels = tasks.queryLabels as Int32Array;
      const K = tasks.outputs;
      let right = 0;
      for (let r = 0; r < Q; r++) {
        let best = 0;
        for (let c = 1; c < K; c++) if (logits[r * K + c] > logits[r * K + best]) best = c;
        if (best === labels[r]) right++;
      }
      return { loss, accuracy: right / Q };
    },
    supportLoss(j, phi) {
      load(j);
      return mp.innerValue(phi, none, mp.fullInner);
    },
    initialParams: (seed = 0) => model.init(seed),
    metaGradient(theta, ids, options = {}) {
      checkBatch('metaGradient', ids);
      const grad = new Float64Array(P);
      let value = 0;
      const hypergradients: ModelHypergradient[] = [];
      for (const j of ids) {
        const hg = task(j).hypergradient(theta, options);
        hypergradients.push(hg);
        value += hg.value / ids.length;
        for (let i = 0; i < P; i++) grad[i] += hg.grad[i] / ids.length;
      }
      return { grad, value, hypergradients };
    },
    info: {
      model: model.name,
      weights: P,
      lambda,
      tasks: tasks.name,
      taskCount: count,
      supportRows: S,
      queryRows: Q,
      ...tasks.info,
    },
  };
  return problem;
}
