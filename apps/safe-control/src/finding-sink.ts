import type { Finding } from '@bilevel/streams';
import { findingLogLevel } from '@bilevel/streams';
import type { Logger } from '@bilevel/telemetry';

/** Where a training's findings go: kept for report.json and the end table, and logged as they come. */
export interface FindingSink {
  readonly findings: Finding[];
  readonly add: (finding: Finding) => void;
}

/**
 * Collects findings (those of a resumed training's checkpoint first) and logs each one at the level of
 * `bilevel run --monitor` (violation → error, warning → warn, info → info), so that both programs report alike.
 */
export function findingSink(log: Logger, saved: readonly Finding[] = []): FindingSink {
  const findings = [...saved];
  return {
    findings,
    add(f) {
      findings.push(f);
      log[findingLogLevel(f)]({ monitor: f.monitor, iteration: f.iteration, value: f.value, bound: f.bound }, `${f.monitor}: ${f.message}`);
    },
  };
}
