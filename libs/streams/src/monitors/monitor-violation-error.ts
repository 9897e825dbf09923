import type { Finding } from './finding';

function describe(f: Finding): string {
  const measured = f.value === undefined ? '' : f.bound === undefined ? ` (value ${f.value})` : ` (value ${f.value}, bound ${f.bound})`;
  return `monitor "${f.monitor}" found a violation at iteration ${f.iteration}: ${f.message}${measured}`;
}

/** A run in strict mode met a `violation` finding: the run stops and this error carries the finding. */
export class MonitorViolationError extends Error {
  override readonly name = 'MonitorViolationError';
  constructor(readonly finding: Finding) {
    super(describe(finding));
  }
}
