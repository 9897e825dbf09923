import type { Dataset } from './dataset';
import { parseHeaderlessCsv } from './headerless-csv';
import { InputError } from './input-error';
import { gunzipBounded, isGzip } from './loaders/gunzip-bounded';
import { readDataFile } from './loaders/read-data-file';
import { parseUciCsv } from './uci-csv';

/** Options of {@link loadClassificationCsv}. */
export interface ClassificationCsvOptions {
  /** Largest file, and largest decompressed text, accepted, in bytes. Default 256 MiB. */
  readonly maxBytes?: number;
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
 */
export function parseClassificationCsv(text: string, source = '<csv>'): Dataset {
  const firstEnd = text.indexOf('\n');
  const first = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '').split(',');
  const secondEnd = firstEnd < 0 ? -1 : text.indexOf('\n', firstEnd + 1);
  const second = firstEnd < 0 ? [] : (secondEnd < 0 ? text.slice(firstEnd + 1) : text.slice(firstEnd + 1, secondEnd)).replace(/\r$/, '').split(',');
  let header = false;
  if (isCount(first[0]) && isCount(first[1])) {
    const namesClasses = first.slice(2).some((s) => !isNumber(s));
    const dataLines = text.split(/\r?\n/).filter((l, i) => i > 0 && l.trim() !== '').length;
    header = namesClasses || first.length !== second.length || (Number(first[0]) === dataLines && Number(first[1]) === second.length - 1);
  }
  return header ? parseUciCsv(text, source) : parseHeaderlessCsv(text, source);
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
  return parseClassificationCsv(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), path);
}
