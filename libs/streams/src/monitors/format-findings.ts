import type { Finding, FindingLevel } from './finding';

/** Findings per level. */
export function countFindings(findings: readonly Finding[]): Record<FindingLevel, number> {
  const counts = { info: 0, counterexample: 0, warning: 0, violation: 0 };
  for (const f of findings) counts[f.level]++;
  return counts;
}

/** Largest number of findings a summary keeps (the counts cover all of them). */
export const SUMMARY_FINDINGS = 200;

/**
 * The `monitors` block of a run's summary (`bilevel run`'s summary.json, `safe-control train`'s report.json): the
 * monitors attached, whether the run was strict, the counts per level and the first findings, one format for both.
 */
export function findingsSummary(names: readonly string[], strict: boolean, findings: readonly Finding[]) {
  return { names: [...names], strict, counts: countFindings(findings), findings: findings.slice(0, SUMMARY_FINDINGS).map((f) => ({ ...f })) };
}

/** The end-of-run table: one line per monitor and level, with the count and the latest message. */
export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'monitors: no findings';
  const groups = new Map<string, { monitor: string; level: string; count: number; last: Finding }>();
  for (const f of findings) {
    const key = `${f.monitor}\u0000${f.level}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.last = f;
    } else groups.set(key, { monitor: f.monitor, level: f.level, count: 1, last: f });
  }
  const rows = [...groups.values()].map((g) => [g.monitor, g.level, String(g.count), `it ${g.last.iteration}: ${g.last.message}`.slice(0, 110)]);
  const head = ['monitor', 'level', 'count', 'latest'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The pino level a finding is logged at: violation → error, warning → warn, info and counterexample → info. */
export function findingLogLevel(f: Finding): 'error' | 'warn' | 'info' {
  return f.level === 'violation' ? 'error' : f.level === 'warning' ? 'warn' : 'info';
}
