// Worked example of the tfjs interop (issue 17): a classifier trained and saved by tfjs becomes the inner model of a
// bilevel problem, and its weight decay is tuned on validation data, with no tfjs at run time.
//
//   npx tsx examples/tfjs-model-weight-decay.ts [MODEL_FOLDER]     (default examples/tfjs-model/breast-cancer-mlp)
//
// The model: examples/tfjs-model/breast-cancer-mlp, a tfjs Sequential 30 → 16 (tanh) → 2 (softmax) that tfjs trained
// on the training rows with an L2 penalty of 1e-3 on each kernel (tfjs's l2: 1e-3·‖W‖², λ = 2e-3 in ½λ‖W‖²), made
// by examples/tfjs-model/make-model.ts. `loadLayersModel` reads it (model.json, weights.bin) into the tape engine.
// Data: the bundled UCI breast-cancer set split 50/25/25 (stratified, seed 0) and standardized with the training
// rows' moments, as the model was trained. Hyperparameters x = log λ_k, one weight decay per kernel of the model:
//
//   G(z, x) = (1/n) Σ_j CE(net_z(a_j), y_j) + ½ Σ_k e^{x_k}‖W_k‖²     (training rows; net_z the loaded model, z its weights)
//   F(z)    = (1/m) Σ_i CE(net_z(b_i), y_i)                          (validation rows)
//
// The softmax of the model's last layer is folded into the cross-entropy (`build(..., { logits: true })`). The tuner
// is full-batch L-BFGS on the exact hypergradient ∇h(x) = ∇_x F − ∇²_xz G·v, v from ∇²_zz G·v = ∇_z F
// (`referenceSolution` of @bilevel/problems), started at the decay tfjs trained with. Every inner solve starts from
// the weights tfjs saved (`warmStart: false`): on this non-convex network z*(x) is the local minimizer reached from
// the trained model. (Warm-started from the previous solve instead, a line-search trial at a large decay shrinks the
// network to near z = 0, a saddle of a tanh network that the following solves do not leave: h stalls at ln 2,
// measured.)
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '@bilevel/linalg';
import type { Matrix } from '@bilevel/linalg';
import { bundledDataPath, featureMoments, loadClassificationCsv, referenceSolution, splitTrainValTest, standardize } from '@bilevel/problems';
import { loadLayersModel, modelProblem, tensorLayout, Tape } from '@bilevel/autodiff';
import type { LoadedLayersModel, ModelProblem, TapeVar } from '@bilevel/autodiff';

/** The model folder the example ships. */
export const BREAST_CANCER_MLP = join(dirname(fileURLToPath(import.meta.url)), 'tfjs-model', 'breast-cancer-mlp');

/** Options of {@link tfjsModelWeightDecay}, with their defaults. */
export interface TfjsModelWeightDecayOptions {
  /** The tfjs model folder (or its model.json). Default {@link BREAST_CANCER_MLP}. */
  readonly model?: string;
  /** Start: the log weight decay of every kernel. Default log(2e-3), the decay tfjs trained with. */
  readonly logDecay0?: number;
  /** L-BFGS iterations on h at most, and its target ‖∇h‖. Defaults 50 and 1e-6. */
  readonly maxIter?: number;
  readonly gtol?: number;
}

/** The network z on some rows: mean cross-entropy and error rate. */
export interface Scores {
  readonly loss: number;
  readonly error: number;
}

/** What {@link tfjsModelWeightDecay} returns. */
export interface TfjsModelWeightDecayResult {
  readonly model: LoadedLayersModel;
  readonly problem: ModelProblem;
  /** The kernels whose decays x holds, in order. */
  readonly kernels: readonly string[];
  /** The model as tfjs saved it, on the validation and test rows. */
  readonly loaded: { readonly validation: Scores; readonly test: Scores };
  /** At the start x₀: the model retrained (from tfjs's weights) with the decay of x₀. */
  readonly start: { readonly logDecay: readonly number[]; readonly validation: Scores; readonly test: Scores };
  /** At the end: the decays found, h there, ‖∇h‖, and the model retrained with them. */
  readonly tuned: { readonly logDecay: readonly number[]; readonly validation: Scores; readonly test: Scores; readonly gradNorm: number; readonly converged: boolean };
}

/** Scores of the loaded model with weights z on rows X (labels y), computed by the engine (value replay only). */
function scorer(model: LoadedLayersModel, X: Matrix, y: Int32Array): (z: Float64Array) => Scores {
  const t = new Tape();
  const p: Record<string, TapeVar> = {};
  for (const [name, shape] of Object.entries(model.params)) p[name] = t.input(shape, name);
  const logits = model.build(t, t.gatherRows(X), p, { logits: true });
  t.output(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(y))));
  const value = t.plan({ order: 0 });
  const layout = tensorLayout(model.params);
  const all = Int32Array.from({ length: X.rows }, (_, i) => i);
  const K = model.outputShape[0];
  return (z) => {
    const parts = layout.split(z);
    for (const name of layout.names) p[name].val.set(parts[name]);
    value.run(all);
    let wrong = 0;
    for (let i = 0; i < X.rows; i++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (logits.val[i * K + c] > logits.val[i * K + best]) best = c;
      if (best !== y[i]) wrong++;
    }
    return { loss: (t.out as TapeVar).val[0], error: wrong / X.rows };
  };
}

/** Loads the model, builds the bilevel problem on it and tunes the decays. */
export function tfjsModelWeightDecay(options: TfjsModelWeightDecayOptions = {}): TfjsModelWeightDecayResult {
  const model = loadLayersModel(options.model ?? BREAST_CANCER_MLP);

  const data = loadClassificationCsv(bundledDataPath('breast_cancer.csv'));
  const split = splitTrainValTest(data, Rng.fromSeed(0));
  const moments = featureMoments(split.train.features);
  const [train, val, test] = [split.train, split.val, split.test].map((s) => standardize(s, moments));
  if (model.inputShape.length !== 1 || model.inputShape[0] !== train.features.cols) {
    throw new RangeError(`tfjsModelWeightDecay: the model takes samples of shape [${model.inputShape.join(', ')}], the data have ${train.features.cols} features`);
  }

  const kernels = Object.keys(model.params).filter((name) => name.endsWith('/kernel'));
  const layout = tensorLayout(model.params);
  const problem = modelProblem({
    name: `tfjs-${model.name}`,
    params: model.params,
    hyper: { logDecay: [kernels.length] },
    inner: {
      n: train.features.rows,
      loss: (t, p, h) => {
        const norms = t.concat(kernels.map((k) => t.reshape(t.sum(t.square(p[k])), [1])), 0);
        const decay = t.sum(t.mul(t.exp(h.logDecay), norms), 0.5);
        const logits = model.build(t, t.gatherRows(train.features), p, { logits: true });
        return t.add(t.mean(t.softmaxCrossEntropy(logits, t.gatherLabels(train.labels))), decay);
      },
    },
    outer: { n: val.features.rows, loss: (t, p) => t.mean(t.softmaxCrossEntropy(model.build(t, t.gatherRows(val.features), p, { logits: true }), t.gatherLabels(val.labels))) },
    init: layout.join(model.init),
    warmStart: false, // every inner solve starts from tfjs's weights: z*(x) is the minimizer reached from the trained model
    innerTol: 1e-8,
  });

  const onVal = scorer(model, val.features, val.labels);
  const onTest = scorer(model, test.features, test.labels);
  const saved = problem.initialZ();
  const x0 = new Float64Array(kernels.length).fill(options.logDecay0 ?? Math.log(2e-3));
  const z0 = problem.solveInner(x0).z;
  const ref = referenceSolution(problem, { x0, gtol: options.gtol ?? 1e-6, maxIter: options.maxIter ?? 50 });
  const z1 = problem.solveInner(ref.x).z;
  return {
    model,
    problem,
    kernels,
    loaded: { validation: onVal(saved), test: onTest(saved) },
    start: { logDecay: Array.from(x0), validation: onVal(z0), test: onTest(z0) },
    tuned: { logDecay: Array.from(ref.x), validation: onVal(z1), test: onTest(z1), gradNorm: ref.gradNorm, converged: ref.converged },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const r = tfjsModelWeightDecay({ model: process.argv[2] });
  console.log(r.model.summary);
  console.log(`\n${r.problem.name}: ${r.problem.dimZ} parameters, x = log weight decay of ${r.kernels.join(', ')}`);
  const row = (what: string, logDecay: readonly number[] | null, s: { validation: Scores; test: Scores }) => ({
    model: what,
    'log λ': logDecay ? logDecay.map((v) => v.toFixed(2)).join(', ') : '(tfjs training)',
    'validation loss': +s.validation.loss.toFixed(4),
    'validation error': +s.validation.error.toFixed(3),
    'test loss': +s.test.loss.toFixed(4),
    'test error': +s.test.error.toFixed(3),
  });
  console.table([row('as tfjs saved it', null, r.loaded), row('retrained at x₀', r.start.logDecay, r.start), row('tuned', r.tuned.logDecay, r.tuned)]);
  console.log(`‖∇h‖ = ${r.tuned.gradNorm.toExponential(2)} (${r.tuned.converged ? 'converged' : 'not converged'}); ${((performance.now() - started) / 1000).toFixed(2)} s in all`);
}
