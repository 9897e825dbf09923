import type { Snapshot } from '@bilevel/streams';

const VECTORS = ['z', 'v', 'x'] as const;

/**
 * The first difference between two snapshots, ignoring timing (`solverSeconds`), or undefined when they are equal
 * to the bit: iteration, tick, final, reason, every oracle count, and every entry of z, v and x compared with
 * `Object.is` (so −0 ≠ +0 and NaN = NaN, unlike `===`).
 *
 * @example assert.equal(snapshotDifference(a, b), undefined)
 */
export function snapshotDifference(a: Snapshot, b: Snapshot): string | undefined {
  for (const key of ['iteration', 'tick', 'final', 'reason'] as const) {
    if (!Object.is(a[key], b[key])) return `${key}: ${String(a[key])} vs ${String(b[key])}`;
  }
  for (const w of VECTORS) {
    if (a[w].length !== b[w].length) return `${w}.length: ${a[w].length} vs ${b[w].length}`;
    for (let i = 0; i < a[w].length; i++) {
      if (!Object.is(a[w][i], b[w][i])) return `${w}[${i}] at iteration ${a.iteration}: ${a[w][i]} vs ${b[w][i]}`;
    }
  }
  for (const stream of Object.keys(a.counts) as (keyof Snapshot['counts'])[]) {
    const ca = a.counts[stream];
    const cb = b.counts[stream];
    for (const k of Object.keys(ca) as (keyof typeof ca)[]) {
      if (!Object.is(ca[k], cb?.[k])) return `counts.${stream}.${k} at iteration ${a.iteration}: ${ca[k]} vs ${cb?.[k]}`;
    }
  }
  return undefined;
}
