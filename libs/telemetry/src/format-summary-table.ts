import { describeValue } from './describe-value';

/** Options of {@link formatSummaryTable}. */
export interface FormatSummaryTableOptions {
  /** Significant digits of non-integer numbers. Default `6`. */
  digits?: number;
  /** Arrays longer than this show their first `maxArrayItems` entries, then `… (n)`. Default `3`. */
  maxArrayItems?: number;
}

/**
 * A short aligned `key  value` table for the end of a run, one entry per line, keys padded to a common width.
 *
 * - Numbers: integers below 1e15 in full (`1200`), others with `digits` significant digits and no trailing
 *   zeros (`0.0123457`, `1.5e-10`), non-finite ones as `NaN`, `Infinity`, `-Infinity`.
 * - Arrays and typed arrays: `[a, b, c, … (n)]` when longer than `maxArrayItems`, else `[a, b]`.
 * - Nested plain objects are flattened with dotted keys (`final.h`); `undefined` entries are skipped;
 *   dates print as ISO strings; line breaks inside strings print as `\n`.
 *
 * @example
 * formatSummaryTable({ solver: 'soba', iterations: 1000, h: 0.012345678, x: new Float64Array(50) });
 * // solver      soba
 * // iterations  1000
 * // h           0.0123457
 * // x           [0, 0, 0, … (50)]
 */
export function formatSummaryTable(summary: Record<string, unknown>, options: FormatSummaryTableOptions = {}): string {
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) {
    throw new TypeError(`formatSummaryTable: summary is ${describeValue(summary)}; expected a plain object`);
  }
  const { digits = 6, maxArrayItems = 3 } = options;
  if (!Number.isInteger(digits) || digits < 1 || digits > 21) {
    throw new RangeError(`formatSummaryTable: options.digits is ${describeValue(digits)}; expected an integer in [1, 21]`);
  }
  if (!Number.isInteger(maxArrayItems) || maxArrayItems < 0) {
    throw new RangeError(`formatSummaryTable: options.maxArrayItems is ${describeValue(maxArrayItems)}; expected a non-negative integer`);
  }
  const rows: [string, string][] = [];
  flatten(summary, '', rows, { digits, maxArrayItems }, new Set());
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

interface Fmt {
  digits: number;
  maxArrayItems: number;
}

function flatten(obj: object, prefix: string, rows: [string, string][], fmt: Fmt, seen: Set<object>): void {
  seen.add(obj);
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const name = prefix + key;
    if (isPlainObject(value) && !seen.has(value) && Object.keys(value).length > 0) flatten(value, `${name}.`, rows, fmt, seen);
    else rows.push([name, formatValue(value, fmt, seen)]);
  }
  seen.delete(obj);
}

function formatValue(value: unknown, fmt: Fmt, seen: Set<object>): string {
  if (typeof value === 'number') return formatNumber(value, fmt.digits);
  if (typeof value === 'string') return value.replace(/\r?\n/g, '\\n');
  if (typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const items = value as ArrayLike<unknown>;
    const shown = Array.from({ length: Math.min(items.length, fmt.maxArrayItems) }, (_, i) => formatValue(items[i], fmt, seen));
    return items.length > fmt.maxArrayItems ? `[${[...shown, `… (${items.length})`].join(', ')}]` : `[${shown.join(', ')}]`;
  }
  if (typeof value === 'object') {
    if (seen.has(value)) return '[Circular]';
    if (isPlainObject(value) && Object.keys(value).length === 0) return '{}';
    return String(value);
  }
  return String(value);
}

function formatNumber(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x === 0 ? 0 : x);
  // toPrecision picks fixed or exponential notation; strip the zeros it pads the mantissa with.
  return x.toPrecision(digits).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
