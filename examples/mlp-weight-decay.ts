// Worked example of `modelProblem` (issue 17): tune the weight decay of each layer of a small MLP on validation data
// with a bilevel solver.
//
//   npx tsx examples/mlp-weight-decay.ts            (a few seconds; prints the validation loss as x moves)
//
// Data: the bundled UCI breast-cancer set (569 tumours, 30 measurements, benign or malignant), split 50/25/25 into
// training, validation and test rows (stratified, seeded), standardized with the training rows' moments.
// Model: 30 → 16 (tanh) → 2 logits, softmax cross-entropy; 530 parameters. Hyperparameters x = (log λ₁, log λ₂), one
// weight decay per layer:
//
//   G(z, x) = (1/n) Σ_j CE(net_z(a_j), y_j) + ½ (e^{x₀}‖W1‖² + e^{x₁}‖W2‖²)      (training rows)
//   F(z)    = (1/m) Σ_i CE(net_z(b_i), y_i)                                     (validation rows)
//
// Solver: SABA (Dagréou et al., NeurIPS 2022) through `run`, started from a trained network z*(x₀). Why SABA on a
// non-convex inner problem: its z and v steps are small gradient steps, so z follows the local minimizer it starts
// at as x moves (a fresh solve per outer step, as implicit differentiation makes, may land in another one), and it
// needs only what weight decay gives a tanh network near a trained point: a locally strongly convex G, μ ≥ e^{min x}.
// That is also why it starts from the heavily regularized side, x₀ = (0, 0): there μ ≥ 1 and v, which relaxes at the
// rate ρμ, keeps up with x; from x₀ = (−8, −8) (μ ≈ 3e-4) v lags by thousands of steps, the hypergradient estimate
// overshoots and the run diverges (measured). AmIGO makes the same kind of steps, several per outer step.
// Validation loss h(x) = F(z*(x)) is evaluated at the snapshots by a warm-started exact inner solve: on a non-convex
// network z*(x) is the local minimizer reached from the previous one. The end is checked against full-batch L-BFGS
// on exact hypergradients started there (`referenceSolution`).
import { pathToFileURL } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { bundledDataPath, featureMoments, loadClassificationCsv, referenceSolution, splitTrainValTest, standardize } from '@bilevel/problems';
import { modelProblem } from '@bilevel/autodiff';
import type { ModelProblem, Tape, TapeVar } from '@bilevel/autodiff';
import { saba } from '@bilevel/solvers';
import { run } from '@bilevel/streams';

/** Options of {@link mlpWeightDecay}, with their defaults. */
export interface MlpWeightDecayOptions {
  /** SABA outer steps. Default 2000. */
  readonly iterations?: number;
  /** Evaluate h(x) every this many steps. Default 200. */
  readonly evalEvery?: number;
  /** Seed of the split, the initial weights and SABA's batches. Default 0. */
  readonly seed?: number;
  /** Hidden units. Default 16. */
  readonly hidden?: number;
  /** Start: the log weight decay of both layers. Default 0 (λ = 1: the network underfits). */
  readonly logDecay0?: number;
  /** SABA's minibatch, ρ (z and v steps) and γ (x step). Defaults 16, 0.1, 1. */
  readonly batchSize?: number;
  readonly innerStep?: number;
  readonly outerStep?: number;
}

/** One evaluation along the run. */
export interface MlpWeightDecayPoint {
  readonly iteration: number;
  /** Log weight decays (layer 1, layer 2). */
  readonly logDecay: readonly [number, number];
  /** h(x) = F(z*(x)): validation cross-entropy of the network trained at x. */
  readonly validationLoss: number;
  /** Test-set error rate and cross-entropy of that network. */
  readonly testError: number;
  readonly testLoss: number;
}

/** What {@link mlpWeightDecay} returns. */
export interface MlpWeightDecayResult {
  readonly problem: ModelProblem;
  readonly points: readonly MlpWeightDecayPoint[];
  /** Seconds spent in SABA's steps (evaluations excluded). */
  readonly solverSeconds: number;
  /** Full-batch L-BFGS on exact hypergradients from SABA's last x, to ‖∇h‖ ≤ 1e-6: the local minimum nearby. */
  readonly reference: { readonly logDecay: readonly number[]; readonly validationLoss: number; readonly gradNorm: number; readonly converged: boolean };
}

type Params = { W1: [number, number]; b1: [number]; W2: [number, number]; b2: [number] };

/** logits = W2ᵀ tanh(W1ᵀa + b1) + b2 for the batch's rows of X. */
const logits = (t: Tape, p: { readonly W1: TapeVar; readonly b1: TapeVar; readonly W2: TapeVar; readonly b2: TapeVar }, X: Matrix) =>
  t.linear(t.tanh(t.linear(t.gatherRows(X), p.W1, p.b1)), p.W2, p.b2);

/** ‖W‖² as a [1] tensor, to join the layers' norms into one vector. */
const squaredNorm = (t: Tape, W: TapeVar) => t.reshape(t.sum(t.square(W)), [1]);

/** Mean cross-entropy and error rate of the network z on rows X with labels y. */
function classify(p: ModelProblem, z: Float64Array, X: Matrix, y: Int32Array): { loss: number; error: number } {
  const { W1, b1, W2, b2 } = p.layout.params.split(z);
  const h = b1.length;
  const K = b2.length;
  let loss = 0;
  let wrong = 0;
  const hidden = new Float64Array(h);
  const out = new Float64Array(K);
  for (let i = 0; i < X.rows; i++) {
    for (let k = 0; k < h; k++) {
      let s = b1[k];
      for (let j = 0; j < X.cols; j++) s += X.data[i * X.cols + j] * W1[j * h + k];
      hidden[k] = Math.tanh(s);
    }
    for (let c = 0; c < K; c++) {
      let s = b2[c];
      for (let k = 0; k < h; k++) s += hidden[k] * W2[k * K + c];
      out[c] = s;
    }
    const top = Math.max(...out);
    const lse = top + Math.log(out.reduce((acc, o) => acc + Math.exp(o - top), 0));
    loss += lse - out[y[i]];
    if (out.indexOf(top) !== y[i]) wrong++;
  }
  return { loss: loss / X.rows, error: wrong / X.rows };
}

/** Builds the problem, runs SABA on it and evaluates the validation loss along the way. */
export async function mlpWeightDecay(options: MlpWeightDecayOptions = {}): Promise<MlpWeightDecayResult> {
  const iterations = options.iterations ?? 2000;
  const evalEvery = options.evalEvery ?? 200;
  const seed = options.seed ?? 0;
  const hidden = options.hidden ?? 16;

  // data: split, then standardize with the training rows' moments
  const data = loadClassificationCsv(bundledDataPath('breast_cancer.csv'));
  const split = splitTrainValTest(data, Rng.fromSeed(seed));
  const moments = featureMoments(split.train.features);
  const [train, val, test] = [split.train, split.val, split.test].map((s) => standardize(s, moments));
  const d = train.features.cols;
  const K = data.classNames.length;

  // the model: parameters and hyperparameters as named tensors, the losses written with the engine
  const problem = modelProblem({
    name: 'breast-cancer-mlp',
    params: { W1: [d, hidden], b1: [hidden], W2: [hidden, K], b2: [K] } as Params,
    hyper: { logDecay: [2] },
    inner: {
      n: train.features.rows,
      loss: (t, p, h) => {
        const decay = t.sum(t.mul(t.exp(h.logDecay), t.concat([squaredNorm(t, p.W1), squaredNorm(t, p.W2)], 0)), 0.5);
        return t.add(t.mean(t.softmaxCrossEntropy(logits(t, p, train.features), t.gatherLabels(train.labels))), decay);
      },
    },
    outer: { n: val.features.rows, loss: (t, p) => t.mean(t.softmaxCrossEntropy(logits(t, p, val.features), t.gatherLabels(val.labels))) },
    init: { kind: 'glorot-uniform', seed },
    innerTol: 1e-8,
  });

  const x0 = Float64Array.of(options.logDecay0 ?? 0, options.logDecay0 ?? 0);
  const start = problem.solveInner(x0).z; // a trained network: SABA starts at z*(x₀)
  const solver = saba({ batchSize: options.batchSize ?? 16, innerStep: options.innerStep ?? 0.1, outerStep: options.outerStep ?? 1 });
  const snapshots = await lastValueFrom(run(problem, solver, { maxIter: iterations, sampleEvery: evalEvery, seed, z0: start, x0 }).pipe(toArray()));

  const points = snapshots.map((s) => {
    const z = problem.solveInner(s.x).z; // warm-started: the local minimizer followed from the previous point
    const onTest = classify(problem, z, test.features, test.labels);
    return {
      iteration: s.iteration,
      logDecay: [s.x[0], s.x[1]] as const,
      validationLoss: problem.outerValue(z, s.x, problem.fullOuter),
      testError: onTest.error,
      testLoss: onTest.loss,
    };
  });
  const ref = referenceSolution(problem, { x0: snapshots[snapshots.length - 1].x, gtol: 1e-6, maxIter: 100 });
  return {
    problem,
    points,
    solverSeconds: snapshots[snapshots.length - 1].solverSeconds,
    reference: { logDecay: Array.from(ref.x), validationLoss: ref.value, gradNorm: ref.gradNorm, converged: ref.converged },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const { points, solverSeconds, problem, reference } = await mlpWeightDecay();
  console.log(`${problem.name}: ${problem.dimZ} parameters (${problem.info?.params}), x = log weight decay per layer`);
  console.table(
    points.map((p) => ({
      iteration: p.iteration,
      'log λ1': +p.logDecay[0].toFixed(3),
      'log λ2': +p.logDecay[1].toFixed(3),
      'validation loss h(x)': +p.validationLoss.toFixed(4),
      'test error': +p.testError.toFixed(3),
    })),
  );
  const at = reference.logDecay.map((v) => v.toFixed(3)).join(', ');
  console.log(`full-batch L-BFGS on exact hypergradients from SABA's end: h = ${reference.validationLoss.toFixed(4)} at log λ = (${at})`);
  console.log(`SABA ${solverSeconds.toFixed(2)} s, in all ${((performance.now() - started) / 1000).toFixed(2)} s`);
}
