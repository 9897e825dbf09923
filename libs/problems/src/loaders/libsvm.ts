import type { Dataset } from '../dataset';
import { InputError } from '../input-error';
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
  /** Refuse a dense matrix of more than this many entries (rows × features) before allocating it. Default 2²⁶ (512 MiB). */
  readonly maxEntries?: number;
}

/** Options of {@link loadLibsvm}: those of {@link parseLibsvm} and a file size limit. */
export interface LoadLibsvmOptions extends LibsvmOptions {
  /** Refuse a file (or its gunzipped text) longer than this many bytes. Default 2²⁸ (256 MiB). */
  readonly maxBytes?: number;
}

/** The default of {@link LibsvmOptions.maxEntries}. */
export const LIBSVM_DEFAULT_MAX_ENTRIES = 2 ** 26;
/** The default of {@link LoadLibsvmOptions.maxBytes}. */
export const LIBSVM_DEFAULT_MAX_BYTES = 2 ** 28;

const show = (token: string): string => JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
const positiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

function checkOptions(options: LibsvmOptions, who: string): { maxEntries: number; classes: Map<number, number> | undefined } {
  const { features, classNames, maxEntries = LIBSVM_DEFAULT_MAX_ENTRIES } = options;
  if (features !== undefined && !positiveInteger(features)) throw new InputError(`options.features must be a positive integer, received ${String(features)}`, who);
  if (!positiveInteger(maxEntries)) throw new InputError(`options.maxEntries must be a positive integer, received ${String(maxEntries)}`, who);
  if (classNames === undefined) return { maxEntries, classes: undefined };
  if (!Array.isArray(classNames) || classNames.length === 0) throw new InputError('options.classNames must be a non-empty array of label texts', who);
  const classes = new Map<number, number>();
  classNames.forEach((name, k) => {
    const value = typeof name === 'string' ? parseDecimal(name) : NaN;
    if (!Number.isFinite(value)) throw new InputError(`options.classNames[${k}] = ${show(String(name))} is not a finite number (LIBSVM labels are numbers)`, who);
    if (classes.has(value)) throw new InputError(`options.classNames[${k}] = ${show(name)} repeats the value of an earlier class`, who);
    classes.set(value, k);
  });
  return { maxEntries, classes };
}

/**
 * Parses LIBSVM / SVMlight text into a dense {@link Dataset}. Each non-blank line is `label index:value index:value …`
 * with 1-based, strictly increasing feature indices; absent features are 0; `#` starts a comment. Labels are numbers
 * (`-1`, `+1`, `3`, `2.5`) mapped to class indices 0..K−1 in increasing numeric order, the class names being the
 * label texts as first written (or given by `options.classNames`).
 *
 * Every defect is an {@link InputError} at `source` naming the line and the token: a label or value that is not a
 * finite plain decimal number (NaN, Infinity, hex), a token without `:`, an index that is 0, not an integer, not
 * increasing or beyond `features`. The dense matrix is allocated only after its size is checked against
 * `maxEntries`, so one stray huge index cannot exhaust memory.
 *
 * @example parseLibsvm('+1 1:0.5 3:2\n-1 2:1\n').features // 2 × 3: [0.5, 0, 2, 0, 1, 0]; classNames ['-1', '+1']
 */
export function parseLibsvm(text: string, source = '<libsvm>', options: LibsvmOptions = {}): Dataset {
  const { maxEntries, classes } = checkOptions(options, 'parseLibsvm');
  const limit = options.features ?? maxEntries;
  const lines = text.split(/\r\n|\n|\r/);
  const rowStart: number[] = [0];
  const rowLabel: number[] = [];
  const spelling = new Map<number, string>();
  const index: number[] = [];
  const value: number[] = [];
  let maxIndex = 0;
  let maxIndexLine = 0;
  for (let l = 0; l < lines.length; l++) {
    const lineNo = l + 1;
    const hash = lines[l].indexOf('#');
    const body = (hash >= 0 ? lines[l].slice(0, hash) : lines[l]).trim();
    if (body === '') continue;
    const tokens = body.split(/\s+/);
    const labelText = tokens[0];
    const label = parseDecimal(labelText);
    if (!Number.isFinite(label)) {
      const hint = labelText.includes(':') ? ' (each line starts with its label)' : '';
      throw new InputError(`line ${lineNo}, token 1: label ${show(labelText)} is not a finite number${hint}`, source);
    }
    if (classes && !classes.has(label)) {
      throw new InputError(`line ${lineNo}, token 1: label ${show(labelText)} is none of the classes ${[...listClasses(options.classNames)].join(', ')}`, source);
    }
    if (!spelling.has(label)) spelling.set(label, labelText);
    rowLabel.push(label);
    let previous = 0;
    for (let k = 1; k < tokens.length; k++) {
      const token = tokens[k];
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
        const why = options.features !== undefined ? `the ${limit} features (option features)` : `the limit of ${limit} dense entries (option maxEntries)`;
        throw new InputError(`${where}: index ${idx} exceeds ${why}`, source);
      }
      const valueText = token.slice(colon + 1);
      const v = parseDecimal(valueText);
      if (!Number.isFinite(v)) throw new InputError(`${where}: value ${show(valueText)} is not a finite number`, source);
      previous = idx;
      if (idx > maxIndex) {
        maxIndex = idx;
        maxIndexLine = lineNo;
      }
      index.push(idx - 1);
      value.push(v);
    }
    rowStart.push(index.length);
  }
  const n = rowLabel.length;
  if (n === 0) throw new InputError('no data lines; expected lines "label index:value …"', source);
  const d = options.features ?? maxIndex;
  if (d === 0) throw new InputError('no line has a feature (index:value); give options.features for all-zero rows', source);
  if (n * d > maxEntries) {
    throw new InputError(
      `${n} rows × ${d} features = ${n * d} dense entries, more than the limit of ${maxEntries} (option maxEntries)` +
        (options.features === undefined ? `; the largest index, ${maxIndex}, is on line ${maxIndexLine}` : ''),
      source,
    );
  }
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
  return parseLibsvm(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), path, options);
}
