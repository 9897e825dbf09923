/** Named tensor shapes, in declared order: a positive integer n for a vector [n], a list of positive integers, or [] for a scalar. */
export type TensorShapes = Readonly<Record<string, number | readonly number[]>>;

/**
 * How named tensors lie in one flat Float64Array: tensor k occupies `offsets[k] .. offsets[k] + sizes[k]`, row-major
 * (the last axis fastest), the tensors one after the other in declared order. E.g. `{ W1: [3, 2], b1: [2] }` puts
 * W1[i][j] at 2i + j and b1[j] at 6 + j, 8 numbers in all.
 */
export interface TensorLayout<S extends TensorShapes = TensorShapes> {
  /** Tensor names in declared order. */
  readonly names: readonly (keyof S & string)[];
  /** Shape of each tensor (a vector n given as a number is [n]). */
  readonly shapes: readonly (readonly number[])[];
  /** Start of each tensor in the flat vector. */
  readonly offsets: readonly number[];
  /** Number of entries of each tensor. */
  readonly sizes: readonly number[];
  /** Length of the flat vector: the sum of the sizes. */
  readonly size: number;
  /** Views of `flat` (no copy: writing a view writes `flat`), one per name. */
  split(flat: Float64Array): { readonly [K in keyof S]: Float64Array };
  /** The flat vector of the named tensors (each of its size; every name required), written into `out` if given. */
  join(parts: { readonly [K in keyof S]: ArrayLike<number> }, out?: Float64Array): Float64Array;
  /** The entries of one tensor in `flat`, as a view. */
  view(flat: Float64Array, name: keyof S & string): Float64Array;
}

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(String).join(', ')}]` : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

/** Integer-like keys: JavaScript enumerates them first, in numeric order, whatever the declared order. */
const INDEX_KEY = /^(0|[1-9]\d*)$/;

/**
 * The layout of named tensors in one flat vector (see {@link TensorLayout}), checked: `who` and `field` name the
 * caller and the spec field in errors (an empty record, a name that is an integer, which JavaScript would reorder, a
 * shape that is not a list of positive integers).
 *
 * @example
 *   const layout = tensorLayout({ W1: [784, 64], b1: [64], W2: [64, 10], b2: [10] });
 *   const { W1, b2 } = layout.split(z);           // views of z
 *   const z2 = layout.join({ W1, b1, W2, b2 });    // a new flat vector
 */
export function tensorLayout<S extends TensorShapes>(shapes: S, who = 'tensorLayout', field = 'shapes'): TensorLayout<S> {
  if (shapes === null || typeof shapes !== 'object' || Array.isArray(shapes)) {
    throw new TypeError(`${who}: ${field} must be a record of named shapes such as { W: [784, 64], b: [64] }, received ${describe(shapes)}`);
  }
  const names = Object.keys(shapes) as (keyof S & string)[];
  if (names.length === 0) throw new RangeError(`${who}: ${field} must name at least one tensor, received {}`);
  const dims: number[][] = [];
  const offsets: number[] = [];
  const sizes: number[] = [];
  let size = 0;
  for (const name of names) {
    if (INDEX_KEY.test(name)) {
      throw new RangeError(`${who}: ${field} has a tensor named ${describe(name)}; names must not be integers (JavaScript lists those first, which would change the layout's order)`);
    }
    const s = shapes[name];
    const shape = typeof s === 'number' ? [s] : s;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
      throw new RangeError(`${who}: ${field}.${name} must be a positive integer or a list of positive integers ([] for a scalar), received ${describe(s)}`);
    }
    const count = shape.reduce((p, d) => p * d, 1);
    dims.push([...shape]);
    offsets.push(size);
    sizes.push(count);
    size += count;
  }
  if (!Number.isSafeInteger(size)) throw new RangeError(`${who}: ${field} hold ${size} numbers in all, more than a Float64Array can`);
  const index = new Map(names.map((n, k) => [n, k]));
  const at = (fn: string, name: unknown): number => {
    const k = typeof name === 'string' ? index.get(name) : undefined;
    if (k === undefined) throw new RangeError(`${who}.${fn}: unknown tensor ${describe(name)}; the layout has ${names.join(', ')}`);
    return k;
  };
  const checkFlat = (fn: string, flat: unknown) => {
    if (!(flat instanceof Float64Array) || flat.length !== size) {
      throw new RangeError(`${who}.${fn}: flat must be a Float64Array of length ${size}, received ${flat instanceof Float64Array ? `length ${flat.length}` : describe(flat)}`);
    }
  };
  return {
    names,
    shapes: dims,
    offsets,
    sizes,
    size,
    split(flat) {
      checkFlat('split', flat);
      const out: Record<string, Float64Array> = {};
      names.forEach((n, k) => {
        out[n] = flat.subarray(offsets[k], offsets[k] + sizes[k]);
      });
      return out as { readonly [K in keyof S]: Float64Array };
    },
    join(parts, out) {
      if (parts === null || typeof parts !== 'object') throw new TypeError(`${who}.join: parts must be a record of the tensors ${names.join(', ')}, received ${describe(parts)}`);
      const flat = out ?? new Float64Array(size);
      checkFlat('join', flat);
      for (const key of Object.keys(parts)) at('join', key);
      names.forEach((n, k) => {
        const p = (parts as Record<string, ArrayLike<number>>)[n];
        if (p === undefined || p === null || typeof p.length !== 'number' || p.length !== sizes[k]) {
          throw new RangeError(`${who}.join: ${n} must hold ${sizes[k]} numbers (shape ${describe(dims[k])}), received ${p === undefined ? 'nothing' : p === null ? 'null' : `${p.length}`}`);
        }
        for (let i = 0; i < sizes[k]; i++) flat[offsets[k] + i] = p[i];
      });
      return flat;
    },
    view(flat, name) {
      const k = at('view', name);
      checkFlat('view', flat);
      return flat.subarray(offsets[k], offsets[k] + sizes[k]);
    },
  };
}
