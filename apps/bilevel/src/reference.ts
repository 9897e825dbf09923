import type { BilevelProblem, ReferenceSolution } from '@bilevel/problems';
import { gridSearchShared, MulticlassHpo, referenceSolution, SHARED_WEIGHT_GRID } from '@bilevel/problems';

/**
 * Largest n × dim z (inner samples times inner variables) of a multiclass-hpo problem whose h* `--reference auto`
 * computes: each exact hypergradient is an inner solve of about n·dim z·K work, and h* takes a grid of 41 of them plus
 * two L-BFGS solves of tens to hundreds. Wine (89 × 42) takes a second; digits (901 × 650 = 5.9e5) took 27 minutes
 * of a 29-minute run (5 s per hypergradient on the shared 2-core machine), so there it is opt-in (`--reference on`).
 */
export const AUTO_REFERENCE_MAX_SIZE = 100_000;

/** Whether `--reference auto` computes h* for this problem, and why not when it does not. */
export function referenceByDefault(problem: BilevelProblem): { readonly on: boolean; readonly why?: string } {
  if (!(problem instanceof MulticlassHpo)) return { on: true };
  const size = problem.nInner * problem.dimZ;
  if (size <= AUTO_REFERENCE_MAX_SIZE) return { on: true };
  return {
    on: false,
    why: `h* on this data (n × dim z = ${problem.nInner} × ${problem.dimZ} = ${size.toExponential(1)} > ${AUTO_REFERENCE_MAX_SIZE.toExponential(0)}) takes minutes of exact inner solves`,
  };
}

/** Progress of {@link computeReference}: its phase, the evaluations done in it and of how many when known, h there. */
export interface ReferenceProgress {
  readonly phase: 'lbfgs from 0' | 'shared-weight grid' | 'lbfgs from the grid';
  readonly done: number;
  readonly of?: number;
  readonly value: number;
}

/**
 * The reference h*: the closed form, or full-batch L-BFGS on exact hypergradients from x = 0. h of multiclass-hpo
 * is not convex in the per-class weights (L-BFGS from 0 stops at a poorer stationary point on wine), so there the
 * reference is the better of L-BFGS from 0 and from the best shared weight of a grid ({@link SHARED_WEIGHT_GRID}).
 * `onProgress` hears of every exact hypergradient evaluated.
 */
export function computeReference(problem: BilevelProblem, onProgress?: (p: ReferenceProgress) => void): Omit<ReferenceSolution, 'method'> & { method: string } {
  const report = (phase: ReferenceProgress['phase']) => (done: number, value: number, of?: number) => onProgress?.({ phase, done, value, ...(of !== undefined ? { of } : {}) });
  const fromZero = referenceSolution(problem, { onEvaluation: report('lbfgs from 0') });
  if (!(problem instanceof MulticlassHpo)) return fromZero;
  const onGrid = report('shared-weight grid');
  const grid = gridSearchShared(problem, SHARED_WEIGHT_GRID, { onPoint: (i, of, value) => onGrid(i + 1, value, of) });
  const fromGrid = referenceSolution(problem, { x0: grid.x, onEvaluation: report('lbfgs from the grid') });
  return fromGrid.value < fromZero.value ? { ...fromGrid, method: `lbfgs from the grid-best shared weight ${grid.t}` } : { ...fromZero, method: 'lbfgs from 0 (better than from the grid-best shared weight)' };
}

/** Evaluations between two progress lines of the reference computation in the log. */
export const REFERENCE_PROGRESS_EVERY = 10;
