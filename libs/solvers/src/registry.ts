import type { Solver } from './solver';
import { soba } from './soba';
import { saba } from './saba';

/** A registered solver: its factory and a one-line description for `--help`. */
export interface SolverEntry {
  readonly name: string;
  readonly description: string;
  readonly create: (options?: Record<string, unknown>) => Solver;
  /** False for standalone solvers that are not bilevel (they have their own entry point). Default true. */
  readonly bilevel?: boolean;
  /** Outer steps between evaluations in benchmarks and the CLI default (loop methods do more work per step). */
  readonly evalEvery?: number;
}

/** Every solver available by name (CLI `--solver NAME`, API `createSolver(NAME, options)`). */
export const SOLVERS: Readonly<Record<string, SolverEntry>> = {
  soba: { name: 'soba', description: 'SOBA: single-loop SGD on z, v, x with decreasing steps (NeurIPS 2022)', create: (o) => soba(o) },
  saba: { name: 'saba', description: 'SABA: SOBA with SAGA memories on all five quantities, constant steps (NeurIPS 2022)', create: (o) => saba(o) },
};

/** The solver registered under `name`, built with `options`; unknown names are a RangeError listing the known ones. */
export function createSolver(name: string, options: Record<string, unknown> = {}): Solver {
  const entry = SOLVERS[name];
  if (!entry) throw new RangeError(`createSolver: unknown solver "${name}"; expected one of ${Object.keys(SOLVERS).join(', ')}`);
  return entry.create(options);
}
