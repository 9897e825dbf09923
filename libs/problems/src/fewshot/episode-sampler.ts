import type { RngState } from '@bilevel/linalg';
import { Rng } from '@bilevel/linalg';
import { InputError } from '@bilevel/io';
import type { Episode, EpisodeSet } from './episode';
import type { FewShotDataset } from './few-shot-dataset';
import { className } from './few-shot-dataset';
import { rotateSquare } from './rotate-square';

/** Options of {@link EpisodeSampler}. */
export interface EpisodeSamplerOptions {
  /** N: classes per episode (a positive integer, at most the number of classes, ×4 with rotations). */
  readonly ways: number;
  /** K: support images per class (a positive integer). */
  readonly shots: number;
  /** Query images per class (a positive integer); `shots + queries` must not exceed any class's images. */
  readonly queries: number;
  /**
   * Make each (class, k·90°) for k = 0..3 a class of its own, its images rotated by k·90° counter-clockwise, as the
   * MAML (Finn et al., ICML 2017) and iMAML (Rajeswaran et al., NeurIPS 2019) Omniglot experiments do. Default false.
   */
  readonly rotations?: boolean;
  /** Seed of the sampler's random numbers (a safe integer). */
  readonly seed: number;
  /**
   * Write every episode into the same arrays (default true: no allocation per episode; an episode's arrays are
   * overwritten by the next `next()`, keep one with `cloneEpisode`); false gives each episode its own arrays.
   */
  readonly reuseBuffers?: boolean;
}

/** The serializable position of an {@link EpisodeSampler}, for checkpoints. */
export interface EpisodeSamplerState {
  /** The generator's state. */
  readonly rng: RngState;
  /** Episodes drawn so far. */
  readonly episodes: number;
  /** The sampler's settings and data set shape; {@link EpisodeSampler.restore} refuses a state of another sampler. */
  readonly fingerprint: string;
}

function positiveInteger(value: unknown, field: string): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) {
    throw new InputError(`options.${field} must be a positive integer, received ${String(value)}`, 'EpisodeSampler');
  }
  return value;
}

const ROTATION_SUFFIX = ['', ' rot90', ' rot180', ' rot270'];

/**
 * Draws N-way K-shot episodes from the classes of a {@link FewShotDataset} (Vinyals et al., NeurIPS 2016; Finn et al.,
 * ICML 2017): each `next()` picks `ways` distinct classes uniformly at random, labels them 0..ways−1 in the order
 * drawn (a uniformly random labelling), and for each class picks `shots + queries` distinct images uniformly at
 * random, the first `shots` for the support set and the rest for the query set. Rows are class-major: support row
 * `label·shots + s`, query row `label·queries + q`. With `rotations`, the pool holds every (class, k·90°) and an
 * episode may hold two rotations of one character, as distinct classes.
 *
 * Deterministic: the same data set, options and seed give the same episodes; {@link state} and {@link restore}
 * resume the sequence exactly (the state is the generator's four words). The whole sampler state is the RNG: the
 * draws of an episode do not depend on earlier episodes otherwise.
 *
 * Errors ({@link InputError}): options that are not positive integers, fewer classes than `ways`, a class with fewer
 * images than `shots` (or than `shots + queries`).
 *
 * @example new EpisodeSampler(train, { ways: 5, shots: 1, queries: 15, seed: 0 }).next().support.y // Int32Array [0, 1, 2, 3, 4]
 */
export class EpisodeSampler {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly rotations: boolean;
  /** Classes to draw from: the data set's classes, ×4 with rotations. */
  readonly classCount: number;
  private readonly ds: FewShotDataset;
  private readonly reuse: boolean;
  private rng: Rng;
  private episodes = 0;
  private readonly fingerprint: string;
  private readonly pool: Int32Array;
  private readonly picks: Int32Array;
  private buffers: { support: EpisodeSet; query: EpisodeSet } | undefined;

  constructor(ds: FewShotDataset, options: EpisodeSamplerOptions) {
    if (typeof options !== 'object' || options === null) throw new InputError('options { ways, shots, queries, seed } are required', 'EpisodeSampler');
    this.ways = positiveInteger(options.ways, 'ways');
    this.shots = positiveInteger(options.shots, 'shots');
    this.queries = positiveInteger(options.queries, 'queries');
    if (!(typeof options.seed === 'number' && Number.isSafeInteger(options.seed))) {
      throw new InputError(`options.seed must be a safe integer, received ${String(options.seed)}`, 'EpisodeSampler');
    }
    this.rotations = options.rotations ?? false;
    this.reuse = options.reuseBuffers ?? true;
    this.ds = ds;
    const classes = ds.classes.length;
    this.classCount = classes * (this.rotations ? 4 : 1);
    if (this.classCount < this.ways) {
      const alphabets = new Set(ds.classes.map((c) => c.alphabet)).size;
      throw new InputError(
        `${this.ways}-way episodes need ${this.ways} classes, but the data set has ${classes} (${alphabets} alphabet(s))${this.rotations ? `, ${this.classCount} with rotations` : ''}; ` +
          `lower ways to ${this.classCount} or less${this.rotations ? '' : ', or turn rotations on'}`,
        'EpisodeSampler',
      );
    }
    const need = this.shots + this.queries;
    let smallest = 0;
    for (let k = 1; k < classes; k++) if (ds.classes[k].indices.length < ds.classes[smallest].indices.length) smallest = k;
    const have = ds.classes[smallest].indices.length;
    if (this.shots > have) {
      throw new InputError(`shots = ${this.shots} is more than the ${have} images of class ${className(ds.classes[smallest])}; expected shots + queries ≤ ${have}`, 'EpisodeSampler');
    }
    if (need > have) {
      throw new InputError(
        `shots + queries = ${this.shots} + ${this.queries} = ${need} images per class, more than the ${have} of class ${className(ds.classes[smallest])}; lower queries to ${have - this.shots} or less`,
        'EpisodeSampler',
      );
    }
    this.rng = Rng.fromSeed(options.seed);
    this.pool = new Int32Array(this.classCount);
    let largest = 0;
    for (const c of ds.classes) largest = Math.max(largest, c.indices.length);
    this.picks = new Int32Array(largest);
    this.fingerprint = `ways=${this.ways} shots=${this.shots} queries=${this.queries} rotations=${this.rotations} classes=${classes} images=${ds.images.length / (ds.size * ds.size)} size=${ds.size}`;
  }

  private allocate(): { support: EpisodeSet; query: EpisodeSet } {
    const px = this.ds.size * this.ds.size;
    const set = (perClass: number): EpisodeSet => {
      const y = new Int32Array(this.ways * perClass);
      for (let r = 0; r < y.length; r++) y[r] = Math.floor(r / perClass);
      return { x: new Float64Array(y.length * px), y };
    };
    return { support: set(this.shots), query: set(this.queries) };
  }

  /** The next episode (its arrays are overwritten by the next call unless `reuseBuffers` is false). */
  next(): Episode {
    const { ds, ways, shots, queries, rng } = this;
    const px = ds.size * ds.size;
    const bufs = this.reuse ? (this.buffers ??= this.allocate()) : this.allocate();
    const pool = this.pool;
    for (let i = 0; i < pool.length; i++) pool[i] = i;
    const classNames: string[] = [];
    for (let label = 0; label < ways; label++) {
      // partial Fisher–Yates: pool[label] becomes a uniform draw among the classes not yet taken
      const j = rng.int(label, pool.length - 1);
      const id = pool[j];
      pool[j] = pool[label];
      pool[label] = id;
      const rotation = this.rotations ? id % 4 : 0;
      const cls = ds.classes[this.rotations ? Math.floor(id / 4) : id];
      classNames.push(className(cls) + ROTATION_SUFFIX[rotation]);
      const n = cls.indices.length;
      const picks = this.picks;
      for (let i = 0; i < n; i++) picks[i] = cls.indices[i];
      for (let s = 0; s < shots + queries; s++) {
        const t = rng.int(s, n - 1);
        const image = picks[t];
        picks[t] = picks[s];
        picks[s] = image;
        const [dst, row] = s < shots ? [bufs.support.x, label * shots + s] : [bufs.query.x, label * queries + (s - shots)];
        rotateSquare(ds.images, image * px, ds.size, rotation, dst, row * px);
      }
    }
    this.episodes++;
    return { ways, shots, queries, size: ds.size, support: bufs.support, query: bufs.query, classNames };
  }

  /** The sampler's position, for a checkpoint: {@link restore} on a sampler of the same settings and data resumes here. */
  state(): EpisodeSamplerState {
    return { rng: this.rng.state(), episodes: this.episodes, fingerprint: this.fingerprint };
  }

  /** Resumes from a {@link EpisodeSampler.state | state}; a state of another sampler (settings, data set shape) or a malformed one is an {@link InputError}. */
  restore(state: EpisodeSamplerState): void {
    const ok =
      typeof state === 'object' &&
      state !== null &&
      Array.isArray(state.rng) &&
      state.rng.length === 4 &&
      state.rng.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32) &&
      state.rng.some((w) => w !== 0) &&
      Number.isSafeInteger(state.episodes) &&
      state.episodes >= 0;
    if (!ok) throw new InputError('not an episode sampler state: expected { rng: four 32-bit integers, not all zero, episodes, fingerprint }', 'EpisodeSampler.restore');
    if (state.fingerprint !== this.fingerprint) {
      throw new InputError(`the state was saved by another sampler (${String(state.fingerprint)}); this one is ${this.fingerprint}`, 'EpisodeSampler.restore');
    }
    this.rng = Rng.fromState(state.rng.map((w) => w | 0));
    this.episodes = state.episodes;
  }

  /** Episodes drawn so far (restored with the state). */
  get drawn(): number {
    return this.episodes;
  }
}
