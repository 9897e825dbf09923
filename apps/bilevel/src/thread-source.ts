import { InputError } from '@bilevel/io';
import { createSolver } from '@bilevel/solvers';
import type { Rebuilt, ThreadSource } from '@bilevel/streams';
import type { ProblemConfig } from './build-problem';
import { buildProblem } from './build-problem';

/** The problems and solvers `--threads` supports: their oracles and parts are rebuilt in a worker from the options. */
const PROBLEMS = ['datacleaning', 'logreg-hpo'];
const SOLVERS = ['saba', 'soba'];

/** What a worker thread receives to rebuild the run's problem and solver (plain data). */
export interface ThreadRebuildArgs {
  readonly problem: ProblemConfig;
  readonly solver: string;
  readonly solverOptions: Readonly<Record<string, unknown>>;
}

/** Rebuilds the problem and solver of `bilevel run` in a worker thread, as the command built them. */
export function rebuildForThreads(args: ThreadRebuildArgs): Rebuilt {
  return { problem: buildProblem(args.problem), solver: createSolver(args.solver, args.solverOptions) };
}

/** What the command knows when it checks `--threads`. */
export interface ThreadsRequest {
  readonly threads: number;
  readonly config: ProblemConfig & { readonly oracles?: string };
  readonly solver: string;
  readonly solverOptions: Readonly<Record<string, unknown>>;
  readonly customParts: boolean;
  readonly resume: boolean;
  readonly dashboard: boolean;
}

/**
 * The `rebuild` source of a `--threads` run, or undefined for one thread; refuses (InputError on `--threads`) what
 * worker threads cannot rebuild or carry: other problems, solvers, oracles or assembled parts, `--resume`, the dashboard.
 */
export function threadsSource(req: ThreadsRequest): ThreadSource | undefined {
  const { threads, config } = req;
  if (!Number.isInteger(threads) || threads < 1 || threads > 3) throw new InputError('expected 1, 2 or 3 (one thread per stream at most)', `--threads ${threads}`);
  if (threads === 1) return undefined;
  const where = `--threads ${threads}`;
  if (!PROBLEMS.includes(config.problem)) throw new InputError(`applies to --problem ${PROBLEMS.join(' | ')} only (their oracles are rebuilt in each thread)`, `${where} with --problem ${config.problem}`);
  if (config.oracles !== undefined && config.oracles !== 'analytic') throw new InputError('applies to the analytic oracles only', `${where} with --oracles ${config.oracles}`);
  if (!SOLVERS.includes(req.solver) || req.customParts) throw new InputError(`applies to --solver ${SOLVERS.join(' | ')} without part options only`, `${where} with --solver ${req.solver}`);
  if (req.resume) throw new InputError('a threaded run writes no checkpoint, so it cannot be resumed either', `${where} with --resume`);
  if (req.dashboard) throw new InputError('the dashboard pauses the run between steps, which threads do not support yet', `${where} with --dashboard`);
  const fromSource = import.meta.url.endsWith('.ts');
  const args: ThreadRebuildArgs = { problem: JSON.parse(JSON.stringify(config)) as ProblemConfig, solver: req.solver, solverOptions: JSON.parse(JSON.stringify(req.solverOptions)) as Record<string, unknown> };
  return { module: new URL(`./thread-source${fromSource ? '.ts' : '.js'}`, import.meta.url).href, name: 'rebuildForThreads', args };
}
