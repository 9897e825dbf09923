import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FewShotDataset, TaskSource } from '@bilevel/problems';
import { bundledOmniglot, fewshotTasks, loadOmniglot, sinusoidTasks, splitByAlphabet } from '@bilevel/problems';
import { InputError } from '@bilevel/io';
import { metaLearningProblem } from '@bilevel/autodiff';
import type { MetaLearningProblem, MetaModelSpec } from '@bilevel/autodiff';
import type { ResolvedAdapt } from '@bilevel/solvers';
import type { MetaDataSource } from './meta-params-file';

/** The meta-learning problems of `bilevel run --problem`. */
export const META_PROBLEMS = ['fewshot', 'sinusoid'] as const;
export type MetaProblemName = (typeof META_PROBLEMS)[number];

/** Whether `--problem` names a meta-learning problem. */
export function isMetaProblem(name: string | undefined): name is MetaProblemName {
  return (META_PROBLEMS as readonly string[]).includes(name ?? '');
}

/** The options of `bilevel run` that only meta-learning problems read (camelCase, as saved in run-config.json). */
export const META_OPTIONS = [
  ['ways', '--ways'],
  ['shots', '--shots'],
  ['queries', '--queries'],
  ['metaBatch', '--meta-batch'],
  ['lambda', '--lambda'],
  ['innerSteps', '--inner-steps'],
  ['innerMethod', '--inner-method'],
  ['innerTol', '--inner-tol'],
  ['cgSteps', '--cg-steps'],
  ['cgRadius', '--cg-radius'],
  ['model', '--model'],
  ['channels', '--channels'],
  ['testAlphabets', '--test-alphabets'],
  ['rotations', '--rotations'],
  ['testEpisodes', '--test-episodes'],
  ['testInnerSteps', '--test-inner-steps'],
  ['testInnerStep', '--test-inner-step'],
  ['tasks', '--tasks'],
] as const;

/** The meta-learning part of the command line. */
export interface MetaConfig {
  readonly problem: MetaProblemName;
  /** fewshot: Omniglot zip archives, comma-separated, or a folder of them; default the bundled copy. */
  readonly data?: string;
  readonly ways?: number;
  readonly shots?: number;
  readonly queries?: number;
  readonly metaBatch?: number;
  readonly lambda?: number;
  readonly innerSteps?: number;
  readonly innerStep?: number;
  readonly innerMethod?: 'gd' | 'newton-cg';
  readonly innerTol?: number;
  readonly cgSteps?: number;
  /** imaml: each task's ‖g‖ ≤ cgRadius·‖∇L‖ (CG in a ball); fewshot default 2, sinusoid none. */
  readonly cgRadius?: number;
  readonly model?: 'conv' | 'mlp';
  readonly channels?: number;
  /** Comma-separated alphabet names, or how many to hold out. */
  readonly testAlphabets?: string;
  readonly rotations?: 'on' | 'off';
  readonly testEpisodes?: number;
  readonly testInnerSteps?: number;
  readonly testInnerStep?: number;
  /** Meta-training tasks (the ids the meta-batches draw from). */
  readonly tasks?: number;
  readonly seed: number;
}

/**
 * Defaults of each meta-learning problem, and where they come from:
 * - fewshot: after the iMAML authors' Omniglot command (aravindr93/imaml_dev examples/README.md: 5-way 1-shot, K
 *   support and K query images per class, `--lam 2.0 --cg_steps 5`, and 200,000 tasks "to replicate results from the
 *   paper"), rotations as MAML and iMAML, 600 test episodes as their evaluation (measure_accuracy.py); the convnet
 *   with 32 channels instead of 64 (a quarter of the cost of the wide layers on 2 cores). Changed for accuracy per
 *   CPU second on 2 cores, measured: 8 tasks per step (not 32) and Adam 3e-3 (not 1e-3): a PyTorch first-order MAML
 *   on the same data, split, net and θ₀ (it learns step for step as fomaml here) reached 46% after 100 steps at 3e-3
 *   against 32% at 1e-3, and with 8 tasks 52% after 44 CPU s against 38% with 32. The adaptation is the authors' 16
 *   gradient steps of 0.1 with λ = 0.5 (the iMAML paper's other λ), not λ = 2: at λ = 2 the proximal problem is not
 *   solved where the convnet's support loss has curvature of ±100 (‖∇g‖ ≈ 8 after 5 steps of 0.4, CG on an
 *   indefinite, nearly singular system, one task's g up to 18,000·‖∇L‖), and iMAML stalled at 35% (fomaml 54.1% at
 *   step 300); at λ = 0.5 16 steps of 0.1 leave ‖∇g‖ ≈ 0.2 at curvature ≈ 3, and iMAML learns faster per step than
 *   fomaml at either setting (64.5% at step 300; 200 held-out episodes, seed 0).
 * - sinusoid: MAML's regression (Finn et al. 2017 §5.1): K = 10, a 40-40 relu MLP, 25 tasks per meta-batch, Adam
 *   1e-3, and MAML's evaluation: one gradient step of 0.01 on the K support points, the MSE on 100 query points of
 *   each of 600 test tasks. Training adapts the same way (MAML's inner procedure), with λ = 100 = 1/0.01: the
 *   proximal solution is then the implicit step φ = θ − 0.01∇L̂(φ), of which the explicit step is the first-order
 *   approximation (so iMAML's implicit meta-gradient at the one-step φ is an approximation too).
 */
export function metaDefaults(problem: MetaProblemName) {
  return problem === 'fewshot'
    ? { ways: 5, shots: 1, metaBatch: 8, lambda: 0.5, innerSteps: 16, innerStep: 0.1, cgSteps: 5, cgRadius: 2, model: 'conv' as const, channels: 32, rotations: 'on' as const, testEpisodes: 600, tasks: 200_000, outerStep: 3e-3, maxIter: 2000, evalEvery: 200 }
    : { ways: undefined, shots: 10, metaBatch: 25, lambda: 100, innerSteps: 1, innerStep: 0.01, cgSteps: 5, cgRadius: undefined, model: 'mlp' as const, channels: undefined, rotations: 'off' as const, testEpisodes: 600, tasks: 200_000, outerStep: 1e-3, maxIter: 5000, evalEvery: 500, testInnerSteps: 1, testInnerStep: 0.01, testQueries: 100 };
}

/** The Omniglot data of `--data` (zips, comma-separated, or a folder holding them), or the bundled copy. */
export function loadFewShotData(data: string | undefined): { ds: FewShotDataset; paths: readonly string[] | 'bundled' } {
  if (data === undefined || data === 'bundled') return { ds: bundledOmniglot(), paths: 'bundled' };
  const paths: string[] = [];
  for (const p of data.split(',').map((s) => s.trim()).filter(Boolean)) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new InputError('no such file or folder; expected Omniglot zip archives (comma-separated) or a folder of them', p);
    }
    if (isDir) {
      const zips = readdirSync(p).filter((f) => f.toLowerCase().endsWith('.zip')).sort();
      if (zips.length === 0) throw new InputError('the folder holds no .zip archive; expected Omniglot archives such as images_background.zip', p);
      paths.push(...zips.map((f) => resolve(join(p, f))));
    } else paths.push(resolve(p));
  }
  if (paths.length === 0) throw new InputError('expected Omniglot zip archives (comma-separated) or a folder of them', '--data');
  return { ds: loadOmniglot(paths), paths };
}

/** The held-out alphabets of `--test-alphabets`: names (comma-separated) or a count. */
function parseTestAlphabets(value: string | undefined): readonly string[] | number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError('expected alphabet names (comma-separated) or a number of alphabets', '--test-alphabets');
  return names;
}

function checkEpisodes(ds: FewShotDataset, side: string, ways: number, shots: number, queries: number, rotations: boolean): void {
  const classes = ds.classes.length * (rotations ? 4 : 1);
  const alphabets = [...new Set(ds.classes.map((c) => c.alphabet))];
  if (ways > classes) {
    throw new InputError(
      `${ways}-way tasks need ${ways} classes, but the ${side} alphabets (${alphabets.join(', ')}) have ${ds.classes.length} characters${rotations ? ` (${classes} classes with rotations)` : ''}; expected --ways ≤ ${classes}`,
      '--ways',
    );
  }
  let fewest = Infinity;
  for (const c of ds.classes) fewest = Math.min(fewest, c.indices.length);
  if (shots > fewest) throw new InputError(`${shots} shots need ${shots} drawings per class, but some ${side} characters have only ${fewest}; expected --shots ≤ ${fewest}`, '--shots');
  if (shots + queries > fewest) {
    throw new InputError(`${shots} shots + ${queries} queries need ${shots + queries} drawings per class, but some ${side} characters have only ${fewest}; expected --queries ≤ ${fewest - shots}`, '--queries');
  }
}

/** The meta-training problem, the meta-test problem and what to save about them. */
export interface MetaSetup {
  readonly train: MetaLearningProblem;
  readonly test: MetaLearningProblem;
  readonly source: MetaDataSource;
  readonly model: MetaModelSpec;
  readonly testAdapt: Omit<ResolvedAdapt, 'innerTol' | 'innerMethod'>;
}

/**
 * Builds the problems of a meta-learning run, validating everything first (InputError naming the option): the data,
 * the alphabet split, ways/shots/queries against both sides' classes and drawings.
 */
export function buildMetaSetup(config: MetaConfig): MetaSetup {
  const d = metaDefaults(config.problem);
  const lambda = config.lambda ?? d.lambda;
  const shots = config.shots ?? d.shots;
  const queries = config.queries ?? shots;
  const count = config.tasks ?? d.tasks;
  const seed = config.seed;
  const dt = d as { testInnerSteps?: number; testInnerStep?: number };
  const testAdapt = { innerSteps: config.testInnerSteps ?? dt.testInnerSteps ?? config.innerSteps ?? d.innerSteps, innerStep: config.testInnerStep ?? dt.testInnerStep ?? config.innerStep ?? d.innerStep };
  if (config.problem === 'sinusoid') {
    for (const [key, flag] of [['ways', '--ways'], ['channels', '--channels'], ['testAlphabets', '--test-alphabets'], ['data', '--data']] as const) {
      if (config[key] !== undefined) throw new InputError(`applies to --problem fewshot, not to sinusoid regression`, flag);
    }
    if (config.rotations === 'on') throw new InputError('applies to --problem fewshot, not to sinusoid regression', '--rotations');
    if (config.model === 'conv') throw new InputError('sinusoid regression takes the MLP (--model mlp); the convnet reads images', '--model');
    const model: MetaModelSpec = { kind: 'mlp', inputShape: [1], hidden: [40, 40], outputs: 1 };
    const train = metaLearningProblem({ model, tasks: sinusoidTasks({ shots, queries, count, seed }), lambda });
    const testTasks = sinusoidTasks({ shots, queries: d.testQueries ?? 100, count: Math.max(config.testEpisodes ?? d.testEpisodes, 1), seed: seed + 1_000_003 });
    const test = metaLearningProblem({ model, tasks: testTasks, lambda });
    return { train, test, model, testAdapt, source: { problem: 'sinusoid', shots, queries, seed } };
  }
  const ways = config.ways ?? d.ways ?? 5;
  const rotations = (config.rotations ?? d.rotations) === 'on';
  const { ds, paths } = loadFewShotData(config.data);
  const testAlphabets = parseTestAlphabets(config.testAlphabets);
  if (typeof testAlphabets === 'number') {
    const count = new Set(ds.classes.map((c) => c.alphabet)).size;
    if (testAlphabets < 1 || testAlphabets >= count) {
      throw new InputError(`${testAlphabets} alphabets held out of ${count} leaves ${testAlphabets < 1 ? 'none for meta-testing' : 'none for meta-training'}; expected a number from 1 to ${count - 1} or alphabet names`, '--test-alphabets');
    }
  }
  const split = splitByAlphabet(ds, { ...(testAlphabets !== undefined ? { testAlphabets } : {}), seed });
  checkEpisodes(split.train, 'meta-training', ways, shots, queries, rotations);
  checkEpisodes(split.test, 'meta-test', ways, shots, queries, rotations);
  const model: MetaModelSpec =
    (config.model ?? d.model) === 'conv'
      ? { kind: 'conv4', inputSize: ds.size, channels: config.channels ?? d.channels ?? 32, outputs: ways }
      : { kind: 'mlp', inputShape: [1, ds.size, ds.size], hidden: [256, 128, 64, 64], outputs: ways };
  if (config.channels !== undefined && model.kind !== 'conv4') throw new InputError('sets the width of the convnet (--model conv)', '--channels');
  const train = metaLearningProblem({ model, tasks: fewshotTasks(split.train, { ways, shots, queries, rotations, count, seed }), lambda });
  const testEpisodes = config.testEpisodes ?? d.testEpisodes;
  const test = metaLearningProblem({ model, tasks: fewshotTasks(split.test, { ways, shots, queries, rotations, count: testEpisodes, seed: seed + 1_000_003 }), lambda });
  return {
    train,
    test,
    model,
    testAdapt,
    source: { problem: 'fewshot', data: paths, testAlphabets: split.testAlphabets, trainAlphabets: split.trainAlphabets, rotations, ways, shots, queries, seed },
  };
}

/** The meta-test tasks of saved parameters on other data or the run's own held-out alphabets (`bilevel score`). */
export function scoreTasks(source: MetaDataSource, ds: FewShotDataset, options: { alphabets?: readonly string[]; ways: number; shots: number; queries: number; episodes: number; seed: number }): TaskSource {
  let classes = ds;
  if (options.alphabets) {
    const all = new Set(ds.classes.map((c) => c.alphabet));
    for (const a of options.alphabets) if (!all.has(a)) throw new InputError(`unknown alphabet ${JSON.stringify(a)}; the data have ${[...all].sort().join(', ')}`, '--alphabets');
    const keep = new Set(options.alphabets);
    const rest = [...all].filter((a) => !keep.has(a));
    classes = rest.length ? splitByAlphabet(ds, { testAlphabets: [...keep] }).test : ds;
  }
  const rotations = source.rotations ?? false;
  checkEpisodes(classes, 'scored', options.ways, options.shots, options.queries, rotations);
  return fewshotTasks(classes, { ways: options.ways, shots: options.shots, queries: options.queries, rotations, count: options.episodes, seed: options.seed });
}

/** The meta-learning options of `bilevel run` as they sit in its RunConfig (all optional; `data` and `seed` are shared). */
export type MetaCliOptions = Partial<Omit<MetaConfig, 'problem' | 'seed' | 'data'>>;

/** A meta-learning option given with another problem is bad input: one InputError naming it. */
export function rejectMetaOptions(config: MetaCliOptions, problem: string): void {
  for (const [key, flag] of META_OPTIONS) {
    if (config[key] !== undefined) throw new InputError(`applies to the meta-learning problems (--problem ${META_PROBLEMS.join(' | ')}), not to ${problem}`, flag);
  }
}
