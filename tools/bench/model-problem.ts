import { lastValueFrom } from 'rxjs';
import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { logregModel } from '@bilevel/autodiff';
import { median } from './probe/time-call';

/** Target of issue 17: SABA on a modelProblem within this factor of the hand-written oracles' time per iteration. */
const MODEL_RATIO_TARGET = 2;
/** Target of issue 17: the modelProblem's hypergradient against the hand-written one, relative. */
const HYPERGRADIENT_TARGET = 1e-10;
/** Both evaluations solve the inner problem to this ‖∇_z G‖ (Newton–CG on one side, Newton + Cholesky on the other). */
const EVAL_TOL = 1e-13;

const round = (x: number, digits: number) => +x.toFixed(digits);
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let s = 1e-300;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  }
  return d / s;
};

/** µs per SABA iteration through `run` (solver seconds: evaluation and subscribers excluded). */
async function sabaMicros(problem: BilevelProblem, iters: number, seed: number): Promise<number> {
  const last = await lastValueFrom(run(problem, saba({ batchSize: 32 }), { maxIter: iters, sampleEvery: iters, seed }));
  return (last.solverSeconds * 1e6) / iters;
}

/**
 * `npm run bench -- model-problem [--iters 20000] [--reps 5]`: the logistic task (default logreg data: breast cancer
 * 60/40, standardized; scalar and per-feature weight) as a user's model (`logregModel`, libs/autodiff/src/model) against
 * the hand-written LogregHpo: µs per SABA iteration (batch 32, through `run`), repetitions alternated after a warm-up,
 * medians and the ratio against the target ≤ 2; and the relative difference of value and hypergradient at x = −1
 * (both inner solves to ‖∇_z G‖ ≤ 1e-13) against the target 1e-10.
 */
export async function benchModelProblem(args: Record<string, number> = {}) {
  const iters = args.iters ?? 20_000;
  const reps = args.reps ?? 5;
  for (const [name, v] of Object.entries({ iters, reps })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`benchModelProblem: --${name} must be a positive integer, received ${v}`);
  }
  const rows: Record<string, unknown>[] = [];
  const results: Record<string, unknown> = {};
  for (const reg of ['scalar', 'feature'] as const) {
    const analytic = buildProblem({ problem: 'logreg-hpo', reg, standardize: 'train', seed: 0 });
    if (!(analytic instanceof LogregHpo)) throw new Error('benchModelProblem: buildProblem(logreg-hpo) did not return a LogregHpo');
    const model = logregModel(analytic, { innerSolver: 'newton-cg' });
    const x = new Float64Array(analytic.dimX).fill(-1);
    const want = analytic.hypergradient(x, { tol: EVAL_TOL });
    const got = model.hypergradient(x, { tol: EVAL_TOL });
    const valueErr = Math.abs(got.value - want.value) / Math.abs(want.value);
    const gradErr = relErr(got.grad, want.grad);
    await sabaMicros(analytic, iters, 99);
    await sabaMicros(model, iters, 99);
    const a: number[] = [];
    const m: number[] = [];
    for (let r = 0; r < reps; r++) {
      a.push(await sabaMicros(analytic, iters, r));
      m.push(await sabaMicros(model, iters, r));
    }
    const ratios = m.map((v, i) => v / a[i]);
    const ratio = median(ratios);
    results[reg] = {
      analyticMicrosPerIter: round(median(a), 2),
      modelMicrosPerIter: round(median(m), 2),
      ratio: round(ratio, 2),
      ratioMinMax: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)],
      ok: ratio <= MODEL_RATIO_TARGET,
      valueRelErr: valueErr,
      hypergradientRelErr: gradErr,
      hypergradientOk: valueErr <= HYPERGRADIENT_TARGET && gradErr <= HYPERGRADIENT_TARGET,
    };
    rows.push({ reg, 'analytic µs/iter': round(median(a), 2), 'model µs/iter': round(median(m), 2), ratio: round(ratio, 2), 'h rel err': valueErr.toExponential(1), '∇h rel err': gradErr.toExponential(1) });
  }
  const scalar = results.scalar as { ratio: number };
  const feature = results.feature as { ratio: number };
  return {
    benchmark: 'model-problem',
    task: 'SABA batch 32 through run() on the default logreg task (breast cancer 60/40): hand-written LogregHpo vs logregModel (modelProblem)',
    iters,
    reps,
    target: MODEL_RATIO_TARGET,
    ratio: Math.max(scalar.ratio, feature.ratio),
    ok: Math.max(scalar.ratio, feature.ratio) <= MODEL_RATIO_TARGET,
    ...results,
    rows,
  };
}
