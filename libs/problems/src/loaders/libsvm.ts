import type { Dataset } from '../dataset';
import { InputError } from '@bilevel/io';
import type { Reserve } from '../memory-budget';
import { checkMemoryBudget, MAX_TYPED_ARRAY_LENGTH, memoryBudgetOf } from '../memory-budget';
import { gunzipBounded, isGzip } from './gunzip-bounded';
import { parseDecimal } from './parse-decimal';
import { readDataFile } from './read-data-file';

/** Options of {@link parseLibsvm}. */
export interface LibsvmOptions {
  /** The number of features d; every index must be at most d. Default: the largest index in the file. */
  readonly features?: number;
  /**
   * The classes, as label texts in class-index order (e.g. a training file's `classNames`, so that a test file maps
   * its labels the same way); labels are matched by numeric value and an unknown label is an error. Default: the
   * distinct labels of the file, sorted numerically.
   */
  readonly classNames?: readonly string[];
  /** Refuse a dense matrix of more than this many entries (rows × features) before allocating it. Default: no cap but the memory budget. */
  readonly maxEntries?: number;
  /**
   * Bytes the parse may allocate: the stored entries while reading (12 bytes each) and the dense matrix and labels
   * (rows × features × 8 + rows × 4), each checked before it is allocated; a feature index alone is refused when one
   * dense row of that many features would not fit. Default 2 GiB ({@link DEFAULT_MEMORY_BUDGET}).
   */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked with the dense matrix (see {@link Reserve}). */
  readonly reserve?: Reserve;
}

/** Options of {@link loadLibsvm}: those of {@link parseLibsvm} and a file size limit. */
export interface LoadLibsvmOptions extends LibsvmOptions {
  /** Refuse a file (or its gunzipped text) longer than this many bytes. Default 2²⁸ (256 MiB). */
  readonly maxBytes?: number;
}

/** The default of {@link LoadLibsvmOptions.maxBytes}. */
export const LIBSVM_DEFAULT_MAX_BYTES = 2 ** 28;

const show = (token: string): string => JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
const positiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

function checkOptions(options: LibsvmOptions, who: string): { maxEntries: number | undefined; budget: number; classes: Map<number, number> | undefined } {
  const { features, classNames, maxEntries } = options;
  if (features !== undefined && !positiveInteger(features)) throw new InputError(`options.features must be a positive integer, received ${String(features)}`, who);
  if (maxEntries !== undefined && !positiveInteger(maxEntries)) throw new InputError(`options.maxEntries must be a positive integer, received ${String(maxEntries)}`, who);
  const budget = memoryBudgetOf(options.memoryBudget, who);
  if (classNames === undefined) return { maxEntries, budget, classes: undefined };
  if (!Array.isArray(classNames) || classNames.length === 0) throw new InputError('options.classNames must be a non-empty array of label texts', who);
  const classes = new Map<number, number>();
  classNames.forEach((name, k) => {
    const value = typeof name === 'string' ? parseDecimal(name) : NaN;
    if (!Number.isFinite(value)) throw new InputError(`options.classNames[${k}] = ${show(String(name))} is not a finite number (LIBSVM labels are numbers)`, who);
    if (classes.has(value)) throw new InputError(`options.classNames[${k}] = ${show(name)} repeats the value of an earlier class`, who);
    classes.set(value, k);
  });
  return { maxEntries, budget, classes };
}

/** Bytes of parse-time storage per stored entry (a Uint32 index and a float64 value) and per row (start and label). */
const ENTRY_BYTES = 12;
const ROW_BYTES = 12;

/**
 * The sparse entries and rows read so far, in typed arrays that double when full: the capacity in bytes is checked
 * against the memory budget before each growth (a text of many short tokens costs 12 bytes per entry, not a JS
 * number and a string each).
 */
class SparseRows {
  index = new Uint32Array(64);
  value = new Float64Array(64);
  rowStart = new Uint32Array(65);
  label = new Float64Array(64);
  nnz = 0;
  rows = 0;

  constructor(
    private readonly budget: number,
    private readonly source: string,
  ) {}

  private bytes(entries: number, rows: number): number {
    return entries * ENTRY_BYTES + rows * ROW_BYTES;
  }

  private check(entries: number, rows: number, where: string): void {
    checkMemoryBudget([{ what: `${entries} stored entries × ${ENTRY_BYTES} bytes and ${rows} rows × ${ROW_BYTES} bytes`, bytes: this.bytes(entries, rows) }], this.budget, this.source, `reading ${where}`);
  }

  push(index: number, value: number, where: string): void {
    if (this.nnz === this.index.length) {
      const cap = 2 * this.index.length;
      this.check(cap, this.label.length, where);
      const index2 = new Uint32Array(cap);
      index2.set(this.index);
      const value2 = new Float64Array(cap);
      value2.set(this.value);
      this.index = index2;
      this.value = value2;
    }
    this.index[this.nnz] = index;
    this.value[this.nnz++] = value;
  }

  /** Starts a row with its label. */
  startRow(label: number, where: string): void {
    if (this.rows === this.label.length) {
      const cap = 2 * this.label.length;
      this.check(this.index.length, cap, where);
      const label2 = new Float64Array(cap);
      label2.set(this.label);
      const start2 = new Uint32Array(cap + 1);
      start2.set(this.rowStart.subarray(0, this.rows + 1));
      this.label = label2;
      this.rowStart = start2;
    }
    this.label[this.rows] = label;
    this.rowStart[this.rows] = this.nnz;
    this.rows++;
  }

  /** Closes the last row (its end is the start of the next). */
  endRow(): void {
    this.rowStart[this.rows] = this.nnz;
  }
}

/**
 * Parses LIBSVM / SVMlight text into a dense {@link Dataset}. Each non-blank line is `label index:value index:value …`
 * with 1-based, strictly increasing feature indices; absent features are 0; `#` starts a comment. Labels are numbers
 * (`-1`, `+1`, `3`, `2.5`) mapped to class indices 0..K−1 in increasing numeric order, the class names being the
 * label texts as first written (or given by `options.classNames`).
 *
 * Every defect is an {@link InputError} at `source` naming the line and the token: a label or value that is not a
 * finite plain decimal number (NaN, Infinity, hex), a token without `:`, an index that is 0, not an integer, not
 * increasing or beyond `features`. Memory: lines and tokens are read one at a time (never the whole text split),
 * the stored entries grow within `memoryBudget`, an index is refused as soon as one dense row of that many features
 * would exceed the budget, and the dense matrix is allocated only after its size is checked against the budget (and
 * `maxEntries` when given), so one stray huge index cannot exhaust memory.
 *
 * @example parseLibsvm('+1 1:0.5 3:2\n-1 2:1\n').features // 2 × 3: [0.5, 0, 2, 0, 1, 0]; classNames ['-1', '+1']
 */
export function parseLibsvm(text: string, source = '<libsvm>', options: LibsvmOptions = {}): Dataset {
  const { maxEntries, budget, classes } = checkOptions(options, 'parseLibsvm');
  // the largest index accepted: the given number of features, else what one dense row within the caps can hold
  const rowCap = Math.min(maxEntries ?? Infinity, Math.floor((budget - 4) / 8), MAX_TYPED_ARRAY_LENGTH);
  const limit = options.features ?? rowCap;
  const spelling = new Map<number, string>();
  const rows = new SparseRows(budget, source);
  let maxIndex = 0;
  let maxIndexLine = 0;
  // lines end at \r\n, \n or \r; lines and tokens are visited one at a time, the text is never split whole
  const lineEnd = /\r\n|\n|\r/g;
  const tokenRe = /\S+/g;
  for (let lineNo = 1, start = 0; start <= text.length; lineNo++) {
    lineEnd.lastIndex = start;
    const m = lineEnd.exec(text);
    const end = m ? m.index : text.length;
    const next = m ? m.index + m[0].length : text.length + 1;
    const raw = text.slice(start, end);
    start = next;
    const hash = raw.indexOf('#');
    const body = hash >= 0 ? raw.slice(0, hash) : raw;
    tokenRe.lastIndex = 0;
    const first = tokenRe.exec(body);
    if (first === null) continue;
    const labelText = first[0];
    const label = parseDecimal(labelText);
    if (!Number.isFinite(label)) {
      const hint = labelText.includes(':') ? ' (each line starts with its label)' : '';
      throw new InputError(`line ${lineNo}, token 1: label ${show(labelText)} is not a finite number${hint}`, source);
    }
    if (classes && !classes.has(label)) {
      throw new InputError(`line ${lineNo}, token 1: label ${show(labelText)} is none of the classes ${[...listClasses(options.classNames)].join(', ')}`, source);
    }
    if (!spelling.has(label)) spelling.set(label, labelText);
    rows.startRow(label, `line ${lineNo}`);
    let previous = 0;
    for (let k = 1, t = tokenRe.exec(body); t !== null; k++, t = tokenRe.exec(body)) {
      const token = t[0];
      const where = `line ${lineNo}, token ${k + 1} ${show(token)}`;
      const colon = token.indexOf(':');
      if (colon < 0) throw new InputError(`${where}: expected index:value`, source);
      const indexText = token.slice(0, colon);
      const idx = /^\d+$/.test(indexText) ? Number(indexText) : NaN;
      if (!Number.isSafeInteger(idx)) {
        const hint = indexText === 'qid' ? ' (query ids are not supported)' : '';
        throw new InputError(`${where}: index ${show(indexText)} is not a positive integer${hint}`, source);
      }
      if (idx === 0) throw new InputError(`${where}: index 0; feature indices start at 1`, source);
      if (idx <= previous) throw new InputError(`${where}: index ${idx} after index ${previous}; indices must increase along a line`, source);
      if (idx > limit) {
        if (options.features !== undefined) throw new InputError(`${where}: index ${idx} exceeds the ${limit} features (option features)`, source);
        if (maxEntries !== undefined && idx > maxEntries) throw new InputError(`${where}: index ${idx} exceeds the limit of ${maxEntries} dense entries (option maxEntries)`, source);
        // a dense matrix of idx columns: even one row of it is over the budget (or over any array this platform allocates)
        checkMemoryBudget([{ what: `a dense matrix of at least 1 row × ${idx} features × 8 bytes`, bytes: idx * 8 + 4, elements: idx }], budget, source, `${where}: index ${idx}`);
      }
      const valueText = token.slice(colon + 1);
      const v = parseDecimal(valueText);
      if (!Number.isFinite(v)) throw new InputError(`${where}: value ${show(valueText)} is not a finite number`, source);
      previous = idx;
      if (idx > maxIndex) {
        maxIndex = idx;
        maxIndexLine = lineNo;
      }
      rows.push(idx - 1, v, `line ${lineNo}`);
    }
    rows.endRow();
  }
  const n = rows.rows;
  if (n === 0) throw new InputError('no data lines; expected lines "label index:value …"', source);
  const d = options.features ?? maxIndex;
  if (d === 0) throw new InputError('no line has a feature (index:value); give options.features for all-zero rows', source);
  const largest = options.features === undefined ? `; the largest index, ${maxIndex}, is on line ${maxIndexLine}` : '';
  if (maxEntries !== undefined && n * d > maxEntries) {
    throw new InputError(`${n} rows × ${d} features = ${n * d} dense entries, more than the limit of ${maxEntries} (option maxEntries)${largest}`, source);
  }
  checkMemoryBudget(
    [{ what: `dense features ${n} rows × ${d} features × 8 bytes and labels${largest ? ` (${largest.slice(2)})` : ''}`, bytes: n * d * 8 + n * 4, elements: n * d }, ...(options.reserve?.(n, d) ?? [])],
    budget,
    source,
  );
  let classOf: Map<number, number>;
  let classNames: string[];
  if (classes) {
    classOf = classes;
    classNames = [...(options.classNames as readonly string[])];
  } else {
    const sorted = [...spelling.keys()].sort((a, b) => a - b);
    if (sorted.length < 2) {
      throw new InputError(`every line has the label ${show(spelling.get(sorted[0]) as string)}; classification needs at least two classes (or give options.classNames)`, source);
    }
    classOf = new Map(sorted.map((v, k) => [v, k]));
    classNames = sorted.map((v) => spelling.get(v) as string);
  }
  const features = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const { rowStart, index, value, label: rowLabel } = rows;
  for (let i = 0; i < n; i++) {
    labels[i] = classOf.get(rowLabel[i]) as number;
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) features[i * d + index[e]] = value[e];
  }
  return { features: { rows: n, cols: d, data: features }, labels, classNames, source };
}

function listClasses(classNames: readonly string[] | undefined): string[] {
  return (classNames ?? []).slice(0, 10).map((c) => show(c)).concat((classNames ?? []).length > 10 ? ['…'] : []);
}

/**
 * Reads a LIBSVM file (gzipped or not, detected by its magic bytes) and parses it with {@link parseLibsvm}. A
 * missing, unreadable, oversized or corrupt file is an {@link InputError}.
 */
export function loadLibsvm(path: string, options: LoadLibsvmOptions = {}): Dataset {
  const maxBytes = options.maxBytes ?? LIBSVM_DEFAULT_MAX_BYTES;
  if (!positiveInteger(maxBytes) || maxBytes > 2 ** 29 - 24) {
    throw new InputError(`options.maxBytes must be an integer in 1..${2 ** 29 - 24} (the longest string), received ${String(maxBytes)}`, 'loadLibsvm');
  }
  checkOptions(options, 'loadLibsvm');
  let bytes: Uint8Array = readDataFile(path, maxBytes);
  if (isGzip(bytes)) bytes = gunzipBounded(bytes, { maxBytes, source: path, tooLarge: `the gunzipped text is longer than ${maxBytes} bytes (option maxBytes)` });
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  bytes = new Uint8Array(0); // the bytes (up to maxBytes of gunzipped text) can go before the parse allocates
  return parseLibsvm(text, path, options);
}
