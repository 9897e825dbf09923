/** The part of a checkpoint {@link checkpointMismatch} compares (a PeerCheckpoint has more). */
export interface IterateCheckpoint {
  readonly iter: number;
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly v: Float64Array;
}

/**
 * Where two runs' checkpoints first differ, bit for bit (Object.is on every entry of x, z and v, so −0 ≠ 0 and NaN =
 * NaN), or null when they have the same iterations and the same iterates. The peer benchmark uses it to check that
 * another driver of ours (the streams, the threads) runs the same algorithm as the loop: with the same seed every
 * driver draws the same minibatches and does the same arithmetic, so any difference is a defect.
 */
export function checkpointMismatch(reference: readonly IterateCheckpoint[], other: readonly IterateCheckpoint[]): string | null {
  if (reference.length !== other.length) return `${other.length} checkpoints, expected ${reference.length}`;
  for (let k = 0; k < reference.length; k++) {
    const a = reference[k];
    const b = other[k];
    if (a.iter !== b.iter) return `checkpoint ${k} is at iteration ${b.iter}, expected ${a.iter}`;
    for (const w of ['x', 'z', 'v'] as const) {
      if (a[w].length !== b[w].length) return `iteration ${a.iter}: ${w} has ${b[w].length} entries, expected ${a[w].length}`;
      for (let i = 0; i < a[w].length; i++) {
        if (!Object.is(a[w][i], b[w][i])) return `iteration ${a.iter}: ${w}[${i}] is ${b[w][i]}, expected ${a[w][i]}`;
      }
    }
  }
  return null;
}
