import type { Dataset } from './dataset';
import { InputError } from '@bilevel/io';
import type { Reserve } from './memory-budget';
import { checkMemoryBudget, memoryBudgetOf } from './memory-budget';
import { countLinesToLastNonBlank, fieldCount, forEachLine } from './text-lines';

/** Options of {@link parseNamedCsv}. */
export interface NamedCsvOptions {
  /** The label column, by name; default the last column. */
  readonly label?: string;
  /** Largest number of distinct labels accepted. Default 1000. */
  readonly maxClasses?: number;
  /** Bytes the dense feature matrix and labels may take (n × d × 8 + n × 4), checked before allocating. Default 2 GiB. */
  readonly memoryBudget?: number;
  /** What the caller will allocate from the data's dimensions, checked within the budget together (see {@link Reserve}). */
  readonly reserve?: Reserve;
}

const DEFAULT_MAX_CLASSES = 1000;

/**
 * Parses a plain labelled CSV whose first line names the columns (`sepal_length,sepal_width,…,species`), as
 * spreadsheets and pandas write it: the label column is the one named `options.label` (default: the last column),
 * every other column is a feature and must hold finite numbers. Labels are class names (`setosa`) or integers; the
 * classes are the distinct labels, sorted (numerically when all are integers), so class k is the k-th name. Every
 * problem is an {@link InputError} naming the line, the column and what was expected.
 *
 * @example parseNamedCsv('a,b,species\n1,2,x\n3,4,y\n', 'my.csv', { label: 'species' }) // 2 × 2, classes x, y
 */
export function parseNamedCsv(text: string, source = '<csv>', options: NamedCsvOptions = {}): Dataset {
  const maxClasses = options.maxClasses ?? DEFAULT_MAX_CLASSES;
  const budget = memoryBudgetOf(options.memoryBudget, 'parseNamedCsv');
  const lines = countLinesToLastNonBlank(text);
  const firstEnd = text.indexOf('\n');
  const names = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '').split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
  if (names.length < 2) throw new InputError('line 1: 1 column name, expected at least 2 (features and a label)', source);
  const labelAt = options.label === undefined ? names.length - 1 : names.indexOf(options.label);
  if (labelAt < 0) {
    throw new InputError(`no column named "${options.label}" (--label); the header names ${names.map((n) => `"${n}"`).join(', ')}`, source);
  }
  const n = lines - 1;
  if (n < 1) throw new InputError('a header and no data lines; expected lines of values under the column names', source);
  const d = names.length - 1;
  forEachLine(text, (line, i) => {
    if (i === 0) return true;
    if (i >= lines) return false;
    const count = fieldCount(line);
    if (count !== names.length) throw new InputError(`line ${i + 1}: ${count} field${count === 1 ? '' : 's'}, expected ${names.length} as the header names`, source);
    return true;
  });
  checkMemoryBudget([{ what: `dense features ${n} × ${d} × 8 bytes and labels`, bytes: n * d * 8 + n * 4, elements: n * d }, ...(options.reserve?.(n, d) ?? [])], budget, source);
  const features = new Float64Array(n * d);
  const raw: string[] = new Array<string>(n);
  forEachLine(text, (line, i) => {
    if (i === 0) return true;
    if (i >= lines) return false;
    const cells = line.replace(/\r$/, '').split(',');
    let j = 0;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c]!.trim();
      if (c === labelAt) {
        if (cell === '') throw new InputError(`line ${i + 1}, column "${names[c]}": an empty label`, source);
        raw[i - 1] = cell.replace(/^"(.*)"$/, '$1');
        continue;
      }
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) throw new InputError(`line ${i + 1}, column "${names[c]}": "${cell.slice(0, 40)}" is not a finite number (every column but the label "${names[labelAt]}" is a feature)`, source);
      features[(i - 1) * d + j++] = value;
    }
    return true;
  });
  const distinct = [...new Set(raw)];
  if (distinct.length > maxClasses) throw new InputError(`the label column "${names[labelAt]}" holds ${distinct.length} distinct values, more than ${maxClasses} classes`, source);
  if (distinct.length < 2) throw new InputError(`the label column "${names[labelAt]}" holds a single class (${distinct[0]}); classification needs at least two`, source);
  const numeric = distinct.every((v) => /^-?\d+$/.test(v));
  const classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  const index = new Map(classNames.map((c, k) => [c, k]));
  const labels = Int32Array.from(raw, (v) => index.get(v)!);
  return { features: { rows: n, cols: d, data: features }, labels, classNames, source };
}
