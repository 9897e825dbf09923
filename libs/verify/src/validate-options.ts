/**
 * Validation helpers for the options of the property kit: each error names the function, the field, the value
 * received and what was expected (house style, rule 5).
 */

/** A closed range [min, max] of numbers. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Rejects keys that the options type does not know (a typo would otherwise be silently ignored). */
export function knownKeys(fn: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new RangeError(`${fn}: unknown option "${key}"; expected one of ${known.join(', ')}`);
  }
}

export function positiveNumber(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${fn}: ${field} must be a positive finite number, received ${String(value)}`);
  }
  return value;
}

export function positiveInteger(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${fn}: ${field} must be a positive integer, received ${String(value)}`);
  }
  return value;
}

export function nonNegativeInteger(fn: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${fn}: ${field} must be an integer ≥ 0, received ${String(value)}`);
  }
  return value;
}

/** A number in the open interval (lo, hi). */
export function numberBetween(fn: string, field: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !(value > lo && value < hi)) {
    throw new RangeError(`${fn}: ${field} must be a number in (${lo}, ${hi}), received ${String(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** A range of finite numbers with `lo ≤ min ≤ max` (`lo` exclusive when `open`). */
export function numberRange(fn: string, field: string, value: unknown, lo: number, open: boolean): Range {
  const r = value as Partial<Range> | undefined;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    typeof r.min === 'number' &&
    typeof r.max === 'number' &&
    Number.isFinite(r.min) &&
    Number.isFinite(r.max) &&
    (open ? r.min > lo : r.min >= lo) &&
    r.max >= r.min;
  if (!ok) {
    throw new RangeError(`${fn}: ${field} must be { min, max } with ${lo} ${open ? '<' : '≤'} min ≤ max < ∞, received ${describe(value)}`);
  }
  return { min: r.min!, max: r.max! };
}

/** A range of integers with `lo ≤ min ≤ max`. */
export function integerRange(fn: string, field: string, value: unknown, lo: number): Range {
  const r = numberRange(fn, field, value, lo, false);
  if (!Number.isInteger(r.min) || !Number.isInteger(r.max)) {
    throw new RangeError(`${fn}: ${field} must have integer bounds, received ${describe(value)}`);
  }
  return r;
}
