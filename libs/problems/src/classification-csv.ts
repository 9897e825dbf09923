import type { Dataset } from './dataset';
import { parseHeaderlessCsv } from './headerless-csv';
import { parseNamedCsv } from './named-csv';
import { InputError } from '@bilevel/io';
import type { Reserve } from './memory-budget';
import { gunzipBounded, isGzip } from './loaders/gunzip-bounded';
import { readDataFile } from './loaders/read-data-file';
import { fieldCount, forEachLine } from './text-lines';
import { parseUciCsv } from './uci-csv';

/** Options of {@link loadClassificationCsv}. */
export interface ClassificationCsvOptions {
  /** Largest file, and largest decompressed text, accepted, in bytes. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Bytes the dense feature matrix and labels may take, checked before allocating. Default 2 GiB. */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked within the budget together (see {@link Reserve}). */
  readonly reserve?: Reserve;
  /** A header of column names: the label column's name (default: the last column). See `parseNamedCsv`. */
  readonly label?: string;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

const isCount = (s: string | undefined) => s !== undefined && /^\s*[1-9]\d*\s*$/.test(s);
const isNumber = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Parses a labelled CSV in either of the two layouts of the scikit-learn copies of the UCI data sets, chosen from
 * the first line:
 * - UCI header (breast_cancer, wine_data, iris): line 1 is `n_samples,n_features[,class names…]` — recognized when
 *   its first two fields are positive integers and it names classes, or has a different number of fields from line
 *   2, or announces exactly the file's number of data lines and line 2's number of features; see {@link parseUciCsv}.
 * - headerless (digits): every line is features then the label; see {@link parseHeaderlessCsv}.
 * - a header of column names (any other first line with a field that is not a number, or `label` given): the label
 *   column is the one named `label`, default the last; see `parseNamedCsv`.
 */
export function parseClassificationCsv(text: string, source = '<csv>', options: { readonly memoryBudget?: number; readonly reserve?: Reserve; readonly label?: string } = {}): Dataset {
  const firstEnd = text.indexOf('\n');
  const first = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  const secondEnd = firstEnd < 0 ? -1 : text.indexOf('\n', firstEnd + 1);
  const second = firstEnd < 0 ? undefined : (secondEnd < 0 ? text.slice(firstEnd + 1) : text.slice(firstEnd + 1, secondEnd)).replace(/\r$/, '');
  // the first line is looked at field by field, never split whole (it may be a very long line of numbers)
  const c0 = first.indexOf(',');
  const c1 = c0 < 0 ? -1 : first.indexOf(',', c0 + 1);
  const f0 = c0 < 0 ? first : first.slice(0, c0);
  const f1 = c0 < 0 ? undefined : first.slice(c0 + 1, c1 < 0 ? first.length : c1);
  let header = false;
  if (isCount(f0) && isCount(f1)) {
    let namesClasses = false;
    for (let at = c1; at >= 0 && !namesClasses; ) {
      const next = first.indexOf(',', at + 1);
      namesClasses = !isNumber(first.slice(at + 1, next < 0 ? first.length : next));
      at = next;
    }
    let dataLines = 0;
    forEachLine(text, (l, i) => void (i > 0 && l.trim() !== '' && dataLines++));
    const firstFields = fieldCount(first);
    const secondFields = second === undefined ? 0 : fieldCount(second);
    header = namesClasses || firstFields !== secondFields || (Number(f0) === dataLines && Number(f1) === secondFields - 1);
  }
  const budget = { ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}), ...(options.reserve ? { reserve: options.reserve } : {}) };
  if (header) {
    if (options.label !== undefined) throw new InputError('a UCI header (n_samples,n_features,…) has no column names: its label is the last field; leave out --label', source);
    return parseUciCsv(text, source, budget);
  }
  // a first line with a field that is not a number names the columns (checked field by field: it may be long)
  let names = options.label !== undefined;
  for (let at = -1; !names; ) {
    const next = first.indexOf(',', at + 1);
    const cell = first.slice(at + 1, next < 0 ? first.length : next);
    names = cell.trim() !== '' && !isNumber(cell);
    if (next < 0) break;
    at = next;
  }
  if (names) return parseNamedCsv(text, source, { ...budget, ...(options.label !== undefined ? { label: options.label } : {}) });
  return parseHeaderlessCsv(text, source, budget);
}

/**
 * Reads a labelled CSV file, plain or gzip-compressed (recognized by its magic bytes), in the UCI-header or the
 * headerless layout ({@link parseClassificationCsv}). Reading and decompression are bounded by `maxBytes`; every
 * problem (missing file, corrupt gzip, malformed line) is an {@link InputError} naming the file and line.
 *
 * @example const digits = loadClassificationCsv('../shared/data/uci/digits.csv.gz'); // 1797 × 64, classes 0..9
 */
export function loadClassificationCsv(path: string, options: ClassificationCsvOptions = {}): Dataset {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) {
    throw new InputError(`maxBytes must be a positive integer, received ${maxBytes}`, 'loadClassificationCsv');
  }
  let bytes: Uint8Array = readDataFile(path, maxBytes);
  if (isGzip(bytes)) bytes = gunzipBounded(bytes, { maxBytes, source: path });
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  bytes = new Uint8Array(0); // the bytes (up to maxBytes of gunzipped text) can go before the parse allocates
  return parseClassificationCsv(text, path, {
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
    ...(options.reserve ? { reserve: options.reserve } : {}),
  });
}
