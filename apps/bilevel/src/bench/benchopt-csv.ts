import type { RunResult } from './execute-run';

/** The benchopt objective name of the public benchmark (`objective.py`: `name = "Bilevel Optimization"`). */
export const BENCHOPT_OBJECTIVE = 'Bilevel Optimization';

/**
 * The leading columns of a benchopt result file (benchopt ≥ 1.3, the public benchmark's parquet files), in order, then
 * this toolkit's `oracle_calls` and `samples`, then one `objective_<metric>` column per metric found in the runs.
 */
export const BENCHOPT_COLUMNS = ['objective_name', 'solver_name', 'data_name', 'idx_rep', 'stop_val', 'time', 'objective_value'] as const;

/** The toolkit's own columns after benchopt's: oracle calls and samples touched (comparison by computation). */
export const TOOLKIT_COLUMNS = ['oracle_calls', 'samples'] as const;

/** camelCase → snake_case (`testError` → `test_error`). */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A benchopt parametrized name: `name[k1=v1,k2=v2]` with the keys sorted (benchopt's `parameter_template`). */
function parametrized(name: string, params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${snake(k)}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return entries.length ? `${name}[${entries.join(',')}]` : name;
}

/** A number as pandas reads it back exactly: the shortest round-trip decimal, or nan / inf / -inf. */
function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** One CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a line break (RFC 4180). */
function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The grid's evaluation points in the column layout of the public benchmark's result files (benchopt), one row per
 * evaluated point of every run, so both can be read by the same plotting code (`pd.read_csv`, then as the
 * benchmark's `figures/plot_benchmark_bilevel.py` reads its parquet):
 * - `objective_name`: "Bilevel Optimization";
 * - `solver_name`: the solver and every option it was built with, `saba[batch_size=32,inner_step=0.1,…,random_state=S]`
 *   (the benchmark parses `random_state` out of this name for its seeds);
 * - `data_name`: the grid row and its problem options, `logreg-hpo[reg=scalar,seed=0,standardize=train]`;
 * - `idx_rep`: the run's seed; `stop_val`: the outer iteration; `time`: solver seconds (evaluation excluded);
 * - `objective_value`: h(x) as the row evaluates it (exact inner solve, or F at the solver's own z);
 * - `oracle_calls`, `samples`: every oracle call and the samples they touched;
 * - `objective_suboptimality` ((h − h*)/|h*|) when the problem has a reference, and `objective_<metric>` for each of the
 *   problem's metrics in snake_case (`objective_test_error`); a test error is also written as
 *   `objective_test_accuracy`, the benchmark's column, which holds the error rate (mean of prediction ≠ label).
 * A cell is empty where a point lacks that metric. Numbers are written to round-trip exactly (`nan`, `inf` for
 * non-finite values); fields with commas or quotes are quoted (RFC 4180).
 */
export function toBenchoptCsv(results: readonly RunResult[]): string {
  const metricKeys = new Set<string>();
  let hasSub = false;
  for (const r of results) {
    for (const p of r.points) {
      if (p.suboptimality !== undefined) hasSub = true;
      for (const k of Object.keys(p.metrics ?? {})) metricKeys.add(k);
    }
  }
  const metrics = [...metricKeys].sort();
  const aliasTest = metricKeys.has('testError') && !metricKeys.has('testAccuracy');
  const header = [
    ...BENCHOPT_COLUMNS,
    ...TOOLKIT_COLUMNS,
    ...(hasSub ? ['objective_suboptimality'] : []),
    ...metrics.map((k) => `objective_${snake(k)}`),
    ...(aliasTest ? ['objective_test_accuracy'] : []),
  ];
  const lines = [header.map(field).join(',')];
  for (const r of results) {
    const s = r.spec;
    const solverName = parametrized(s.solver, { ...s.solverOptions, randomState: s.seed });
    const dataName = parametrized(s.problem.label, { ...s.problem.config });
    for (const p of r.points) {
      const row = [
        BENCHOPT_OBJECTIVE,
        solverName,
        dataName,
        String(s.seed),
        String(p.iteration),
        num(p.solverSeconds),
        num(p.value),
        num(p.oracleCalls),
        num(p.samples),
        ...(hasSub ? [num(p.suboptimality)] : []),
        ...metrics.map((k) => num(p.metrics?.[k])),
        ...(aliasTest ? [num(p.metrics?.testError)] : []),
      ];
      lines.push(row.map(field).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Reads a CSV written by {@link toBenchoptCsv} (or any RFC 4180 CSV): the header and the rows as strings. A quote
 * left open at the end of the text is a RangeError naming the line where the field began.
 */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let record: string[] = [];
  let cur = '';
  let quoted = false;
  let line = 1;
  let openedAt = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cur += c;
      }
      continue;
    }
    if (c === '"' && cur === '') {
      quoted = true;
      openedAt = line;
    } else if (c === ',') {
      record.push(cur);
      cur = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cur);
      records.push(record);
      record = [];
      cur = '';
      line++;
    } else cur += c;
  }
  if (quoted) throw new RangeError(`parseCsv: a quoted field opened on line ${openedAt} is never closed`);
  if (cur !== '' || record.length > 0) {
    record.push(cur);
    records.push(record);
  }
  const [header = [], ...rows] = records;
  return { header, rows };
}
