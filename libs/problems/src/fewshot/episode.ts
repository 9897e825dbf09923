/** The images and labels of one side of an {@link Episode}: `rows × size²` pixel values and a label per row. */
export interface EpisodeSet {
  /** `rows × size²` pixels in [0, 1], stroke = 1, row after row (class-major: class 0's images first). */
  readonly x: Float64Array;
  /** The label of each row, 0..ways−1. */
  readonly y: Int32Array;
}

/**
 * One N-way K-shot task: a support set of `ways × shots` labelled images to adapt on and a query set of
 * `ways × queries` images of the same classes to score the adapted learner on. Labels are 0..ways−1;
 * `classNames[label]` says which class a label stands for (`alphabet/character`, with ` rot90`, ` rot180` or
 * ` rot270` for a rotated class).
 */
export interface Episode {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  /** Image side: each row of `x` is `size × size` pixels. */
  readonly size: number;
  readonly support: EpisodeSet;
  readonly query: EpisodeSet;
  readonly classNames: readonly string[];
}

/** A copy of an episode that owns its arrays (an `EpisodeSampler` that reuses its buffers overwrites them on `next()`). */
export function cloneEpisode(e: Episode): Episode {
  return {
    ways: e.ways,
    shots: e.shots,
    queries: e.queries,
    size: e.size,
    support: { x: e.support.x.slice(), y: e.support.y.slice() },
    query: { x: e.query.x.slice(), y: e.query.y.slice() },
    classNames: [...e.classNames],
  };
}
