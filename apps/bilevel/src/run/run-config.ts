import type { BilevelProblem } from '@bilevel/problems';
import type { Logger } from '@bilevel/telemetry';
import type { ProblemConfig } from '../build-problem';
import type { RunDashboardRequest } from '../dashboard/run-dashboard';
import type { RunCheckpointHooks } from '../run-files';
import type { MetaCliOptions, MetaProblemName } from '../meta/meta-setup';
import type { ResumeInfo } from './read-resume';

/** The CLI's part options: estimators and step rules per stream, or for all three. */
export interface PartOptions {
  readonly estimator?: string;
  readonly innerEstimator?: string;
  readonly linsysEstimator?: string;
  readonly outerEstimator?: string;
  readonly stepRule?: string;
  readonly innerStepRule?: string;
  readonly linsysStepRule?: string;
  readonly outerStepRule?: string;
}

/** Everything `bilevel run` needs, after parsing. */
export interface RunConfig extends Omit<ProblemConfig, 'problem'>, MetaCliOptions {
  readonly problem: ProblemConfig['problem'] | 'fractional' | MetaProblemName;
  /** The solver; default: the problem's (`problemDefaults`). */
  readonly solver?: string;
  /** Minibatch size; default: the problem's. */
  readonly batch?: number;
  readonly innerStep?: number;
  readonly outerStep?: number;
  readonly schedule?: string;
  /** Threads of a jacobi run (see thread-source.ts); default 1. */
  readonly threads?: number;
  /** Parts chosen per stream by name; any of them turns the run into a single-loop solver built from parts. */
  readonly parts?: PartOptions;
  /** Outer iterations and evaluation period; default: the problem's. */
  readonly maxIter?: number;
  readonly maxSeconds?: number;
  readonly evalEvery?: number;
  /** Evaluate h exactly (`exact`), at the solver's own z (`iterate`), or as the problem's default (`auto`). */
  readonly evaluate?: 'auto' | 'exact' | 'iterate';
  /** Compute h* (`on`), not (`off`), or as the problem's default (`auto`). */
  readonly reference?: 'auto' | 'on' | 'off';
  readonly x0?: readonly number[];
  readonly out?: string;
  readonly json: boolean;
  readonly progress: boolean;
  /** Seconds of solver time between checkpoints (0: none). Default `DEFAULT_CHECKPOINT_SECONDS` (run-folder.ts). */
  readonly checkpointEvery?: number;
  /** Runtime monitors to attach, comma-separated names (`default`, `finiteness`, `theorem`, `accuracy`, `progress`, `budget`). */
  readonly monitors?: string;
  /** End the run at the first monitor violation. */
  readonly strict?: boolean;
}

/** Where the program writes. */
export interface RunIo {
  readonly stdout: NodeJS.WritableStream;
  readonly log: Logger;
  /** Resolves when the user interrupts (SIGINT/SIGTERM); the run then stops and saves what it has. */
  readonly interrupted?: Promise<string>;
  /** Continue this run instead of starting one (`--resume`). */
  readonly resume?: ResumeInfo;
  /** Checkpoints counted in iterations, and a callback after each (tests, embedders); not saved with the run. */
  readonly checkpoints?: RunCheckpointHooks;
  /** `--dashboard`: a live page of the run, opened once its input is validated (see dashboard/run-dashboard.ts). */
  readonly dashboard?: RunDashboardRequest;
  /** Builds the run's problem in place of `buildProblem` (tests: one build of an expensive problem for many runs). */
  readonly buildProblem?: ProblemBuilder;
}

/** What builds the problem of a run from its configuration (`buildProblem`, or a test's stand-in). */
export type ProblemBuilder = (config: ProblemConfig) => BilevelProblem;
