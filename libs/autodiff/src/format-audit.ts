import type { OracleAudit, OracleAuditEntry } from './audit-oracles';

const sci = (e: number) => (Number.isFinite(e) ? e.toExponential(1) : String(e));
const percent = (e: number) => (e >= 0.01 ? ` (${Math.round(100 * e)}%)` : e >= 0.001 ? ` (${(100 * e).toPrecision(2)}%)` : '');

function describeFailure(o: OracleAuditEntry, tolerance: number): string {
  if (o.error !== undefined) return `${o.name} threw at point ${o.worstPoint}: ${o.error}`;
  if (!Number.isFinite(o.maxRelError)) return `${o.name} returned non-finite values at point ${o.worstPoint}`;
  const times = o.maxRelError / tolerance;
  return (
    `${o.name} disagrees with ${o.reference}: max relative error ${sci(o.maxRelError)}${percent(o.maxRelError)}, ` +
    `${times >= 10 ? times.toFixed(0) : times.toFixed(1)}× the tolerance, worst at point ${o.worstPoint}`
  );
}

/**
 * A report of {@link auditOracles} in words: which oracles disagree with finite differences, by how much and where,
 * and the errors of those that agree. For messages, logs and test failures.
 *
 * @example
 *   // Oracle audit of logreg-tfjs (float32; 3 points, seed 1, eps 1e-2, tolerance 1e-2): FAILED.
 *   //   innerHvp disagrees with central differences of innerGradZ in z along v: max relative error 3.9e-1 (39%), 39× …
 *   //   Agree: innerGradZ 2.1e-5, innerCross 1.0e-5, outerGradZ 1.9e-5, outerGradX 0.0e+0.
 */
export function formatAudit(report: OracleAudit): string {
  const head =
    `Oracle audit of ${report.problem} (${report.precision}; ${report.points.length} point${report.points.length === 1 ? '' : 's'}, ` +
    `seed ${report.seed}, eps ${sci(report.eps)}, tolerance ${sci(report.tolerance)})`;
  const agree = report.oracles.filter((o) => o.ok);
  const agreeText = agree.map((o) => `${o.name} ${sci(o.maxRelError)}`).join(', ');
  if (report.ok) {
    const worst = agree.reduce((w, o) => (o.maxRelError > w.maxRelError ? o : w), agree[0]);
    return (
      `${head}: all ${agree.length} oracles agree with central finite differences ` +
      `(largest relative error ${sci(worst.maxRelError)}, ${worst.name}).\n  Errors: ${agreeText}.`
    );
  }
  const failed = report.oracles.filter((o) => !o.ok);
  const lines = [`${head}: FAILED, ${failed.map((o) => o.name).join(', ')} ${failed.length === 1 ? 'is' : 'are'} wrong.`];
  for (const o of failed) lines.push(`  ${describeFailure(o, report.tolerance)}.`);
  // second-order oracles are checked against a gradient oracle: when that one is wrong, say so
  for (const [reference, products] of [
    ['innerGradZ', ['innerHvp', 'innerCross']],
    ['outerGradZ', ['outerHvp', 'outerCross']],
  ] as const) {
    const downstream = failed.filter((o) => (products as readonly string[]).includes(o.name)).map((o) => o.name);
    if (failed.some((o) => o.name === reference) && downstream.length > 0) {
      lines.push(`  ${downstream.join(' and ')} ${downstream.length === 1 ? 'is' : 'are'} checked against ${reference}, which is itself wrong: fix ${reference} first.`);
    }
  }
  if (agree.length > 0) lines.push(`  Agree: ${agreeText}.`);
  return lines.join('\n');
}
