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
  /**
   * Documented accuracy on the contract quadratic ({@link CONTRACT_QUADRATIC}, batch 8, the solver's default steps
   * unless `options` says otherwise): ‖∇h(x_T)‖ ≤ accuracy·‖∇h(x₀)‖ after T = `budget` outer steps from x₀ = 0.
   */
  readonly quadratic?: { readonly budget: number; readonly accuracy: number; readonly options?: Record<string, unknown> };
}

/** The quadratic bilevel problem of the solver contract suite (quadraticProblem options). */
export const CONTRACT_QUADRATIC = { dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 } as const;

/** Every solver available by name (CLI `--solver NAME`, API `createSolver(NAME, options)`). */
export const SOLVERS: Readonly<Record<string, SolverEntry>> = {
  soba: {
    name: 'soba',
    description: 'SOBA: single-loop SGD on z, v, x with decreasing steps (NeurIPS 2022)',
    create: (o) => soba(o),
    // measured 0.25 at 5000 steps (seed 0): no variance reduction, slow decrease
    quadratic: { budget: 5000, accuracy: 0.4 },
  },
  saba: {
    name: 'saba',
    description: 'SABA: SOBA with SAGA memories on all five quantities, constant steps (NeurIPS 2022)',
    create: (o) => saba(o),
    // measured 1e-14 at 5000 steps (seed 0): linear convergence
    quadratic: { budget: 5000, accuracy: 1e-8 },
  },
};

/** The solver registered under `name`, built with `options`; unknown names are a RangeError listing the known ones. */
export function createSolver(name: string, options: Record<string, unknown> = {}): Solver {
  const entry = SOLVERS[name];
  if (!entry) throw new RangeError(`createSolver: unknown solver "${name}"; expected one of ${Object.keys(SOLVERS).join(', ')}`);
  return entry.create(options);
}
