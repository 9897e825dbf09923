import type { PairedCsrU8, SimdArena } from '@bilevel/linalg';
import type { PixelRows } from './pixel-rows';

/** Bytes an arena needs for a {@link PairedBatches} of these capacities (see {@link pairedCapacity}). */
export function pairedBytes(entries: number, pairs: number): { u16: number[]; u8: number[]; i32: number[] } {
  return { u16: [entries, 2 * pairs], u8: [2 * entries], i32: [2 * pairs] };
}

/**
 * Capacities of a {@link PairedBatches} that can hold every block of `passes` partitions of rows storing `stored`
 * entries in all (`rows` rows): merged lists never exceed the two rows' entries, and a partition into batches of at
 * least two rows has at most `rows / 2 + batches ≤ rows` pairs.
 */
export function pairedCapacity(parts: readonly { readonly stored: number; readonly rows: number; readonly passes: number }[]): { entries: number; pairs: number } {
  let entries = 0;
  let pairs = 0;
  for (const p of parts) {
    entries += p.passes * p.stored;
    pairs += p.passes * p.rows;
  }
  return { entries, pairs };
}

/** Largest batch a {@link PairedBatches} pairs by default: minibatches, not the full-batch passes of evaluations. */
export const PAIRED_MAX_ROWS = 4096;

interface Cached {
  readonly X: PixelRows;
  readonly rows: Int32Array;
  readonly paired: PairedCsrU8;
}

/**
 * The batches of a run as pairs of rows with merged pixel lists (the layout of SimdArena.csr10AccumulatePairs),
 * built the first time a batch is seen and kept in a fixed region of the arena, for the gradient accumulation:
 * SAGA-type solvers draw fixed blocks (BlockSampler: the same Int32Array view for a block, its content fixed), so a
 * block's pairing is built once per run and reused every epoch. A batch is recognised by its array object and
 * checked against a copy of its content at every use; a changed batch, a batch while the region is full, or a batch
 * of fewer than two rows or more than `maxRows` gets `undefined` (the caller then runs the one-row-at-a-time kernel,
 * with the same bits). A solver's set-up can pair its batches ahead ({@link PairedBatches.prepare}), starting the
 * region over if they do not fit beside an earlier run's; a batch first seen by `get` in a full region starts it over
 * once the pairings held were used twice each on average.
 * Rows are paired in batch order, (0, 1), (2, 3)…, the last one of an odd batch with itself at value 0, so the
 * accumulation order of every pixel is the batch order, as in csr10Accumulate.
 */
export class PairedBatches {
  private cache = new WeakMap<Int32Array, Cached | null>();
  private readonly pixel: Uint16Array;
  private readonly values: Uint8Array;
  private readonly starts: Int32Array;
  private readonly slots: Uint16Array;
  private usedEntries = 0;
  private usedStarts = 0;
  private usedSlots = 0;
  /** Batches paired since the region last started over, and calls of `get` since then. */
  private built = 0;
  private calls = 0;
  /** Batches given to `prepare` since the event loop last turned. */
  private session: { readonly X: PixelRows; readonly batch: Int32Array }[] = [];
  private sessionRestarted = false;

  /**
   * Carves the region out of `arena`: room for `entries` merged entries and `pairs` pairs (reserve
   * {@link pairedBytes}). Batches of more than `maxRows` rows (full-batch passes) are not paired.
   */
  constructor(arena: SimdArena, entries: number, pairs: number, private readonly maxRows = PAIRED_MAX_ROWS) {
    this.pixel = arena.u16(entries);
    this.values = arena.u8(2 * entries);
    this.starts = arena.i32(2 * pairs);
    this.slots = arena.u16(2 * pairs);
  }

  /** Whether the pairing of `batch` is held (built by `get` or `prepare`, and not dropped since: see the class). */
  has(batch: Int32Array): boolean {
    return (this.cache.get(batch) ?? undefined) !== undefined;
  }

  /** The pairing of `batch` (rows of X), from the cache or built now; undefined when it cannot be used (see class). */
  get(X: PixelRows, batch: Int32Array): PairedCsrU8 | undefined {
    const m = batch.length;
    if (m < 2 || m > this.maxRows) return undefined;
    this.calls++;
    const hit = this.cache.get(batch);
    if (hit !== undefined) {
      if (hit === null || hit.X !== X || !sameContent(hit.rows, batch)) return undefined;
      return hit.paired;
    }
    let built = this.build(X, batch);
    // full: the room holds the batches of earlier runs (a warm-up, an earlier solver on the same problem), whose
    // samplers drew other blocks. Start over, once the pairings held were used twice each on average (a run whose
    // own blocks overflow the room would otherwise pair them again and again; it keeps the one-row kernel instead)
    if (built === 'full' && this.calls >= 2 * this.built) {
      this.restart();
      built = this.build(X, batch);
    }
    return this.keep(batch, built);
  }

  /**
   * Pairs `batches` (rows of X) now, in a solver's set-up ({@link BilevelProblem.prepareBatches}). When they do not
   * fit beside the pairings held, the region starts over with the batches prepared since the event loop last turned
   * (one solver's set-up, which prepares its samplers one after the other) and these: the newest solver's batches
   * win. Batches that still do not fit stay unpaired (the one-row kernel, the same bits).
   */
  prepare(X: PixelRows, batches: readonly Int32Array[]): void {
    if (this.session.length === 0 && !this.sessionRestarted) {
      queueMicrotask(() => {
        this.session = [];
        this.sessionRestarted = false;
      });
    }
    for (const batch of batches) {
      if (batch.length < 2 || batch.length > this.maxRows || this.cache.get(batch) !== undefined) continue;
      let built = this.build(X, batch);
      // at most once a session: a session that overflows the room on its own keeps what fits
      if (built === 'full' && !this.sessionRestarted) {
        const again = this.session;
        this.restart();
        this.sessionRestarted = true;
        for (const b of again) this.keep(b.batch, this.build(b.X, b.batch));
        built = this.build(X, batch);
      }
      this.keep(batch, built);
      this.session.push({ X, batch });
    }
  }

  /** Empties the region (every pairing held is dropped). */
  private restart(): void {
    this.cache = new WeakMap();
    this.usedEntries = 0;
    this.usedStarts = 0;
    this.usedSlots = 0;
    this.built = 0;
    this.calls = 0;
  }

  /** Caches what `build` gave for `batch`: the pairing, or null for a batch that can never be paired. */
  private keep(batch: Int32Array, built: Cached | 'full' | undefined): PairedCsrU8 | undefined {
    // a batch refused for lack of room is not remembered: it is tried again after the region starts over
    if (built === 'full') return undefined;
    if (built) this.built++;
    this.cache.set(batch, built ?? null);
    return built?.paired;
  }

  /** The pairing of `batch` in the room's next free slots; 'full' when they cannot hold it, undefined for a bad row. */
  private build(X: PixelRows, batch: Int32Array): Cached | 'full' | undefined {
    const { rowStart, pixel, value } = X;
    const m = batch.length;
    const np = Math.ceil(m / 2);
    let bound = 0;
    for (let k = 0; k < m; k++) {
      const i = batch[k];
      if (!(i >= 0 && i < X.rows)) return undefined;
      bound += rowStart[i + 1] - rowStart[i];
    }
    if (this.usedEntries + bound > this.pixel.length || this.usedStarts + np + 1 > this.starts.length || this.usedSlots + 2 * np > this.slots.length) {
      return 'full';
    }
    const base = this.usedEntries;
    const starts = this.starts.subarray(this.usedStarts, this.usedStarts + np + 1);
    const slots = this.slots.subarray(this.usedSlots, this.usedSlots + 2 * np);
    const up = this.pixel;
    const uv = this.values;
    let n = base;
    for (let t = 0; t < np; t++) {
      const k0 = 2 * t;
      const k1 = k0 + 1 < m ? k0 + 1 : k0;
      starts[t] = n;
      slots[2 * t] = k0;
      slots[2 * t + 1] = k1;
      let a = rowStart[batch[k0]];
      const aEnd = rowStart[batch[k0] + 1];
      // the last row of an odd batch pairs with nothing: its second value is 0 throughout
      let b = k1 === k0 ? 0 : rowStart[batch[k1]];
      const bEnd = k1 === k0 ? 0 : rowStart[batch[k1] + 1];
      while (a < aEnd || b < bEnd) {
        const pa = a < aEnd ? pixel[a] : 65536;
        const pb = b < bEnd ? pixel[b] : 65536;
        const p = pa < pb ? pa : pb;
        up[n] = p;
        uv[2 * n] = pa === p ? value[a++] : 0;
        uv[2 * n + 1] = pb === p ? value[b++] : 0;
        n++;
      }
    }
    starts[np] = n;
    this.usedEntries = n;
    this.usedStarts += np + 1;
    this.usedSlots += 2 * np;
    return { X, rows: Int32Array.from(batch), paired: { pairs: np, pairStart: starts, pixel: up, values: uv, slots } };
  }
}

function sameContent(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
