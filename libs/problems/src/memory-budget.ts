import { InputError } from '@bilevel/io';

/**
 * The default memory budget of the loaders and problem builders: 2 GiB. A loader or builder adds up the bytes of the
 * arrays it is about to allocate from the dimensions it found (n × d × 8 for dense float64 data, the model, the
 * dense Hessian of an exact evaluation…) and refuses beyond the budget before allocating any of them, so a small
 * hostile file cannot exhaust memory. The command line raises it with `--memory-budget`.
 */
export const DEFAULT_MEMORY_BUDGET = 2 * 2 ** 30;

/** The largest number of elements of one typed array (V8 on 64-bit platforms): beyond it no budget can help. */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/**
 * Parses a size in bytes: a plain integer (`1073741824`) or a number with a unit, `4GiB`, `512MiB`, `1.5GB`, `64k`
 * (binary units KiB, MiB, GiB, TiB and their one-letter forms K, M, G, T; decimal kB, MB, GB, TB; case-insensitive).
 * Returns the whole number of bytes, or undefined when the text is not such a size (or is not a positive safe integer
 * number of bytes).
 *
 * @example parseByteSize('4GiB') // 4294967296
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? 1 : UNITS[unit];
  if (scale === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * scale);
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/** A byte count for people, in binary units with three significant digits: `960 bytes`, `512 MiB`, `2 GiB`, `2.98 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = 'bytes';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${+value.toPrecision(3)} ${unit}`;
}

/**
 * Validates a memory budget option (bytes, a positive safe integer) and returns it, or the default
 * {@link DEFAULT_MEMORY_BUDGET} when undefined. `who` names the function for the message.
 */
export function memoryBudgetOf(budget: unknown, who: string): number {
  if (budget === undefined) return DEFAULT_MEMORY_BUDGET;
  if (!(typeof budget === 'number' && Number.isSafeInteger(budget) && budget >= 1)) {
    throw new InputError(`options.memoryBudget must be a positive integer number of bytes, received ${String(budget)}`, who);
  }
  return budget;
}

/** One array (or group of arrays) a loader or builder is about to allocate, for {@link checkMemoryBudget}. */
export interface Allocation {
  /** What it is, with its dimensions: `"dense features 24 × 20000 × 8 bytes"`. */
  readonly what: string;
  /** Its size in bytes (may exceed any safe integer: it is only compared). */
  readonly bytes: number;
  /** Elements of the largest single typed array in it, when that may exceed {@link MAX_TYPED_ARRAY_LENGTH}. */
  readonly elements?: number;
}

/**
 * The allocations a caller will make once a loader has returned a data set of `rows` × `cols` (its copies of the data,
 * a model of that size…): a loader given one checks them together with its own before it allocates anything, so a
 * file whose problem cannot fit is refused before its data is.
 */
export type Reserve = (rows: number, cols: number) => readonly Allocation[];

/**
 * Refuses, before anything is allocated, allocations whose total exceeds `budget` bytes (or a single typed array
 * longer than any platform allows): one {@link InputError} at `where` (a file, an option), after `context` if given
 * (a line and token), naming each allocation with its dimensions, the total, the budget, and the option that raises
 * it.
 *
 * @example checkMemoryBudget([{ what: 'dense features 2 × 2000000000 × 8 bytes', bytes: 3.2e10 }], 2 ** 31, 'a.svm')
 */
export function checkMemoryBudget(allocations: readonly Allocation[], budget: number, where: string, context?: string): void {
  const total = allocations.reduce((s, a) => s + a.bytes, 0);
  const prefix = context ? `${context}: ` : '';
  const huge = allocations.find((a) => (a.elements ?? 0) > MAX_TYPED_ARRAY_LENGTH);
  if (huge) {
    throw new InputError(`${prefix}${huge.what}: ${huge.elements} elements, more than the ${MAX_TYPED_ARRAY_LENGTH} of the largest array this platform allocates`, where);
  }
  if (total > budget) {
    const list = allocations.map((a) => `${a.what} = ${formatBytes(a.bytes)}`).join(' + ');
    throw new InputError(
      `${prefix}needs ${list}${allocations.length > 1 ? ` (${formatBytes(total)} in all)` : ''}, more than the memory budget of ${formatBytes(budget)}; ` +
        'raise it with --memory-budget SIZE (e.g. 8GiB; option memoryBudget) if the machine has the memory',
      where,
    );
  }
}
