import { readFileSync } from 'node:fs';
import type { Dataset } from './dataset';
import { InputError } from './input-error';

/** Largest class index accepted when the header names no classes (labels are then 0..MAX_UNNAMED_CLASSES − 1). */
export const MAX_UNNAMED_CLASSES = 65536;

/**
 * Parses the UCI header CSV format of the scikit-learn copies of the UCI data sets:
 * the first line is `n_samples,n_features,class_0,class_1,…`; each of the next `n_samples` lines has
 * `n_features` numbers and then the integer class label (0-based, less than the number of class names).
 * Every problem is reported as an {@link InputError} naming the line and what was expected.
 */
export function parseUciCsv(text: string, source = '<csv>'): Dataset {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0 || lines[0].trim() === '') {
    throw new InputError('empty file; expected a header line "n_samples,n_features,class names…"', source);
  }
  const header = lines[0].split(',').map((s) => s.trim());
  const n = Number(header[0]);
  const d = Number(header[1]);
  if (header.length < 2 || !Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(d) || d < 1) {
    throw new InputError(
      `line 1: malformed header "${lines[0].slice(0, 80)}"; expected "n_samples,n_features,class names…" with positive integers`,
      source,
    );
  }
  const classNames = header.slice(2);
  if (classNames.length === 1) {
    throw new InputError('line 1: the header names a single class; a classification data set needs at least two', source);
  }
  if (lines.length - 1 !== n) {
    throw new InputError(`the header announces ${n} samples but the file has ${lines.length - 1} data lines`, source);
  }
  // Check every line's field count before allocating n·d values (a hostile header cannot make us allocate).
  const rows = lines.slice(1).map((line) => line.split(','));
  rows.forEach((cells, i) => {
    if (cells.length !== d + 1) {
      throw new InputError(`line ${i + 2}: ${cells.length} fields, expected ${d + 1} (${d} features and a label)`, source);
    }
  });
  const features = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lineNo = i + 2;
    const cells = rows[i];
    for (let j = 0; j < d; j++) {
      const cell = cells[j].trim();
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        throw new InputError(`line ${lineNo}, field ${j + 1}: "${cell.slice(0, 40)}" is not a finite number`, source);
      }
      features[i * d + j] = value;
    }
    const labelCell = cells[d].trim();
    const label = labelCell === '' ? NaN : Number(labelCell);
    const nClasses = classNames.length > 0 ? classNames.length : MAX_UNNAMED_CLASSES;
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) {
      throw new InputError(
        `line ${lineNo}, label field: "${labelCell.slice(0, 40)}" is not a class index` +
          (classNames.length > 0 ? ` in 0..${classNames.length - 1}` : ` (an integer in 0..${MAX_UNNAMED_CLASSES - 1} when the header names no classes)`),
        source,
      );
    }
    labels[i] = label;
  }
  const distinct = new Set(labels);
  if (distinct.size < 2) {
    throw new InputError(`the label column holds a single class (${labels[0]}); classification needs at least two`, source);
  }
  let maxLabel = 0;
  for (const l of distinct) maxLabel = Math.max(maxLabel, l);
  const names = classNames.length > 0 ? classNames : Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  return { features: { rows: n, cols: d, data: features }, labels, classNames: names, source };
}

/** Reads and parses a UCI header CSV file; a missing or unreadable file is an {@link InputError}. */
export function loadUciCsv(path: string): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    throw new InputError(`cannot read data file (${why})`, path);
  }
  return parseUciCsv(text, path);
}
