import { z } from 'zod';
import { createSolver, SOLVERS } from '@bilevel/solvers';

/**
 * Problems the benchmark grid runs. Each has a reference (h* by {@link referenceSolution}: closed form or
 * full-batch L-BFGS) or a held-out metric: logreg-hpo and quadratic are measured by relative suboptimality,
 * datacleaning by test error at the solver's own z (one exact solve at n = 20,000 takes a minute).
 */
export const GRID_PROBLEMS = ['logreg-hpo', 'quadratic', 'datacleaning'] as const;
export type GridProblemName = (typeof GRID_PROBLEMS)[number];

/** The metric the grid measures a run by: `suboptimality` = (h − h*)/|h*|, else a key of `problem.metrics`. */
export const SUBOPTIMALITY = 'suboptimality';

const positive = z.number().positive();
const positiveInt = z.number().int().positive();

/**
 * Largest outer-iteration budget of a run (`maxIter`): 10⁹ steps are hours of the fastest solver, so a larger value
 * is a mistake (or a job crafted to hold a worker forever, since a worker renews its lock while it computes).
 */
export const MAX_RUN_ITER = 1_000_000_000;
/** Largest solver-time budget of a run (`maxSeconds`): one day. */
export const MAX_RUN_SECONDS = 86_400;
/** Largest minibatch of a grid row (the samplers allocate batch-sized buffers). */
export const MAX_BATCH = 1_048_576;

/** Options of the problem itself, as `bilevel run` takes them (see {@link ProblemConfig}); `seed` fixes the data. */
const ProblemConfigSchema = z.strictObject({
  train: z.string().min(1).optional(),
  val: z.string().min(1).optional(),
  reg: z.enum(['scalar', 'feature']).optional(),
  standardize: z.enum(['train', 'none']).default('train'),
  oracles: z.enum(['analytic', 'autodiff']).optional(),
  data: z.string().min(1).optional(),
  trainSize: positiveInt.optional(),
  valSize: positiveInt.optional(),
  corruption: z.number().min(0).max(1).optional(),
  ridge: positive.optional(),
  /** Seed of the data split / corruption / random instance: one problem per grid row, the same for every run. */
  seed: z.number().int().nonnegative().default(0),
});

/** Per-solver settings on one problem: extra solver options (steps, loop lengths) and the snapshot period. */
const SolverOverrideSchema = z.strictObject({
  options: z.record(z.string(), z.unknown()).optional(),
  evalEvery: positiveInt.optional(),
});

const ProblemSpecSchema = z
  .strictObject({
    /** Name of the row in tables and plots (default: `name`); unique in a grid. */
    label: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lowercase letters, digits, ".", "_" or "-"').optional(),
    name: z.enum(GRID_PROBLEMS),
    config: ProblemConfigSchema.default({ standardize: 'train', seed: 0 }),
    /** Solvers run on this problem (default: the grid's). */
    solvers: z.array(z.string()).min(1).optional(),
    /** Minibatch size of every oracle, at most {@link MAX_BATCH}. */
    batch: positiveInt.max(MAX_BATCH),
    /** Steps given to every solver on this problem (ρ, γ), unless a solver override says otherwise. */
    innerStep: positive.optional(),
    outerStep: positive.optional(),
    /**
     * Budget: solver seconds (evaluation excluded, at most {@link MAX_RUN_SECONDS}) and/or outer iterations (at most
     * {@link MAX_RUN_ITER}); at least one.
     */
    maxSeconds: positive.max(MAX_RUN_SECONDS).optional(),
    maxIter: positiveInt.max(MAX_RUN_ITER).optional(),
    /** Snapshot every K outer steps (single-loop solvers; loop methods are set per solver in `overrides`). */
    evalEvery: positiveInt,
    /**
     * Snapshots are evaluated on a geometric schedule: the next evaluation is at the first snapshot whose iteration
     * is ≥ growth × the last evaluated one (and always the first and the last), so a log axis gets evenly spaced
     * points and a fast solver does not spend the budget of the machine on evaluations. 1 evaluates every snapshot.
     */
    evalGrowth: z.number().min(1).max(10).default(1.1),
    /** How h is evaluated: exact (inner solve) or at the solver's own z (no solve). */
    evaluation: z.enum(['exact', 'iterate']),
    /** `suboptimality` (needs h*) or a key of the problem's metrics, e.g. `testError`. Lower is better. */
    metric: z.string().min(1),
    /** Tolerances of the table: time and calls until the metric is ≤ each. */
    tolerances: z.array(positive).min(1),
    overrides: z.record(z.string(), SolverOverrideSchema).default({}),
  })
  .superRefine((p, ctx) => {
    if (p.maxSeconds === undefined && p.maxIter === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a budget is needed: maxSeconds and/or maxIter', path: ['maxSeconds'] });
    }
    if (p.metric === SUBOPTIMALITY && p.name === 'datacleaning') {
      ctx.addIssue({ code: 'custom', message: 'datacleaning has no reference h* in the grid; expected a metric such as "testError"', path: ['metric'] });
    }
    if (p.config.oracles === 'autodiff' && p.name !== 'logreg-hpo') {
      ctx.addIssue({ code: 'custom', message: 'autodiff oracles apply to logreg-hpo only', path: ['config', 'oracles'] });
    }
  });

const GridSchema = z
  .strictObject({
    /** Name of the grid (`default`, `full`, …), written into the results. */
    name: z.string().min(1),
    problems: z.array(ProblemSpecSchema).min(1),
    solvers: z.array(z.string()).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1),
    /** Points of the common log-spaced grids of solver time and oracle calls in the aggregate. */
    gridPoints: z.number().int().min(2).max(1000).default(60),
  })
  .superRefine((g, ctx) => {
    if (new Set(g.seeds).size !== g.seeds.length) ctx.addIssue({ code: 'custom', message: 'seeds must be distinct', path: ['seeds'] });
    // a solver listed twice would give two runs with the same id (and the same run key)
    if (new Set(g.solvers).size !== g.solvers.length) ctx.addIssue({ code: 'custom', message: 'solvers must be distinct', path: ['solvers'] });
    const known = Object.keys(SOLVERS);
    const checkSolver = (name: string, path: (string | number)[]) => {
      if (!SOLVERS[name]) ctx.addIssue({ code: 'custom', message: `unknown solver "${name}"; expected one of ${known.join(', ')}`, path });
    };
    g.solvers.forEach((s, i) => checkSolver(s, ['solvers', i]));
    const labels = new Set<string>();
    g.problems.forEach((p, i) => {
      const label = p.label ?? p.name;
      if (labels.has(label)) ctx.addIssue({ code: 'custom', message: `duplicate problem label "${label}"; give each row its own label`, path: ['problems', i, 'label'] });
      labels.add(label);
      p.solvers?.forEach((s, j) => checkSolver(s, ['problems', i, 'solvers', j]));
      if (p.solvers && new Set(p.solvers).size !== p.solvers.length) ctx.addIssue({ code: 'custom', message: 'solvers must be distinct', path: ['problems', i, 'solvers'] });
      const used = p.solvers ?? g.solvers;
      for (const [name, o] of Object.entries(p.overrides)) {
        if (!used.includes(name)) {
          ctx.addIssue({ code: 'custom', message: `override for "${name}", which does not run on this problem (${used.join(', ')})`, path: ['problems', i, 'overrides', name] });
          continue;
        }
        if (!SOLVERS[name]) continue;
        // the solvers validate their options when built (cheap: no problem is involved)
        try {
          createSolver(name, solverOptionsOf(p, o.options));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['problems', i, 'overrides', name, 'options'] });
        }
      }
    });
  });

/** A benchmark grid as written (defaults may be left out). */
export type GridInput = z.input<typeof GridSchema>;
/** A validated grid, defaults filled in. */
export type Grid = z.output<typeof GridSchema>;
/** One validated problem row of a grid. */
export type GridProblem = Grid['problems'][number];
/** The problem's own options of a grid row. */
export type GridProblemConfig = GridProblem['config'];

/** The options a solver is built with on a problem row: batch, the row's steps, then the solver's own overrides. */
export function solverOptionsOf(
  p: Pick<GridProblem, 'batch' | 'innerStep' | 'outerStep'>,
  own: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return {
    batchSize: p.batch,
    ...(p.innerStep !== undefined ? { innerStep: p.innerStep } : {}),
    ...(p.outerStep !== undefined ? { outerStep: p.outerStep } : {}),
    ...own,
  };
}

/** A grid that failed validation: every problem, each with its path (`problems.1.batch: …`). */
export class GridSpecError extends Error {
  override readonly name = 'GridSpecError';
  constructor(readonly issues: readonly string[]) {
    super(`parseGrid: the grid is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${issues.join('\n  ')}`);
  }
}

/**
 * Validates a grid (from code or a JSON file) and fills in the defaults. Every problem is reported at once, each
 * with its path, in a {@link GridSpecError}.
 */
export function parseGrid(input: unknown): Grid {
  const parsed = GridSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new GridSpecError(parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(grid)'}: ${i.message}`));
}

/** The keys a grid file may hold, per level (for the documentation's check: docs/sweeps.md lists every one). */
export const GRID_FILE_KEYS = {
  grid: Object.keys(GridSchema.shape),
  problem: Object.keys(ProblemSpecSchema.shape),
  config: Object.keys(ProblemConfigSchema.shape),
  override: Object.keys(SolverOverrideSchema.shape),
} as const;
