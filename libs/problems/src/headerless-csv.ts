import type { Dataset } from './dataset';
import { InputError } from './input-error';

/** Options of {@link parseHeaderlessCsv}. */
export interface HeaderlessCsvOptions {
  /** Largest number of classes accepted (labels 0..maxClasses−1), so a stray huge label cannot allocate. Default 1000. */
  readonly maxClasses?: number;
}

const DEFAULT_MAX_CLASSES = 1000;

/**
 * Parses a headerless labelled CSV, the format of the scikit-learn copy of UCI digits (`digits.csv.gz`): every line
 * holds the same number of fields, d feature values and then the integer class label (0-based); no header. The
 * number of features is taken from the first line; the classes are 0..K−1 with K = largest label + 1, named "0",
 * "1", …. A trailing blank line and CRLF line ends are accepted. Every problem is an {@link InputError} naming the
 * line (and field) and what was expected.
 */
export function parseHeaderlessCsv(text: string, source = '<csv>', options: HeaderlessCsvOptions = {}): Dataset {
  const maxClasses = options.maxClasses ?? DEFAULT_MAX_CLASSES;
  if (!(Number.isInteger(maxClasses) && maxClasses >= 2)) {
    throw new InputError(`maxClasses must be an integer ≥ 2, received ${maxClasses}`, 'parseHeaderlessCsv');
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new InputError('empty file; expected lines of feature values followed by an integer label', source);
  const fields = lines[0].split(',').length;
  if (fields < 2) throw new InputError(`line 1: 1 field, expected at least 2 (features, then the label)`, source);
  const n = lines.length;
  const d = fields - 1;
  // Every line's field count is checked before anything is allocated: a long first line followed by many short lines
  // must not size an n × d buffer that the text could never fill.
  for (let i = 1; i < n; i++) {
    let count = 1;
    const line = lines[i];
    for (let c = line.indexOf(','); c >= 0; c = line.indexOf(',', c + 1)) count++;
    if (count !== fields) {
      throw new InputError(`line ${i + 1}: ${count} field${count === 1 ? '' : 's'}, expected ${fields} as on line 1 (${d} features and a label)`, source);
    }
  }
  const features = new Float64Array(n * d);
  const labels = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const lineNo = i + 1;
    const cells = lines[i].split(',');
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
    if (!Number.isInteger(label) || label < 0 || label >= maxClasses) {
      throw new InputError(`line ${lineNo}, label field: "${labelCell.slice(0, 40)}" is not a class index in 0..${maxClasses - 1}`, source);
    }
    labels[i] = label;
    if (label > maxLabel) maxLabel = label;
  }
  if (new Set(labels).size < 2) {
    throw new InputError(`the label column holds a single class (${labels[0]}); classification needs at least two`, source);
  }
  const classNames = Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  return { features: { rows: n, cols: d, data: features }, labels, classNames, source };
}
