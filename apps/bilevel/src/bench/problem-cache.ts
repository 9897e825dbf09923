import type { BilevelProblem } from '@bilevel/problems';
import { referenceSolution } from '@bilevel/problems';
import { buildProblem } from '../build-problem';
import type { RunSpec } from './expand-grid';
import { SUBOPTIMALITY } from './grid-spec';

/** A built problem of a grid row and, when its metric needs it, the reference minimum h*. */
export interface PreparedProblem {
  readonly problem: BilevelProblem;
  /** h* = min h: closed form or full-batch L-BFGS on exact hypergradients ({@link referenceSolution}). */
  readonly reference?: { readonly value: number; readonly method: string; readonly gradNorm: number; readonly seconds: number };
  /** Seconds spent loading the data and building the problem. */
  readonly buildSeconds: number;
}

/**
 * Problems built once per grid row and shared by its runs (a row's data and h* do not depend on the run's seed).
 * Explicit rather than a module-level cache: a worker process owns its own, and a test gets a fresh one.
 */
export class ProblemCache {
  private readonly entries = new Map<string, PreparedProblem>();

  /** The cache key of a run's problem: its name and options (not its label, which only names it). */
  static keyOf(problem: RunSpec['problem']): string {
    return JSON.stringify([problem.name, problem.config]);
  }

  /**
   * The prepared problem of a run: built with `buildProblem` (the code path of `bilevel run`, so the same data
   * errors as InputErrors), h* computed when the metric is the suboptimality. Built on first use, then shared.
   */
  get(spec: Pick<RunSpec, 'problem' | 'metric'>): PreparedProblem {
    const key = ProblemCache.keyOf(spec.problem) + (spec.metric === SUBOPTIMALITY ? '+ref' : '');
    let entry = this.entries.get(key);
    if (!entry) {
      entry = prepareProblem(spec);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Number of prepared problems. */
  get size(): number {
    return this.entries.size;
  }
}

function prepareProblem(spec: Pick<RunSpec, 'problem' | 'metric'>): PreparedProblem {
  const t0 = performance.now();
  const problem = buildProblem({ problem: spec.problem.name, ...spec.problem.config, oracles: undefined });
  const buildSeconds = (performance.now() - t0) / 1000;
  if (spec.metric !== SUBOPTIMALITY) return { problem, buildSeconds };
  const t1 = performance.now();
  const r = referenceSolution(problem);
  if (!Number.isFinite(r.value) || r.value === 0) {
    throw new RangeError(`ProblemCache: the reference h* of ${spec.problem.label} is ${r.value}; expected a finite non-zero value to divide by`);
  }
  return { problem, buildSeconds, reference: { value: r.value, method: r.method, gradNorm: r.gradNorm, seconds: (performance.now() - t1) / 1000 } };
}
