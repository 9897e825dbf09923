import type { Dataset } from './dataset';
import { InputError } from '@bilevel/io';
import type { Reserve } from './memory-budget';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { countLinesToLastNonBlank, fieldCount, forEachLine } from './text-lines';

/** Options of {@link parseHeaderlessCsv}. */
export interface HeaderlessCsvOptions {
  /** Largest number of classes accepted (labels 0..maxClasses−1), so a stray huge label cannot allocate. Default 1000. */
  readonly maxClasses?: number;
  /** Bytes the dense feature matrix and labels may take (n × d × 8 + n × 4), checked before allocating. Default 2 GiB. */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked within the budget together (see {@link Reserve}). */
  readonly reserve?: Reserve;
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
  const budget = memoryBudgetOf(options.memoryBudget, 'parseHeaderlessCsv');
  const n = countLinesToLastNonBlank(text);
  if (n === 0) throw new InputError('empty file; expected lines of feature values followed by an integer label', source);
  const firstEnd = text.indexOf('\n');
  const fields = fieldCount(firstEnd < 0 ? text : text.slice(0, firstEnd));
  if (fields < 2) throw new InputError(`line 1: 1 field, expected at least 2 (features, then the label)`, source);
  const d = fields - 1;
  // Every line's field count is checked before anything is allocated: a long first line followed by many short lines
  // must not size an n × d buffer that the text could never fill. The lines are visited one at a time, never split
  // all at once (a text of many short lines would otherwise cost one string per line and per field).
  forEachLine(text, (line, i) => {
    if (i >= n) return false;
    const count = fieldCount(line);
    if (count !== fields) {
      throw new InputError(`line ${i + 1}: ${count} field${count === 1 ? '' : 's'}, expected ${fields} as on line 1 (${d} features and a label)`, source);
    }
    return true;
  });
  checkMemoryBudget([{ what: `dense features ${n} × ${d} × 8 bytes and labels`, bytes: n * d * 8 + n * 4, elements: n * d }, ...(options.reserve?.(n, d) ?? [])], budget, source);
  const features = new Float64Array(n * d);
  const labels = new Int32Array(n);
  let maxLabel = 0;
  forEachLine(text, (line, i) => {
    if (i >= n) return false;
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
      features[i * d + j] = value;
    }
    const labelCell = line.slice(at).trim();
    const label = labelCell === '' ? NaN : Number(labelCell);
    if (!Number.isInteger(label) || label < 0 || label >= maxClasses) {
      throw new InputError(`line ${lineNo}, label field: "${labelCell.slice(0, 40)}" is not a class index in 0..${maxClasses - 1}`, source);
    }
    labels[i] = label;
    if (label > maxLabel) maxLabel = label;
    return true;
  });
  if (new Set(labels).size < 2) {
    throw new InputError(`the label column holds a single class (${labels[0]}); classification needs at least two`, source);
  }
  const classNames = Array.from({ length: maxLabel + 1 }, (_, k) => String(k));
  return { features: { rows: n, cols: d, data: features }, labels, classNames, source };
}
