import type { ProblemAggregate } from './aggregate';
import type { GridInput } from './grid-spec';

/** One problem row of a step sweep: the row it is copied from and the (inner, outer) steps to try. */
export interface SweepAxis {
  readonly base: GridInput['problems'][number];
  readonly innerSteps: readonly number[];
  readonly outerSteps: readonly number[];
}

/** Solvers without a step (black-box searches): run once per problem, in the row of the first step pair. */
export const STEP_FREE_SOLVERS: readonly string[] = ['random-search', 'tpe'];

/** The label of a sweep row: `<base>_i<inner>_o<outer>` (the grid's label alphabet). */
export function sweepLabel(base: string, inner: number, outer: number): string {
  return `${base}_i${inner}_o${outer}`;
}

/**
 * A grid that runs every solver at every (inner, outer) step pair of each axis, one row per pair labelled by
 * {@link sweepLabel}; the rows' innerStep/outerStep reach every solver (as the bench rows' do), the per-solver
 * overrides of the base row (loop lengths, snapshot periods) are kept. Solvers without steps run in the first row only.
 */
export function stepSweepGrid(name: string, axes: readonly SweepAxis[], solvers: readonly string[], seeds: readonly number[]): GridInput {
  const problems: GridInput['problems'] = [];
  for (const { base, innerSteps, outerSteps } of axes) {
    const label = base.label ?? base.name;
    let first = true;
    for (const inner of innerSteps) {
      for (const outer of outerSteps) {
        const rowSolvers = first ? [...solvers] : solvers.filter((s) => !STEP_FREE_SOLVERS.includes(s));
        const overrides = Object.fromEntries(Object.entries(base.overrides ?? {}).filter(([s]) => rowSolvers.includes(s)));
        problems.push({ ...base, label: sweepLabel(label, inner, outer), solvers: rowSolvers, innerStep: inner, outerStep: outer, overrides });
        first = false;
      }
    }
  }
  return { name, solvers: [...solvers], seeds: [...seeds], problems };
}

/** The steps chosen for one solver on one problem, and why. */
export interface ChosenSteps {
  readonly innerStep: number;
  readonly outerStep: number;
  /** Median seconds to the row's first tolerance over the seeds (null: chosen by the median best metric). */
  readonly medianSeconds: number | null;
  readonly finalMedian: number | null;
}

/**
 * Picks each solver's steps from a sweep's aggregate (rows labelled by {@link sweepLabel}): among the pairs whose runs
 * reach the row's `tolerance` in a majority of seeds, the one with the smallest median time to it; if none does,
 * the pair with the smallest median (over seeds) best metric. Returns base label → solver → steps.
 */
export function chooseSteps(aggregate: readonly ProblemAggregate[], tolerance: Readonly<Record<string, number>>): Record<string, Record<string, ChosenSteps>> {
  const out: Record<string, Record<string, ChosenSteps>> = {};
  const pattern = /^(.*)_i([^_]+)_o([^_]+)$/;
  const score = (c: ChosenSteps & { reached: boolean }) => (c.reached ? [0, c.medianSeconds ?? Infinity] : [1, c.finalMedian ?? Infinity]);
  const best: Record<string, Record<string, ChosenSteps & { reached: boolean }>> = {};
  for (const p of aggregate) {
    const m = pattern.exec(p.problem);
    if (!m) continue;
    const [, base, inner, outer] = m;
    const tol = tolerance[base];
    for (const cell of p.cells) {
      const crossing = p.tolerances.length && tol !== undefined ? cell.crossings.find((x) => x.tolerance === tol) : undefined;
      const reached = crossing !== undefined && crossing.reached * 2 > crossing.of;
      const candidate = { innerStep: Number(inner), outerStep: Number(outer), medianSeconds: reached ? crossing.medianSeconds : null, finalMedian: cell.finalMedian, reached };
      const current = (best[base] ??= {})[cell.solver];
      if (!current) {
        best[base][cell.solver] = candidate;
        continue;
      }
      const [a0, a1] = score(candidate);
      const [b0, b1] = score(current);
      if (a0 < b0 || (a0 === b0 && a1 < b1)) best[base][cell.solver] = candidate;
    }
  }
  for (const [base, solvers] of Object.entries(best)) {
    out[base] = Object.fromEntries(Object.entries(solvers).map(([s, c]) => [s, { innerStep: c.innerStep, outerStep: c.outerStep, medianSeconds: c.medianSeconds, finalMedian: c.finalMedian }]));
  }
  return out;
}
