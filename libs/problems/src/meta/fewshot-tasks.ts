import { InputError } from '@bilevel/io';
import type { Episode } from '../fewshot/episode';
import type { FewShotDataset } from '../fewshot/few-shot-dataset';
import { EpisodeSampler } from '../fewshot/episode-sampler';
import type { MetaTask, TaskSource } from './meta-task';
import { checkTaskId, classMajorLabels, taskSeed } from './meta-task';

/** Options of {@link fewshotTasks}. */
export interface FewshotTasksOptions {
  /** N, classes per task. */
  readonly ways: number;
  /** K, support images per class. */
  readonly shots: number;
  /** Query images per class. Default: `shots` (the iMAML authors' tasks: K support and K query images per class). */
  readonly queries?: number;
  /** Each character rotated by 0, 90, 180 and 270° is a class of its own (MAML's and iMAML's augmentation). Default false. */
  readonly rotations?: boolean;
  /** Number of tasks, the ids 0..count−1. Default 2²⁰. */
  readonly count?: number;
  /** Seed of the tasks: task j is the first episode of an {@link EpisodeSampler} seeded by (seed, j). Default 0. */
  readonly seed?: number;
}

function episodeTask(e: Episode): MetaTask {
  return {
    support: { rows: e.support.y.length, x: e.support.x, y: e.support.y },
    query: { rows: e.query.y.length, x: e.query.x, y: e.query.y },
  };
}

/**
 * N-way K-shot classification tasks from the classes of a {@link FewShotDataset} (Vinyals et al., NeurIPS 2016;
 * Finn et al., ICML 2017): task j is the episode an {@link EpisodeSampler} with seed (seed, j) draws first, so
 * every task can be drawn again on its own. Inputs are [1, size, size] images; rows are class-major (support row
 * c·shots + s has label c), so the labels are the same for every task.
 *
 * Errors ({@link InputError}, from the sampler, checked here once): too few classes for `ways`, classes with fewer
 * images than `shots + queries`, options that are not positive integers.
 *
 * @example fewshotTasks(splitByAlphabet(bundledOmniglot()).train, { ways: 5, shots: 1, rotations: true })
 */
export function fewshotTasks(ds: FewShotDataset, options: FewshotTasksOptions): TaskSource {
  const who = 'fewshotTasks';
  const queries = options.queries ?? options.shots;
  const count = options.count ?? 2 ** 20;
  if (!(Number.isSafeInteger(count) && count >= 1 && count <= 2 ** 31 - 1)) throw new InputError(`options.count must be an integer in 1..2147483647, received ${String(count)}`, who);
  const seed = options.seed ?? 0;
  const settings = { ways: options.ways, shots: options.shots, queries, rotations: options.rotations ?? false, reuseBuffers: false };
  // validates ways, shots and queries against the classes once, with the sampler's own messages
  const probe = new EpisodeSampler(ds, { ...settings, seed: taskSeed(seed, 0) });
  const { ways, shots } = probe;
  const alphabets = new Set(ds.classes.map((c) => c.alphabet)).size;
  return {
    name: `omniglot-${ways}way-${shots}shot`,
    kind: 'classification',
    count,
    inputShape: [1, ds.size, ds.size],
    outputs: ways,
    supportRows: ways * shots,
    queryRows: ways * queries,
    supportLabels: classMajorLabels(ways, shots),
    queryLabels: classMajorLabels(ways, queries),
    task(j: number): MetaTask {
      checkTaskId('fewshotTasks.task', j, count);
      return episodeTask(new EpisodeSampler(ds, { ...settings, seed: taskSeed(seed, j) }).next());
    },
    info: { tasks: 'few-shot', ways, shots, queries, rotations: settings.rotations, classes: probe.classCount, alphabets, imageSize: ds.size, count, seed },
  };
}

/**
 * A task source over fixed episodes (e.g. read by `loadEpisodeFolders`): task j is episode j. Every episode must have
 * the same ways, shots and queries (rows class-major, as the loaders give them); an episode that does not is an
 * {@link InputError} naming it.
 */
export function episodeTasks(episodes: readonly Episode[], where = 'episodes'): TaskSource {
  if (episodes.length === 0) throw new InputError('no episodes', where);
  const first = episodes[0];
  const { ways, shots, queries, size } = first;
  const support = classMajorLabels(ways, shots);
  const query = classMajorLabels(ways, queries);
  episodes.forEach((e, j) => {
    if (e.ways !== ways || e.shots !== shots || e.queries !== queries || e.size !== size) {
      throw new InputError(`episode ${j} is ${e.ways}-way ${e.shots}-shot with ${e.queries} queries per class (${e.size}×${e.size}); episode 0 is ${ways}-way ${shots}-shot with ${queries} (${size}×${size}): score episodes of one shape at a time`, where);
    }
    const same = (y: Int32Array, want: Int32Array) => y.length === want.length && y.every((c, i) => c === want[i]);
    if (!same(e.support.y, support) || !same(e.query.y, query)) throw new InputError(`episode ${j}'s rows are not grouped by class (class c's images at rows c·shots …)`, where);
  });
  return {
    name: `episodes-${ways}way-${shots}shot`,
    kind: 'classification',
    count: episodes.length,
    inputShape: [1, size, size],
    outputs: ways,
    supportRows: ways * shots,
    queryRows: ways * queries,
    supportLabels: support,
    queryLabels: query,
    task(j: number): MetaTask {
      checkTaskId('episodeTasks.task', j, episodes.length);
      return episodeTask(episodes[j]);
    },
    info: { tasks: 'fixed episodes', ways, shots, queries, imageSize: size, count: episodes.length },
  };
}
