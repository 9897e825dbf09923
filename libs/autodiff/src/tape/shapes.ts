/**
 * Shape arithmetic of the tape's tensors, used while recording (never during a replay): sizes, numpy-style
 * broadcasting, and the coalescing of an elementwise iteration into a few strided loops. Internal to the tape folder.
 *
 * A tensor's shape is a list of non-negative dimensions, row-major. A *batched* tensor's first axis is the batch
 * axis: its recorded length is the tape's capacity (the most samples a batch may hold), its length during a replay
 * the current batch's size.
 */

/** Product of the dimensions (1 for a rank-0 shape). */
export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** `[batch, 3, 4]` for a batched tensor, `[3, 4]` otherwise; legacy vectors read as `length n`. */
export function describeShape(shape: readonly number[], batched: boolean): string {
  if (batched && shape.length === 1) return 'a batch-length value';
  if (!batched && shape.length === 1) return `length ${shape[0]}`;
  const dims = shape.map((d, i) => (batched && i === 0 ? 'batch' : String(d)));
  return `shape [${dims.join(', ')}]`;
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** The strides of an operand of shape `shape` read over a broadcast result of rank `rank`: 0 along broadcast axes. */
export function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const own = contiguousStrides(shape);
  const s = new Array<number>(rank).fill(0);
  const off = rank - shape.length;
  for (let i = 0; i < shape.length; i++) s[off + i] = shape[i] === 1 ? 0 : own[i];
  return s;
}

/**
 * The numpy broadcast of two shapes (trailing axes aligned; equal or 1), or null when they do not broadcast.
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * An elementwise iteration over a contiguous tensor of shape `dims` reading operands through `strides` (one list per
 * operand, 0 along axes it is broadcast over), coalesced: length-1 axes dropped and neighbouring axes merged where
 * every operand walks them as one (stride[i] = stride[i+1]·dims[i+1]). A replay then runs `dims.length − 1` outer
 * loops around contiguous-or-strided inner runs of the last axis. `perSample` is the length of the first coalesced
 * axis per sample when that axis contains the batch axis (its replay length is `batch · perSample`), else 0.
 */
export interface Coalesced {
  readonly dims: number[];
  readonly strides: number[][];
  readonly perSample: number;
}

export function coalesce(dims: readonly number[], strides: readonly (readonly number[])[], batched: boolean): Coalesced {
  const d: number[] = [];
  const s: number[][] = strides.map(() => []);
  let batchIn = false;
  for (let i = 0; i < dims.length; i++) {
    const isBatch = batched && i === 0;
    if (dims[i] === 1 && !isBatch) continue;
    const last = d.length - 1;
    const merge = last >= 0 && strides.every((st, k) => s[k][last] === st[i] * dims[i]);
    if (merge) {
      d[last] *= dims[i];
      strides.forEach((st, k) => (s[k][last] = st[i]));
    } else {
      d.push(dims[i]);
      strides.forEach((st, k) => s[k].push(st[i]));
      if (isBatch) batchIn = true;
    }
  }
  if (d.length === 0) {
    d.push(1);
    strides.forEach((_, k) => s[k].push(0));
  }
  const cap = batched ? dims[0] : 1;
  return { dims: d, strides: s, perSample: batchIn && cap > 0 ? d[0] / cap : 0 };
}

/** Normalizes an axis (negative counts from the end), or null when out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  if (!Number.isSafeInteger(axis)) return null;
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : null;
}
