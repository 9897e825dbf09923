import type { CaseResult } from './run-case';

/** Counts of a fuzz run: cases per kind and per outcome, the slowest case, the distinct error shapes, the failures. */
export interface Tally {
  /** Cases per kind. */
  readonly byKind: Map<string, number>;
  /** Cases per outcome (`bad-input`, `ran`, `help`, `crash` …). */
  readonly byOutcome: Map<string, number>;
  /** CPU time of the costliest case, ms. */
  slowestCpuMs: number;
  /** Its command line. */
  slowestArgv: readonly string[];
  /** The error lines with their quoted parts and numbers blanked: how many distinct messages the cases met. */
  readonly errorShapes: Set<string>;
  /** The cases with a problem no known issue explains. */
  readonly failures: CaseResult[];
  /** Cases explained by each known issue, by its name. */
  readonly known: Map<string, number>;
}

/** A tally of no case. */
export const emptyTally = (): Tally => ({ byKind: new Map(), byOutcome: new Map(), slowestCpuMs: 0, slowestArgv: [], errorShapes: new Set(), failures: [], known: new Map() });

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** A problem of a case that is a known defect of code outside the fuzz run, with the name the summary counts it by. */
export interface KnownIssue {
  /** What the defect is, for the summary. */
  readonly name: string;
  /** Whether a case's problems are this defect. */
  readonly matches: (result: CaseResult) => boolean;
}

/** Adds a case to the tally: a failure unless every problem is explained by a known issue. */
export function record(tally: Tally, kind: string, result: CaseResult, known: readonly KnownIssue[]): void {
  bump(tally.byKind, kind);
  bump(tally.byOutcome, result.outcome);
  if (result.cpuMs > tally.slowestCpuMs) {
    tally.slowestCpuMs = result.cpuMs;
    tally.slowestArgv = result.argv;
  }
  if (result.errorLine) tally.errorShapes.add(result.errorLine.replace(/'[^']*'|"[^"]*"/g, "'…'").replace(/[0-9][0-9.e+-]*/g, '#').slice(0, 80));
  if (result.problems.length === 0) return;
  const issue = known.find((k) => k.matches(result));
  if (issue) bump(tally.known, issue.name);
  else tally.failures.push(result);
}

/** One summary line: `cli fuzz: bilevel 100 cases (62 bad-input, 30 ran, …); by kind: …; … slowest 410 ms of CPU (…)`. */
export function formatTally(program: string, tally: Tally): string {
  const total = [...tally.byKind.values()].reduce((a, b) => a + b, 0);
  const list = (m: Map<string, number>) => [...m.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
  return (
    `cli fuzz: ${program} ${total} cases (${list(tally.byOutcome)}); by kind: ${list(tally.byKind)}; ` +
    `${tally.errorShapes.size} distinct error messages; known issues hit: ${tally.known.size ? list(tally.known) : 'none'}; ` +
    `failures: ${tally.failures.length}; slowest ${tally.slowestCpuMs.toFixed(0)} ms of CPU (${JSON.stringify(tally.slowestArgv).slice(0, 160)})`
  );
}
