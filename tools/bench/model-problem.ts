import { lastValueFrom } from 'rxjs';
import { buildProblem } from '@bilevel/cli';
import type { BilevelProblem } from '@bilevel/problems';
import { LogregHpo } from '@bilevel/problems';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';
import { logregModel, modelProblem } from '@bilevel/autodiff';
import type { Tape, TapeVar } from '@bilevel/autodiff';
import { Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { median, timeCall } from './probe/time-call';

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
 * Cost of the second-order oracles relative to a gradient on an MLP d → h (tanh) → 10 with one decay per layer, on
 * seeded data (n = 1024 rows, batch 64): µs per call of innerValue, innerGradZ, innerHvp, innerCross, innerHvpCross,
 * medians of alternated timed blocks.
 */
function mlpOracleCosts(d: number, h: number, reps: number) {
  const n = 1024;
  const rng = Rng.fromSeed(1);
  const X: Matrix = { rows: n, cols: d, data: rng.normals(new Float64Array(n * d)) };
  const y = Int32Array.from({ length: n }, () => rng.int(0, 9));
  const norm = (t: Tape, W: TapeVar) => t.reshape(t.sum(t.square(W)), [1]);
  const net = (t: Tape, p: { readonly W1: TapeVar; readonly b1: TapeVar; readonly W2: TapeVar; readonly b2: TapeVar }) =>
    t.mean(t.softmaxCrossEntropy(t.linear(t.tanh(t.linear(t.gatherRows(X), p.W1, p.b1)), p.W2, p.b2), t.gatherLabels(y)));
  const p = modelProblem({
    params: { W1: [d, h], b1: [h], W2: [h, 10], b2: [10] },
    hyper: { logDecay: [2] },
    inner: { n, loss: (t, q, k) => t.add(net(t, q), t.sum(t.mul(t.exp(k.logDecay), t.concat([norm(t, q.W1), norm(t, q.W2)], 0)), 0.5)) },
    outer: { n, loss: (t, q) => net(t, q) },
    maxBatch: 64,
  });
  const z = p.initialZ();
  const v = rng.normals(new Float64Array(p.dimZ));
  const x = Float64Array.of(-3, -3);
  const batch = Int32Array.from({ length: 64 }, (_, k) => (37 * k) % n);
  const [g, hv, c] = [new Float64Array(p.dimZ), new Float64Array(p.dimZ), new Float64Array(2)];
  const timers = {
    innerValue: timeCall(() => p.innerValue(z, x, batch)),
    innerGradZ: timeCall(() => p.innerGradZ(z, x, batch, g)),
    innerHvp: timeCall(() => p.innerHvp(z, x, v, batch, hv)),
    innerCross: timeCall(() => p.innerCross(z, x, v, batch, c)),
    innerHvpCross: timeCall(() => p.innerHvpCross(z, x, v, batch, hv, c)),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(timers).map((k) => [k, []]));
  for (let r = 0; r < reps; r++) for (const [k, timer] of Object.entries(timers)) samples[k].push(timer.block() * 1e6);
  const micros = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, round(median(xs), 1)])) as Record<keyof typeof timers, number>;
  return { model: `MLP ${d}-${h}-10 tanh, batch 64`, dimZ: p.dimZ, micros, hvpPerGradient: round(micros.innerHvp / micros.innerGradZ, 2), hvpCrossPerGradient: round(micros.innerHvpCross / micros.innerGradZ, 2) };
}

/**
 * `npm run bench -- model-problem [--iters 20000] [--reps 5]`: the logistic task (default logreg data: breast cancer
 * 60/40, standardized; scalar and per-feature weight) as a user's model (`logregModel`, libs/autodiff/src/model) against
 * the hand-written LogregHpo: µs per SABA iteration (batch 32, through `run`), repetitions alternated after a warm-up,
 * medians and the ratio against the target ≤ 2; and the relative difference of value and hypergradient at x = −1
 * (both inner solves to ‖∇_z G‖ ≤ 1e-13) against the target 1e-10; then the cost of an HVP relative to a gradient
 * on two MLPs (30-16-10: the example's inputs and width; 784-64-10: Fashion-MNIST sized), batch 64.
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
  const mlps = [mlpOracleCosts(30, 16, 2 * reps + 1), mlpOracleCosts(784, 64, 2 * reps + 1)];
  for (const m of mlps) rows.push({ reg: m.model, 'model µs/iter': `grad ${m.micros.innerGradZ} µs, HVP ${m.micros.innerHvp} µs`, ratio: m.hvpPerGradient });
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
    mlps,
    rows,
  };
}
