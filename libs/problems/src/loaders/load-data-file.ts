import type { Dataset } from '../dataset';
import { InputError } from '@bilevel/io';
import { parseUciCsv } from '../uci-csv';
import { gunzipBounded, isGzip } from './gunzip-bounded';
import { LIBSVM_DEFAULT_MAX_BYTES, parseLibsvm } from './libsvm';
import { readDataFile } from './read-data-file';
import { parseDecimal } from './parse-decimal';
import type { Reserve } from '../memory-budget';
import { memoryBudgetOf } from '../memory-budget';

/** The tabular formats {@link loadDataFile} reads; `auto` picks one from the file name, then the content. */
export const DATA_FILE_FORMATS = ['auto', 'uci-csv', 'libsvm'] as const;
/** One of {@link DATA_FILE_FORMATS}. */
export type DataFileFormat = (typeof DATA_FILE_FORMATS)[number];

/** Options of {@link loadDataFile}. */
export interface DataFileOptions {
  /** `uci-csv` (header `n_samples,n_features,class names…`), `libsvm`, or `auto` (default). */
  readonly format?: DataFileFormat;
  /**
   * A data set this one must match, e.g. the training set when reading a validation file: a LIBSVM file is read with
   * its number of features and its classes (so labels map the same way even if the file lacks the largest index or a
   * class); a CSV must have as many features and the same class names.
   */
  readonly like?: Dataset;
  /** Refuse a file (or its gunzipped text) longer than this. Default 2²⁸ bytes (256 MiB). */
  readonly maxBytes?: number;
  /** Bytes the parsed data may take (the dense matrix n × d × 8, and LIBSVM's entries while reading). Default 2 GiB. */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked with the dense matrix (see {@link Reserve}). */
  readonly reserve?: Reserve;
}

const LIBSVM_NAMES = /\.(svm|libsvm|svmlight|scale|t)$/i;

/** The format of a file: by its name (`.csv` → uci-csv; `.svm`, `.libsvm`, `.svmlight`, `.scale`, `.t` → libsvm), else by its first data line. */
function detect(path: string, text: string): 'uci-csv' | 'libsvm' {
  const name = path.replace(/\.gz$/i, '');
  if (/\.csv$/i.test(name)) return 'uci-csv';
  if (LIBSVM_NAMES.test(name)) return 'libsvm';
  const first = text.split(/\r?\n/, 50).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) ?? '';
  return /^\s*\S+\s+\d+:/.test(first) || (!first.includes(',') && first.includes(':')) ? 'libsvm' : 'uci-csv';
}

/**
 * Reads a labelled tabular data file for the command line's `--train`/`--val`: a UCI header CSV or LIBSVM text,
 * gzipped or not (detected by the magic bytes). Every problem is an {@link InputError} naming the file, and the line
 * and field where it applies; a file that does not match `like` says how. The file is read by the safe reader (no
 * device, pipe or socket; refused by its size before reading), the gunzipped text is capped at `maxBytes`, and the
 * dense matrix is checked against `memoryBudget` before it is allocated.
 *
 * @example const train = loadDataFile('a9a.svm'); const val = loadDataFile('a9a.t', { like: train });
 */
export function loadDataFile(path: string, options: DataFileOptions = {}): Dataset {
  const format = options.format ?? 'auto';
  if (!DATA_FILE_FORMATS.includes(format)) {
    throw new InputError(`format must be one of ${DATA_FILE_FORMATS.join(', ')}, received "${String(format)}"`, 'loadDataFile');
  }
  const maxBytes = options.maxBytes ?? LIBSVM_DEFAULT_MAX_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1 && maxBytes <= 2 ** 29 - 24)) {
    throw new InputError(`options.maxBytes must be an integer in 1..${2 ** 29 - 24}, received ${String(maxBytes)}`, 'loadDataFile');
  }
  const memoryBudget = memoryBudgetOf(options.memoryBudget, 'loadDataFile');
  let bytes: Uint8Array = readDataFile(path, maxBytes);
  if (isGzip(bytes)) bytes = gunzipBounded(bytes, { maxBytes, source: path, tooLarge: `the gunzipped text is longer than ${maxBytes} bytes (option maxBytes)` });
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  bytes = new Uint8Array(0); // the file's bytes (or the gunzipped text, up to maxBytes) are not needed past this point
  const { like } = options;
  if ((format === 'auto' ? detect(path, text) : format) === 'libsvm') {
    if (like && !like.classNames.every((c) => Number.isFinite(parseDecimal(c)))) {
      throw new InputError(`a LIBSVM file has numeric labels, but ${like.source} names its classes ${like.classNames.join(', ')}; give both files in the same format`, path);
    }
    const common = { memoryBudget, ...(options.reserve ? { reserve: options.reserve } : {}) };
    return parseLibsvm(text, path, like ? { features: like.features.cols, classNames: like.classNames, ...common } : common);
  }
  const data = parseUciCsv(text, path, { memoryBudget, ...(options.reserve ? { reserve: options.reserve } : {}) });
  if (like) {
    if (data.features.cols !== like.features.cols) {
      throw new InputError(`${data.features.cols} features, but ${like.source} has ${like.features.cols}`, path);
    }
    if (data.classNames.join('\u0000') !== like.classNames.join('\u0000')) {
      throw new InputError(`classes ${data.classNames.join(', ')}, but ${like.source} has ${like.classNames.join(', ')}`, path);
    }
  }
  return data;
}
