import type { Dataset } from './dataset';
import { InputError } from '@bilevel/io';
import { readDataFile } from './loaders/read-data-file';
import type { Reserve } from './memory-budget';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { countLinesToLastNonBlank, fieldCount, forEachLine } from './text-lines';

/** Largest class index accepted when the header names no classes (labels are then 0..MAX_UNNAMED_CLASSES − 1). */
export const MAX_UNNAMED_CLASSES = 65536;

/** Options of {@link parseUciCsv} and {@link loadUciCsv}. */
export interface UciCsvOptions {
  /** Bytes the dense feature matrix and labels may take (n × d × 8 + n × 4), checked before allocating. Default 2 GiB. */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked within the budget together (see {@link Reserve}). */
  readonly reserve?: Reserve;
}

/** Largest file {@link loadUciCsv} reads: 2²⁸ bytes (256 MiB), as the other data loaders. */
const MAX_FILE_BYTES = 2 ** 28;

/**
 * Parses the UCI header CSV format of the scikit-learn copies of the UCI data sets:
 * the first line is `n_samples,n_features,class_0,class_1,…`; each of the next `n_samples` lines has
 * `n_features` numbers and then the integer class label (0-based, less than the number of class names).
 * Every problem is reported as an {@link InputError} naming the line and what was expected. Memory: the lines are
 * read one at a time, and every line's field count and the dense matrix's size (against `memoryBudget`) are checked
 * before the n × d matrix is allocated, so a short hostile text cannot make it allocate much more than it holds.
 */
export function parseUciCsv(text: string, source = '<csv>', options: UciCsvOptions = {}): Dataset {
  const budget = memoryBudgetOf(options.memoryBudget, 'parseUciCsv');
  const lineCount = countLinesToLastNonBlank(text);
  const firstEnd = text.indexOf('\n');
  const first = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  if (lineCount === 0 || first.trim() === '') {
    throw new InputError('empty file; expected a header line "n_samples,n_features,class names…"', source);
  }
  const headerFields = fieldCount(first);
  if (headerFields - 2 > MAX_UNNAMED_CLASSES) {
    throw new InputError(`line 1: the header names ${headerFields - 2} classes, more than ${MAX_UNNAMED_CLASSES}`, source);
  }
  const header = first.split(',').map((s) => s.trim());
  const n = Number(header[0]);
  const d = Number(header[1]);
  if (header.length < 2 || !Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(d) || d < 1) {
    throw new InputError(
      `line 1: malformed header "${first.slice(0, 80)}"; expected "n_samples,n_features,class names…" with positive integers`,
      source,
    );
  }
  const classNames = header.slice(2);
  if (classNames.length === 1) {
    throw new InputError('line 1: the header names a single class; a classification data set needs at least two', source);
  }
  if (lineCount - 1 !== n) {
    throw new InputError(`the header announces ${n} samples but the file has ${lineCount - 1} data lines`, source);
  }
  // Check every line's field count, then the matrix's size, before allocating n·d values (a hostile header cannot
  // make us allocate).
  forEachLine(text, (line, i) => {
    if (i === 0) return true;
    if (i > n) return false;
    const cells = fieldCount(line);
    if (cells !== d + 1) throw new InputError(`line ${i + 1}: ${cells} fields, expected ${d + 1} (${d} features and a label)`, source);
    return true;
  });
  checkMemoryBudget([{ what: `dense features ${n} × ${d} × 8 bytes and labels`, bytes: n * d * 8 + n * 4, elements: n * d }, ...(options.reserve?.(n, d) ?? [])], budget, source);
  const features = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const nClasses = classNames.length > 0 ? classNames.length : MAX_UNNAMED_CLASSES;
  forEachLine(text, (line, i) => {
    if (i === 0) return true;
    if (i > n) return false;
    const row = i - 1;
    const lineNo = i + 1;
    let at = 0;
    for (let j = 0; j < d; j++) {
      const comma = line.indexOf(',', at);
      const cell = line.slice(at, comma).trim();
      at = comma + 1;
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        throw new InputError(`line ${lineNo}, field ${j + 1}: "${cell.slice(0, 40)}" is not a finite number`, source);
      }
      features[row * d + j] = value;
    }
    const labelCell = line.slice(at).trim();
    const label = labelCell === '' ? NaN : Number(labelCell);
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) {
      throw new InputError(
        `line ${lineNo}, label field: "${labelCell.slice(0, 40)}" is not a class index` +
          (classNames.length > 0 ? ` in 0..${classNames.length - 1}` : ` (an integer in 0..${MAX_UNNAMED_CLASSES - 1} when the header names no classes)`),
        source,
      );
    }
    labels[row] = label;
    return true;
  });
  const distinct = new Set(labels);
  if (distinct.size < 2) {
    throw new InputError(`the label column holds a single class (${labels[0]}); classification needs at least two`, source);
  }
  let maxLabel = 0;
  for (const l of distinct) maxLabel = Math.max(maxLabel, l);
  const names = classNames.length > 0 ? classNames : Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  return { features: { rows: n, cols: d, data: features }, labels, classNames: names, source };
}

/**
 * Reads and parses a UCI header CSV file with the safe file reader (a missing or unreadable file, a device or pipe, a
 * file over 256 MiB are each an {@link InputError}); see {@link parseUciCsv}.
 */
export function loadUciCsv(path: string, options: UciCsvOptions = {}): Dataset {
  return parseUciCsv(readDataFile(path, MAX_FILE_BYTES).toString('utf8'), path, options);
}
