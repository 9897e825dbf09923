import type { Grid, GridProblemConfig, GridProblemName } from './grid-spec';
import { parseGrid, solverOptionsOf } from './grid-spec';

/**
 * One run of a grid, self-contained and JSON-serializable: a worker can execute it from this object alone
 * ({@link executeRun}), and `bilevel sweep` can write it to a file and read it back.
 */
export interface RunSpec {
  /** `<problem label>/<solver>/seed<seed>`, unique in a grid. */
  readonly id: string;
  readonly problem: {
    readonly label: string;
    readonly name: GridProblemName;
    readonly config: GridProblemConfig;
  };
  readonly solver: string;
  /** Everything the solver is built with (`createSolver(solver, solverOptions)`), batch size included. */
  readonly solverOptions: Readonly<Record<string, unknown>>;
  /** Seed of the solver's samplers (the problem's data are fixed by `problem.config.seed`). */
  readonly seed: number;
  readonly maxSeconds?: number;
  readonly maxIter?: number;
  readonly evalEvery: number;
  readonly evalGrowth: number;
  readonly evaluation: 'exact' | 'iterate';
  /** `suboptimality` or a key of the problem's metrics. */
  readonly metric: string;
}

/**
 * The runs of a grid: every problem × its solvers × every seed, validated first ({@link parseGrid}: a bad grid
 * throws a GridSpecError listing every problem with its path). Within a problem the order is seed-major (all
 * solvers of seed 0, then of seed 1, …), so the machine's load drifts over all solvers alike. Holds every run in
 * memory: a sweep counts the runs first ({@link countRuns}) and walks them with {@link gridRuns}.
 *
 * @example
 * const runs = expandGrid(DEFAULT_GRID); // 2 problems × 6 solvers × 5 seeds = 60 runs
 */
export function expandGrid(input: unknown): RunSpec[] {
  return [...gridRuns(parseGrid(input))];
}

/**
 * The number of runs of a validated grid, Σ over problems of |solvers| × |seeds|, without expanding it: a grid of
 * 10⁹ runs is counted in microseconds.
 */
export function countRuns(grid: Grid): number {
  return grid.problems.reduce((n, p) => n + (p.solvers ?? grid.solvers).length * grid.seeds.length, 0);
}

/** The runs of a validated grid one at a time, in the order of {@link expandGrid}: memory does not grow with the grid. */
export function* gridRuns(grid: Grid): Generator<RunSpec> {
  for (const p of grid.problems) {
    const label = p.label ?? p.name;
    const solvers = p.solvers ?? grid.solvers;
    for (const seed of grid.seeds) {
      for (const solver of solvers) {
        const own = p.overrides[solver];
        yield {
          id: `${label}/${solver}/seed${seed}`,
          problem: { label, name: p.name, config: p.config },
          solver,
          solverOptions: solverOptionsOf(p, own?.options),
          seed,
          ...(p.maxSeconds !== undefined ? { maxSeconds: p.maxSeconds } : {}),
          ...(p.maxIter !== undefined ? { maxIter: p.maxIter } : {}),
          evalEvery: own?.evalEvery ?? p.evalEvery,
          evalGrowth: p.evalGrowth,
          evaluation: p.evaluation,
          metric: p.metric,
        };
      }
    }
  }
}
