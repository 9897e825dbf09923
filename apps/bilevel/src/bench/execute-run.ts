import type { Subscription } from 'rxjs';
import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { createSolver, totalCalls } from '@bilevel/solvers';
import type { Snapshot, StopReason } from '@bilevel/streams';
import { DivergenceError, run } from '@bilevel/streams';
import type { RunSpec } from './expand-grid';
import { SUBOPTIMALITY } from './grid-spec';
import { ProblemCache } from './problem-cache';

/** The numeric backend of the analytic oracles. */
export const FLOAT64_BACKEND = 'float64 typed-array kernels';

/** Iteration cap of a run whose budget is seconds only (the clock stops it first). */
const UNBOUNDED_ITER = 1_000_000_000;

/** One evaluated snapshot of a run. Non-finite numbers become `null` in JSON. */
export interface EvalPoint {
  readonly iteration: number;
  /** Solver time so far (s), evaluation and snapshot handling excluded (see `run` of @bilevel/streams). */
  readonly solverSeconds: number;
  /** Oracle calls of all streams, every oracle counted once per call ({@link totalCalls}). */
  readonly oracleCalls: number;
  /** Inner plus outer samples touched by those calls. */
  readonly samples: number;
  /** h(x): exact (inner solve) or F(z_t, x_t) at the solver's own z, as the spec's `evaluation` says. */
  readonly value: number;
  /** (h − h*)/|h*|, when the problem has a reference. */
  readonly suboptimality?: number;
  /** The problem's own metrics (held-out, test error…), at z*(x) or at z_t. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** The spec's metric at this point: `suboptimality` or `metrics[spec.metric]`. */
  readonly metric: number;
}

/** The outcome of one run: JSON-serializable, never thrown. */
export interface RunResult {
  readonly id: string;
  readonly spec: RunSpec;
  /** `diverged`: a stream produced a non-finite iterate; `error`: anything else went wrong (see `error`). */
  readonly status: 'finished' | 'diverged' | 'error';
  readonly stopReason?: StopReason;
  readonly error?: { readonly name: string; readonly message: string };
  readonly hStar?: number;
  /** Numeric backend of the solver's oracles. */
  readonly backend: string;
  readonly iterations: number;
  readonly solverSeconds: number;
  readonly oracleCalls: number;
  readonly evaluationSeconds: number;
  readonly wallSeconds: number;
  readonly points: readonly EvalPoint[];
}

/** What {@link executeRun} may share between runs and report to. */
export interface ExecuteContext {
  /** Problems and h* built once per grid row. Default: a fresh cache (the problem is built for this run). */
  readonly cache?: ProblemCache;
  /** Called after each evaluation (progress display). */
  readonly onEvaluation?: (point: EvalPoint, spec: RunSpec) => void;
}

/**
 * Runs one spec: builds (or takes from the cache) its problem with `buildProblem`, the code path of `bilevel run`,
 * builds the solver with `createSolver(spec.solver, spec.solverOptions)`, runs it through `run` of
 * @bilevel/streams as three coupled streams, and evaluates snapshots on a geometric schedule in iterations: the
 * first, then each one at an iteration ≥ `evalGrowth` × the last evaluated one, and the last. Solver time excludes
 * the evaluations (they happen in the subscriber). A diverging run or any error is recorded in the result.
 *
 * @example
 * const result = await executeRun(expandGrid(DEFAULT_GRID)[0], { cache });
 */
export async function executeRun(spec: RunSpec, context: ExecuteContext = {}): Promise<RunResult> {
  const wallStart = performance.now();
  const points: EvalPoint[] = [];
  let backend = FLOAT64_BACKEND;
  let last: Snapshot | undefined;
  let evaluationMs = 0;
  let hStar: number | undefined;
  const base = () => ({
    id: spec.id,
    spec,
    ...(hStar !== undefined ? { hStar } : {}),
    backend,
    iterations: last?.iteration ?? 0,
    solverSeconds: last?.solverSeconds ?? 0,
    oracleCalls: last ? totalCalls(last.counts.total) : 0,
    evaluationSeconds: evaluationMs / 1000,
    points,
  });
  let dispose = () => undefined as void;
  try {
    const prepared = (context.cache ?? new ProblemCache()).get(spec);
    const problem = prepared.problem;
    hStar = prepared.reference?.value;
    let solverProblem: BilevelProblem = problem;
    if (spec.problem.config.oracles === 'autodiff') {
      if (!(problem instanceof LogregHpo)) throw new RangeError(`executeRun: autodiff oracles apply to logreg-hpo, not ${spec.problem.name}`);
      // tfjs is loaded for autodiff runs only (see run-command.ts)
      const { initEngine, logregAutodiff } = await import('@bilevel/autodiff/tfjs');
      const engine = await initEngine();
      backend = `tfjs-${engine.backend} (float32 autodiff)`;
      const ad = logregAutodiff(problem, 'softplus');
      solverProblem = ad.problem;
      dispose = ad.dispose;
    }
    const solver = createSolver(spec.solver, { ...spec.solverOptions });
    const evaluate = evaluator(spec, problem, hStar);
    let nextEval = 0;
    let divergence: DivergenceError | undefined;
    const status = await new Promise<'finished' | 'diverged'>((resolve, reject) => {
      // an error thrown in `next` would not reach `error` (RxJS reports it asynchronously): catch it here
      let failed = false;
      const handle: { sub?: Subscription } = {};
      handle.sub = run(solverProblem, solver, {
        seed: spec.seed,
        maxIter: spec.maxIter ?? UNBOUNDED_ITER,
        ...(spec.maxSeconds !== undefined ? { maxSeconds: spec.maxSeconds } : {}),
        sampleEvery: spec.evalEvery,
      }).subscribe({
        next: (s) => {
          last = s;
          if (failed || (!s.final && s.iteration < nextEval)) return;
          try {
            const t0 = performance.now();
            const point = evaluate(s);
            evaluationMs += performance.now() - t0;
            points.push(point);
            nextEval = Math.max(s.iteration + 1, Math.ceil(s.iteration * spec.evalGrowth));
            context.onEvaluation?.(point, spec);
          } catch (err) {
            failed = true;
            handle.sub?.unsubscribe();
            reject(err);
          }
        },
        error: (err: unknown) => {
          if (!(err instanceof DivergenceError)) return reject(err);
          divergence = err;
          resolve('diverged');
        },
        complete: () => resolve('finished'),
      });
      if (failed) handle.sub.unsubscribe(); // the first snapshot is emitted during subscribe, before `sub` is set
    });
    return {
      ...base(),
      status,
      ...(status === 'finished' && last?.reason ? { stopReason: last.reason } : {}),
      ...(divergence ? { error: { name: divergence.name, message: divergence.message } } : {}),
      wallSeconds: (performance.now() - wallStart) / 1000,
    };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ...base(), status: 'error', error: { name: e.name, message: e.message }, wallSeconds: (performance.now() - wallStart) / 1000 };
  } finally {
    dispose();
  }
}

/** The evaluation of a snapshot, as `bilevel run` does it (`--evaluate exact|iterate`). */
function evaluator(spec: RunSpec, problem: BilevelProblem, hStar: number | undefined): (s: Snapshot) => EvalPoint {
  let warmZ: Float64Array | undefined;
  const metricsOf = problem.metrics?.bind(problem);
  if (spec.metric !== SUBOPTIMALITY && !metricsOf) {
    throw new RangeError(`executeRun: metric "${spec.metric}" is not available: ${spec.problem.name} reports no metrics; expected "${SUBOPTIMALITY}"`);
  }
  return (s) => {
    let value: number;
    let z: Float64Array;
    if (spec.evaluation === 'iterate') {
      value = problem.outerValue(s.z, s.x, problem.fullOuter);
      z = s.z;
    } else {
      const hg = problem.hypergradient(s.x, warmZ ? { z0: warmZ } : {});
      warmZ = hg.z;
      value = hg.value;
      z = hg.z;
    }
    const metrics = metricsOf?.(s.x, z);
    const suboptimality = hStar !== undefined ? (value - hStar) / Math.abs(hStar) : undefined;
    let metric: number;
    if (spec.metric === SUBOPTIMALITY) metric = suboptimality ?? NaN;
    else {
      const m = metrics?.[spec.metric];
      if (m === undefined) throw new RangeError(`executeRun: metric "${spec.metric}" is not among the metrics of ${spec.problem.name} (${Object.keys(metrics ?? {}).join(', ')})`);
      metric = m;
    }
    const c = s.counts.total;
    return {
      iteration: s.iteration,
      solverSeconds: s.solverSeconds,
      oracleCalls: totalCalls(c),
      samples: c.innerSamples + c.outerSamples,
      value,
      ...(suboptimality !== undefined ? { suboptimality } : {}),
      ...(metrics ? { metrics: { ...metrics } } : {}),
      metric,
    };
  };
}
