// `npm run bench -- deq [--train N] [--test N] [--epochs E] [--hidden D] [--batch B] [--lr A] [--seed S]
// [--evalEvery K] [--refine R]`: deep equilibrium training on Fashion-MNIST (../shared/data/fashion-mnist; the
// bundled subset when it is missing), one run per backward pass with the same data, initial weights, batch order,
// forward solver (Broyden) and budget: exact (GMRES), SHINE, SHINE-OPA, Jacobian-free, and SHINE and JFB refined by
// R exact iterations. Reports per method the backward cost per step (CPU seconds of the linear-system stream, and of
// the whole backward pass with the parameter VJP; Jacobian products), the forward cost, the final test accuracy on
// the test set, and the cosine of the backward direction to the exact one (mean over evaluation points, on a probe
// batch); the targets of issue 19 against exact training: SHINE's backward ≤ 1/5 of exact, its accuracy within 1
// point, JFB's within 2.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deqProblem } from '@bilevel/autodiff';
import type { DeqProblem } from '@bilevel/autodiff';
import { BatchedBroyden, Rng } from '@bilevel/linalg';
import { loadDeqData } from '@bilevel/problems';
import type { DeqTrainingOptions } from '@bilevel/solvers';
import { adjointAlongLoss, checkDeqDirection, deqBackward, deqTraining, resolveDeqOptions } from '@bilevel/solvers';
import type { Snapshot } from '@bilevel/streams';
import { runLoop, timedSolver } from '@bilevel/streams';

/** Issue 19's targets. */
const SHINE_COST_TARGET = 1 / 5;
const SHINE_ACCURACY_POINTS = 1;
const JFB_ACCURACY_POINTS = 2;

const round = (x: number, digits = 4) => +x.toFixed(digits);
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);

/** The process's CPU time in ms (user + system): step costs unaffected by other programs sharing the cores. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Accuracy on the held-out samples `idx` at x (their forward solves as the problem's spec says: Broyden to 1e-6). */
function accuracy(problem: DeqProblem, x: Float64Array, idx: Int32Array): number {
  const d = problem.stateDim;
  const labels = problem.labels('test');
  const z = new Float64Array(problem.nHeldOut * d);
  problem.forwardSolve('test', idx, x, z);
  let right = 0;
  for (let s = 0; s < idx.length; s += 256) {
    const c = idx.subarray(s, Math.min(idx.length, s + 256));
    const zc = new Float64Array(c.length * d);
    for (let k = 0; k < c.length; k++) zc.set(z.subarray(c[k] * d, c[k] * d + d), k * d);
    const pred = new Int32Array(c.length);
    problem.heldOutBatch(c, x).predict(zc, pred);
    for (let k = 0; k < c.length; k++) if (pred[k] === labels[c[k]]) right++;
  }
  return right / idx.length;
}

/**
 * The backward pass proper on one batch, in CPU ms, after a forward Broyden solve as training makes it (not timed):
 * ∇_zL and ∇_θL of the head, u by the method, and the parameters' VJP (∂f/∂θ)ᵀu; for SHINE-OPA, plus the time of
 * its adjoint-Broyden updates made during the forward solve (one VJP and one head gradient each). Median of `reps`
 * passes; the same for the exact pass at the same equilibria.
 */
function backwardMs(problem: DeqProblem, x: Float64Array, batch: Int32Array, options: DeqTrainingOptions, reps: number): { method: number; exact: number } {
  const o = resolveDeqOptions('bench', options);
  const method = deqBackward(o);
  const exact = deqBackward(resolveDeqOptions('bench', { ...options, backward: 'exact', refine: 0 }));
  const d = problem.stateDim;
  const B = batch.length;
  const eq = problem.equilibriumBatch(batch, x);
  const opa = o.backward === 'shine-opa';
  const qn = new BatchedBroyden(B, d, { memory: o.memory + 10 });
  const z = new Float64Array(B * d);
  const buf = { gz: new Float64Array(B * d), sigma: new Float64Array(B * d), t: new Float64Array(B * d) };
  let opaMs = 0;
  const opaUpdate = (zi: Float64Array) => {
    const t0 = cpuMs();
    adjointAlongLoss(eq, qn, zi, buf);
    opaMs += cpuMs() - t0;
  };
  const res = qn.solve((q, f) => eq.layer(q, f), z, { tol: o.forwardTol, maxIter: o.forwardMaxIter }, opa ? (it, zi) => it % o.opaEvery === 0 && opaUpdate(zi) : undefined);
  if (opa && res.converged) opaUpdate(z);
  const inverse = qn.inverse();
  const rhs = new Float64Array(B * d);
  const gx = new Float64Array(problem.dimX);
  const g = new Float64Array(problem.dimX);
  const u = new Float64Array(B * d);
  const time = (pass: typeof method) => {
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = cpuMs();
      eq.loss(z, rhs, gx);
      pass.direction({ batch: eq, z, rhs, inverse }, u);
      eq.vjpX(z, u, g);
      ms.push(cpuMs() - t0);
    }
    ms.sort((a, b) => a - b);
    return ms[ms.length >> 1];
  };
  return { method: time(method) + opaMs, exact: time(exact) };
}

interface MethodRow {
  method: string;
  linsysSecondsPerStep: number;
  backwardSecondsPerStep: number;
  forwardSecondsPerStep: number;
  jacobianProductsPerStep: number;
  forwardIterations: number;
  forwardFailures: number;
  testAccuracy: number;
  /** The backward pass proper (see {@link backwardMs}), CPU ms, mean over the evaluation points, and the exact one's. */
  backwardMs: number;
  exactBackwardMs: number;
  cosine: number;
  gradientCosine: number;
  trace: Record<string, number>[];
}

export async function benchDeq(args: Record<string, number>) {
  const dir = fileURLToPath(new URL('../../../shared/data/fashion-mnist', import.meta.url));
  const shared = existsSync(dir);
  const seed = args.seed ?? 0;
  const data = loadDeqData({ ...(shared ? { data: dir } : {}), trainSize: args.train ?? 20000, seed });
  const hidden = args.hidden ?? 64;
  const batch = args.batch ?? 64;
  const epochs = args.epochs ?? 2;
  const steps = Math.round((epochs * data.train.features.rows) / batch);
  const evalEvery = args.evalEvery ?? Math.max(1, Math.round(steps / 6));
  const refine = args.refine ?? 5;
  const common: DeqTrainingOptions = { forward: 'broyden', batchSize: batch, outerStep: args.lr ?? 1e-3, forwardTol: 1e-4, forwardMaxIter: 30 };
  const methods: [string, DeqTrainingOptions][] = [
    ['exact', { backward: 'exact' }],
    ['shine', { backward: 'shine' }],
    ['shine-opa', { backward: 'shine-opa' }],
    ['jfb', { backward: 'jfb' }],
    [`shine+${refine}`, { backward: 'shine', refine }],
    [`jfb+${refine}`, { backward: 'jfb', refine }],
  ];
  const nTest = args.test ?? data.test.features.rows;
  const testIdx = Rng.fromSeed(seed + 2).permutation(data.test.features.rows).subarray(0, nTest).sort();
  const midIdx = testIdx.subarray(0, Math.min(2000, testIdx.length));
  const rows: MethodRow[] = [];
  for (const [method, options] of methods) {
    const problem = deqProblem({ train: data.train, test: data.test, classes: 10, hidden, init: { seed }, forwardTol: 1e-6, forwardMaxIter: 100 });
    const opts = { ...common, ...options };
    const probe = Rng.fromSeed(seed + 1).permutation(problem.nInner).subarray(0, batch).sort();
    const trace: Record<string, number>[] = [];
    const onSample = (s: Snapshot) => {
      if (s.iteration === 0 || s.final) return;
      const c = checkDeqDirection(problem, s.x, probe, opts);
      const t = backwardMs(problem, s.x, probe, opts, 7);
      trace.push({
        iteration: s.iteration,
        testAccuracy2000: round(accuracy(problem, s.x, midIdx)),
        cosine: round(c.cosine, 5),
        gradientCosine: round(c.gradientCosine, 5),
        backwardMs: round(t.method, 3),
        exactBackwardMs: round(t.exact, 3),
      });
      process.stderr.write(`deq bench: ${method} step ${s.iteration}/${steps}: ${JSON.stringify(trace.at(-1))}\n`);
    };
    const last = runLoop(problem, timedSolver(deqTraining(opts), cpuMs), { maxIter: steps, sampleEvery: evalEvery, seed, x0: problem.initialX() }, onSample);
    const d = last.diagnostics;
    const per = (v: number | undefined) => (v ?? NaN) / steps;
    const linsys = per(d.linsys?.totalSeconds);
    const row: MethodRow = {
      method,
      linsysSecondsPerStep: round(linsys, 6),
      // the backward pass: u (the linear-system stream) and the parameters' VJP and Adam step (the outer stream)
      backwardSecondsPerStep: round(linsys + per(d.outer?.totalSeconds), 6),
      forwardSecondsPerStep: round(per(d.inner?.totalSeconds), 6),
      // the exact solve's and the refinements' products, and SHINE-OPA's (made during the forward pass)
      jacobianProductsPerStep: round(per((d.linsys?.backwardProductsTotal ?? 0) + (d.inner?.opaProducts ?? 0)), 2),
      forwardIterations: d.inner?.forwardIterations ?? NaN,
      forwardFailures: d.inner?.forwardFailures ?? NaN,
      testAccuracy: round(accuracy(problem, last.x, testIdx)),
      backwardMs: round(mean(trace.map((t) => t.backwardMs)), 3),
      exactBackwardMs: round(mean(trace.map((t) => t.exactBackwardMs)), 3),
      cosine: round(mean(trace.map((t) => t.cosine)), 5),
      gradientCosine: round(mean(trace.map((t) => t.gradientCosine)), 5),
      trace,
    };
    rows.push(row);
    process.stderr.write(`deq bench: ${method}: ${JSON.stringify({ ...row, trace: undefined })}\n`);
  }
  const exact = rows[0];
  const byName = (m: string) => rows.find((r) => r.method === m) as MethodRow;
  const shine = byName('shine');
  const jfb = byName('jfb');
  // the backward pass proper against the exact one at the same points (SHINE's run), and the streams' seconds per step
  const shineRatio = shine.backwardMs / shine.exactBackwardMs;
  const targets = {
    shineBackwardCostRatio: round(shineRatio, 4),
    shineOpaBackwardCostRatio: round(byName('shine-opa').backwardMs / byName('shine-opa').exactBackwardMs, 4),
    shineLinsysStreamRatio: round(shine.linsysSecondsPerStep / exact.linsysSecondsPerStep, 4),
    shineBackwardStreamsRatio: round(shine.backwardSecondsPerStep / exact.backwardSecondsPerStep, 4),
    shineCostTarget: SHINE_COST_TARGET,
    shineCostMet: shineRatio <= SHINE_COST_TARGET,
    shineAccuracyGapPoints: round(100 * (exact.testAccuracy - shine.testAccuracy), 2),
    shineAccuracyMet: 100 * (exact.testAccuracy - shine.testAccuracy) <= SHINE_ACCURACY_POINTS,
    jfbAccuracyGapPoints: round(100 * (exact.testAccuracy - jfb.testAccuracy), 2),
    jfbAccuracyMet: 100 * (exact.testAccuracy - jfb.testAccuracy) <= JFB_ACCURACY_POINTS,
    cosineOrder: rows
      .filter((r) => ['exact', 'shine-opa', 'shine', 'jfb'].includes(r.method))
      .sort((a, b) => b.cosine - a.cosine)
      .map((r) => r.method)
      .join(' > '),
  };
  return {
    data: shared ? `${dir} (train ${data.train.features.rows} seeded, test ${testIdx.length})` : `bundled subset (../shared/data/fashion-mnist missing): train ${data.train.features.rows}, test ${testIdx.length}`,
    setting: { hidden, batch, epochs, steps, evalEvery, ...common, refine, seed, clock: 'process CPU time' },
    targets,
    rows: rows.map(({ trace: _trace, ...r }) => r),
    traces: Object.fromEntries(rows.map((r) => [r.method, r.trace])),
  };
}
