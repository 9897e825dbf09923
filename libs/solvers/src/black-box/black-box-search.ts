import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { solveInnerLbfgs } from '@bilevel/problems';
import type { Solver, StreamPart } from '../solver';
import { enumOption, knownKeys, positiveInteger, positiveNumber } from '../validate-options';

/** Options every black-box search takes, with their defaults. */
export interface BlackBoxOptions {
  /**
   * The search box [low, high], the same for every coordinate of x. Default [−5, 5], the public benchmark's Optuna
   * baseline. The problems' outer variables are log-scale (logistic HPO: weight e^x; data cleaning: weight σ(x)), so
   * this box is a log-scale range of the hyperparameters: e^±5 ≈ 150× either way of 1.
   */
  readonly low?: number;
  readonly high?: number;
  /** Target ‖∇_z G‖ ≤ innerTol of each evaluation's inner solve (L-BFGS on the full batch). Default 1e-8. */
  readonly innerTol?: number;
  /** Iteration cap of each inner solve. Default 500. */
  readonly innerMaxIter?: number;
  /** Start of each inner solve: the incumbent's z* (`incumbent`) or zeros (`none`, the benchmark's Optuna). Default `incumbent`. */
  readonly warmStart?: 'incumbent' | 'none';
  /** Accepted for a common interface (grids pass them to every solver); a search has no batches and no steps. */
  readonly batchSize?: number;
  readonly innerStep?: number;
  readonly outerStep?: number;
}

/** The option keys every black-box search takes (random search, TPE), for their unknown-key checks. */
export const BLACK_BOX_KEYS = ['low', 'high', 'innerTol', 'innerMaxIter', 'warmStart', 'batchSize', 'innerStep', 'outerStep'] as const;

/** What has been evaluated so far: the candidates (in order) and their values h(x) (+Infinity when not finite). */
export interface SearchHistory {
  readonly xs: readonly Float64Array[];
  readonly values: readonly number[];
}

/** How a search proposes its next candidate: an explicit init/propose pair over its own state and generator. */
export interface CandidateProposer<S = unknown> {
  /** Whether `propose` reads the history (else the candidates are not kept). */
  readonly needsHistory: boolean;
  init(dimX: number, rng: Rng): S;
  /** out ← the next candidate in [low, high]^d, given the history of evaluations. */
  propose(state: S, history: SearchHistory, low: number, high: number, out: Float64Array): void;
}

/** Published with the incumbent's z*: the incumbent x and its value; a fresh object whenever it changes, never mutated. */
export interface Incumbent {
  readonly x: Float64Array;
  readonly value: number;
}

interface SearchState {
  readonly problem: BilevelProblem;
  readonly rng: Rng;
  readonly proposer: unknown;
  readonly xs: Float64Array[];
  readonly values: number[];
  readonly candidate: Float64Array;
  readonly incumbentZ: Float64Array;
  incumbent: Incumbent | undefined;
  evaluations: number;
  lastValue: number;
  lastInnerIterations: number;
  lastInnerConverged: boolean;
}

function isIncumbent(a: unknown): a is Incumbent {
  return typeof a === 'object' && a !== null && (a as Incumbent).x instanceof Float64Array && typeof (a as Incumbent).value === 'number';
}

/** The validated options in effect. */
function settings(fn: string, options: BlackBoxOptions, extraKeys: readonly string[]) {
  knownKeys(fn, options, [...BLACK_BOX_KEYS, ...extraKeys]);
  const low = options.low ?? -5;
  const high = options.high ?? 5;
  if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    throw new RangeError(`${fn}: low and high must be finite numbers with low < high, received [${String(low)}, ${String(high)}]`);
  }
  if (options.batchSize !== undefined) positiveInteger(fn, 'batchSize', options.batchSize);
  if (options.innerStep !== undefined) positiveNumber(fn, 'innerStep', options.innerStep);
  if (options.outerStep !== undefined) positiveNumber(fn, 'outerStep', options.outerStep);
  return {
    low,
    high,
    tol: positiveNumber(fn, 'innerTol', options.innerTol ?? 1e-8),
    maxIter: positiveInteger(fn, 'innerMaxIter', options.innerMaxIter ?? 500),
    warm: enumOption(fn, 'warmStart', options.warmStart ?? 'incumbent', ['incumbent', 'none'] as const),
  };
}

/**
 * A black-box search over x as a solver: an "outer-only" method whose every outer step evaluates one candidate.
 *   inner:  candidate c_t (t = 0: the start x₀, as the benchmark enqueues it; then the proposer's), one exact
 *           evaluation h(c_t) = F(z*(c_t), c_t) with z*(c_t) from full-batch L-BFGS to ‖∇_z G‖ ≤ innerTol (warm-started at
 *           the incumbent's z*), then the incumbent (lowest h so far); z ← the incumbent's z*, published with it
 *   linsys: idle (v keeps its start, no oracle call)
 *   outer:  x ← the incumbent's x                                          (gauss-seidel: x and z always agree)
 * Evaluation budget accounting: the inner solve and F run on the counted problem the run hands the parts, so every
 * gradient, value and Hessian-vector call of an evaluation (full batches: n samples each) enters the same oracle
 * counts, samples touched and solver time as the gradient methods' calls; one outer step = one evaluation.
 * Diagnostics (inner): evaluations, incumbentValue, lastValue, lastInnerIterations, lastInnerConverged (1/0).
 */
export function blackBoxSolver(
  name: string,
  citation: string,
  fn: string,
  proposer: CandidateProposer,
  options: BlackBoxOptions,
  extraKeys: readonly string[],
  extraOptions: Readonly<Record<string, number | string | boolean>>,
): Solver {
  const { low, high, tol, maxIter, warm } = settings(fn, options, extraKeys);

  const inner: StreamPart<SearchState> = {
    stream: 'inner',
    description: { estimator: 'full-batch', step: { kind: 'other', rule: `black-box ${name}: one exact evaluation of h per step` } },
    init: (problem, rng) => {
      const prng = rng.split();
      return {
        problem,
        rng: prng,
        proposer: proposer.init(problem.dimX, prng),
        xs: [],
        values: [],
        candidate: new Float64Array(problem.dimX),
        incumbentZ: new Float64Array(problem.dimZ),
        incumbent: undefined,
        evaluations: 0,
        lastValue: NaN,
        lastInnerIterations: 0,
        lastInnerConverged: false,
      };
    },
    step(s, { x }, t, out): Incumbent | undefined {
      const { problem, candidate } = s;
      if (t === 0) candidate.set(x);
      else proposer.propose(s.proposer, s, low, high, candidate);
      const start = warm === 'incumbent' && s.incumbent ? { z0: s.incumbentZ } : {};
      const solve = solveInnerLbfgs(problem, candidate, { tol, maxIter, ...start });
      const raw = problem.outerValue(solve.z, candidate, problem.fullOuter);
      const value = Number.isFinite(raw) ? raw : Infinity;
      s.evaluations++;
      s.lastValue = raw;
      s.lastInnerIterations = solve.iterations;
      s.lastInnerConverged = solve.converged;
      if (proposer.needsHistory) {
        s.xs.push(Float64Array.from(candidate));
        s.values.push(value);
      }
      if (!s.incumbent || value < s.incumbent.value) {
        s.incumbent = { x: Float64Array.from(candidate), value };
        s.incumbentZ.set(solve.z);
      }
      out.set(s.incumbentZ);
      return s.incumbent;
    },
    diagnostics: (s) => ({
      evaluations: s.evaluations,
      incumbentValue: s.incumbent?.value ?? NaN,
      lastValue: s.lastValue,
      lastInnerIterations: s.lastInnerIterations,
      lastInnerConverged: s.lastInnerConverged ? 1 : 0,
    }),
  };

  const linsys: StreamPart<null> = {
    stream: 'linsys',
    init: () => null,
    step(_s, { v }, _t, out) {
      out.set(v);
    },
  };

  const outer: StreamPart<null> = {
    stream: 'outer',
    description: { step: { kind: 'other', rule: `the incumbent of the ${name} search` } },
    init: () => null,
    step(_s, { x, aux }, _t, out) {
      const a = aux?.z;
      out.set(isIncumbent(a) && a.x.length === out.length ? a.x : x);
    },
  };

  return {
    name,
    citation,
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { low, high, innerTol: tol, innerMaxIter: maxIter, warmStart: warm, batchSize: 'full', ...extraOptions },
  };
}
