import { statSync } from 'node:fs';
import type { TaskSource } from '@bilevel/problems';
import { episodeTasks, loadEpisodeFolders, sinusoidTasks } from '@bilevel/problems';
import { InputError } from '@bilevel/io';
import { metaLearningProblem } from '@bilevel/autodiff';
import { metaTest } from '@bilevel/solvers';
import { EXIT } from '../exit-codes';
import { readMetaParams } from './meta-params-file';
import { loadFewShotData, scoreTasks } from './meta-setup';

/** Options of `bilevel score`. */
export interface ScoreConfig {
  readonly params: string;
  /** Omniglot zips (comma-separated) or a folder of them: score on their classes (or on `alphabets` of them). */
  readonly data?: string;
  /** A folder of fixed episodes (<episode>/support/<class>/*.png and <episode>/query/<class>/*.png). */
  readonly episodes?: string;
  readonly alphabets?: string;
  readonly ways?: number;
  readonly shots?: number;
  readonly queries?: number;
  /** Episodes drawn (not with --episodes). Default 600. */
  readonly testEpisodes?: number;
  readonly seed?: number;
}

/**
 * `bilevel score --params FILE [--data ZIP,… [--alphabets A,B] | --episodes DIR] [--ways N --shots K --queries Q]`:
 * meta-tests saved meta-parameters, with the adaptation they were trained with, on the run's own held-out
 * alphabets (no --data), on the classes of other Omniglot archives, or on a folder of fixed episodes; prints one JSON
 * line: accuracy (and loss) after and before adaptation, mean and 95% interval over the episodes.
 */
export function scoreCommand(config: ScoreConfig, io: { stdout: NodeJS.WritableStream }): number {
  const t0 = performance.now();
  const saved = readMetaParams(config.params);
  const src = saved.source;
  if (config.data !== undefined && config.episodes !== undefined) throw new InputError('give the classes to draw episodes from (--data) or fixed episodes (--episodes), not both', '--episodes');
  const outputs = saved.model.spec.outputs;
  let tasks: TaskSource;
  let from: string;
  if (src.problem === 'sinusoid') {
    if (config.data !== undefined || config.episodes !== undefined || config.ways !== undefined || config.alphabets !== undefined) {
      throw new InputError('the parameters were trained on sinusoid regression: score them on new sinusoid tasks (--shots, --queries, --test-episodes, --seed)', '--params');
    }
    tasks = sinusoidTasks({ shots: config.shots ?? src.shots, queries: config.queries ?? 100, count: config.testEpisodes ?? 600, seed: config.seed ?? src.seed + 1_000_003 });
    from = 'sinusoid tasks';
  } else if (config.episodes !== undefined) {
    for (const [k, flag] of [['testEpisodes', '--test-episodes'], ['alphabets', '--alphabets'], ['shots', '--shots'], ['queries', '--queries']] as const) {
      if (config[k] !== undefined) throw new InputError('fixed episodes have their own classes and sizes', flag);
    }
    let isDir = false;
    try {
      isDir = statSync(config.episodes).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new InputError('no such folder; expected a folder of episodes (<episode>/support/<class>/*.png, <episode>/query/<class>/*.png)', config.episodes);
    const size = saved.model.spec.kind === 'conv4' ? saved.model.spec.inputSize : Math.round(Math.sqrt(saved.model.inputShape.reduce((a, b) => a * b, 1)));
    tasks = episodeTasks(loadEpisodeFolders(config.episodes, { size }), config.episodes);
    from = config.episodes;
  } else {
    const ways = config.ways ?? src.ways ?? outputs;
    const shots = config.shots ?? src.shots;
    const queries = config.queries ?? src.queries;
    const { ds, paths } = loadFewShotData(config.data ?? (src.data === 'bundled' || src.data === undefined ? undefined : src.data.join(',')));
    const alphabets = config.alphabets !== undefined ? config.alphabets.split(',').map((s) => s.trim()).filter(Boolean) : config.data === undefined ? src.testAlphabets : undefined;
    tasks = scoreTasks(src, ds, { ...(alphabets ? { alphabets } : {}), ways, shots, queries, episodes: config.testEpisodes ?? 600, seed: config.seed ?? src.seed + 1_000_003 });
    from = `${paths === 'bundled' ? 'bundled Omniglot' : paths.join(', ')}${alphabets ? ` (alphabets ${alphabets.join(', ')})` : ' (all classes)'}`;
  }
  if (tasks.outputs !== outputs) {
    throw new InputError(`the model has ${outputs} outputs (trained ${outputs}-way) but the episodes are ${tasks.outputs}-way; expected ${outputs}-way episodes`, config.episodes !== undefined ? config.episodes : '--ways');
  }
  const inputSize = tasks.inputShape.reduce((a, b) => a * b, 1);
  const modelInput = saved.model.inputShape.reduce((a, b) => a * b, 1);
  if (inputSize !== modelInput) throw new InputError(`the episodes' images have ${inputSize} pixels, the model reads ${modelInput}`, from);
  const problem = metaLearningProblem({ model: saved.model, tasks, lambda: saved.lambda });
  const r = metaTest(problem, saved.theta, { episodes: tasks.count, ...saved.adapt });
  const pct = (m: { mean: number; ci95: number } | undefined) => (m ? { mean: 100 * m.mean, ci95: 100 * m.ci95 } : undefined);
  const out = {
    params: config.params,
    model: saved.model.name,
    solver: saved.solver,
    trainedIterations: saved.iterations,
    source: from,
    episodes: r.episodes,
    ways: tasks.outputs,
    shots: tasks.supportRows / (tasks.kind === 'classification' ? tasks.outputs : 1),
    queries: tasks.queryRows / (tasks.kind === 'classification' ? tasks.outputs : 1),
    adaptation: saved.adapt,
    lambda: saved.lambda,
    ...(r.accuracy ? { accuracy: pct(r.accuracy), accuracyBefore: pct(r.accuracyBefore) } : {}),
    loss: r.loss,
    lossBefore: r.lossBefore,
    seconds: (performance.now() - t0) / 1000,
  };
  io.stdout.write(JSON.stringify(out) + '\n');
  return EXIT.ok;
}
