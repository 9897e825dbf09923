import type { Dataset } from '../dataset';
import { parseDecimal } from './parse-decimal';

/**
 * Writes a {@link Dataset} as LIBSVM text, one line per row: the label, then `index:value` for each non-zero
 * feature (1-based indices, values in JavaScript's shortest round-trip form, so {@link parseLibsvm} reads back the
 * same float64 numbers). The label is the class name when every class name is a number, otherwise the class index.
 *
 * @example formatLibsvm(data) // "-1 1:0.5 3:2\n+1 2:1\n"
 */
export function formatLibsvm(data: Dataset): string {
  const { rows: n, cols: d, data: x } = data.features;
  const numeric = data.classNames.every((c) => Number.isFinite(parseDecimal(c)));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let line = numeric ? data.classNames[data.labels[i]] : String(data.labels[i]);
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (v !== 0) line += ` ${j + 1}:${String(v)}`;
    }
    out.push(line);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
