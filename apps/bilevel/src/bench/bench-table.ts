import type { CellAggregate, ProblemAggregate } from './aggregate';
import { metricTitle } from './bench-plot-spec';

/** A number for a table cell: 3 significant digits, exponent form outside [1e-3, 1e5). */
export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Status of a cell when some runs did not finish: `3 diverged`, `1 error`. */
function failures(c: CellAggregate): string {
  const parts = [...(c.diverged ? [`${c.diverged} diverged`] : []), ...(c.errors ? [`${c.errors} error${c.errors === 1 ? '' : 's'}`] : [])];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The Markdown table of a grid: one section per problem, one row per solver; columns: median solver time and
 * median oracle calls to reach each tolerance (over the seeds that reached it, with `k/n`), the median best
 * metric at the end of the budget, and the median solver µs per outer iteration.
 *
 * @example
 * | solver | time to 1e-2 | … | calls to 1e-2 | … | best (median) | µs/iter |
 * | saba   | 0.031 s (5/5) | … | 4.1e3 (5/5) | … | 2.1e-9 | 26.3 |
 */
export function formatBenchTable(problems: readonly ProblemAggregate[], budgets: Readonly<Record<string, string>> = {}): string {
  const out: string[] = [];
  for (const p of problems) {
    const tols = p.tolerances.map(formatNumber);
    const head = [
      'solver',
      ...tols.map((t) => `time to ≤ ${t}`),
      ...tols.map((t) => `calls to ≤ ${t}`),
      `best ${metricTitle(p.metric)} (median)`,
      'µs / iter',
    ];
    const facts = [
      `metric: ${metricTitle(p.metric)}`,
      ...(p.hStar !== undefined ? [`h* = ${Number(p.hStar.toPrecision(10))}`] : []),
      `${p.seeds} seeds`,
      ...(budgets[p.problem] ? [budgets[p.problem]] : []),
    ];
    out.push(`### ${p.problem}`, '', facts.join(' · '), '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`);
    for (const c of p.cells) {
      const time = c.crossings.map((x) => `${x.medianSeconds === null ? '—' : `${formatNumber(x.medianSeconds)} s`} (${x.reached}/${x.of})`);
      const calls = c.crossings.map((x) => `${formatNumber(x.medianCalls)} (${x.reached}/${x.of})`);
      out.push(`| ${[c.solver + failures(c), ...time, ...calls, formatNumber(c.finalMedian), formatNumber(c.microsPerIteration)].join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
