import { canonicalJson } from '../sweep/canonical-json';
import type { RunSpec } from './expand-grid';
import { gridRuns } from './expand-grid';
import { GridSpecError, parseGrid } from './grid-spec';

/** A run spec that no grid expands to: every problem, each with its path in the spec (`problem.config.train: …`). */
export class RunSpecError extends Error {
  override readonly name = 'RunSpecError';
  constructor(readonly issues: readonly string[]) {
    super(`the run spec is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${issues.join('; ')}`);
  }
}

/** The fields of a {@link RunSpec} and of its problem. */
const SPEC_KEYS = new Set(['id', 'problem', 'solver', 'solverOptions', 'seed', 'maxSeconds', 'maxIter', 'evalEvery', 'evalGrowth', 'evaluation', 'metric']);
const PROBLEM_KEYS = new Set(['label', 'name', 'config']);

/** Grid paths of the one-row grid built from a spec, as paths of the spec. */
const PATHS: readonly [RegExp, string][] = [
  [/^problems\.0\.overrides\.[^.]+\.options/, 'solverOptions'],
  [/^problems\.0\.overrides\.[^.]+\.evalEvery/, 'evalEvery'],
  [/^problems\.0\.batch/, 'solverOptions.batchSize'],
  [/^problems\.0\.(label|name|config)/, 'problem.$1'],
  [/^problems\.0\.solvers(\.0)?/, 'solver'],
  [/^solvers(\.0)?/, 'solver'],
  [/^seeds(\.0)?/, 'seed'],
  [/^problems\.0\./, ''],
];

/**
 * Validates one run received from elsewhere (a job of the Redis queue) with the grid's own schema: the spec must be
 * exactly what {@link gridRuns} makes of some grid, so a worker runs nothing a grid file could not ask for (the
 * grid's problems, solvers, budgets of at most MAX_RUN_ITER iterations and MAX_RUN_SECONDS seconds, solver options
 * that `createSolver` accepts, no unknown field). Builds the one-row grid of the spec, validates it with
 * {@link parseGrid} and compares its only run with the spec (canonical JSON, so key order does not matter).
 * Returns that run; throws a {@link RunSpecError} listing every problem with its path in the spec.
 *
 * @example
 * parseRunSpec(JSON.parse(JSON.stringify(expandGrid(DEFAULT_GRID)[0]))); // the same spec
 */
export function parseRunSpec(value: unknown): RunSpec {
  if (!isPlainObject(value)) throw new RunSpecError([`(spec): expected an object, received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`]);
  const issues: string[] = [];
  for (const key of Object.keys(value)) if (!SPEC_KEYS.has(key)) issues.push(`${key}: unknown field`);
  const problem = isPlainObject(value.problem) ? value.problem : {};
  if (!isPlainObject(value.problem)) issues.push('problem: expected an object with label, name and config');
  for (const key of Object.keys(problem)) if (!PROBLEM_KEYS.has(key)) issues.push(`problem.${key}: unknown field`);
  if (typeof value.id !== 'string') issues.push('id: expected a string');
  if (!isPlainObject(value.solverOptions)) issues.push('solverOptions: expected an object');
  const { batchSize, ...own } = isPlainObject(value.solverOptions) ? value.solverOptions : {};
  const solver = value.solver;
  const row = {
    label: problem.label,
    name: problem.name,
    config: problem.config,
    batch: batchSize,
    maxSeconds: value.maxSeconds,
    maxIter: value.maxIter,
    evalEvery: value.evalEvery,
    evalGrowth: value.evalGrowth,
    evaluation: value.evaluation,
    metric: value.metric,
    tolerances: [1],
    // a computed key defines an own property, even "__proto__"
    overrides: typeof solver === 'string' && Object.keys(own).length > 0 ? { [solver]: { options: own } } : {},
  };
  let spec: RunSpec | undefined;
  try {
    [spec] = gridRuns(parseGrid({ name: 'job', solvers: [solver], seeds: [value.seed], problems: [row] }));
  } catch (err) {
    if (!(err instanceof GridSpecError)) throw err;
    issues.push(...err.issues.map(specPath));
  }
  if (issues.length > 0 || !spec) throw new RunSpecError(issues.length ? [...new Set(issues)] : ['(spec): no run']);
  if (canonicalJson(spec) !== canonicalJson(value)) {
    throw new RunSpecError([`id: ${JSON.stringify(value.id)} with these fields is not a run a grid expands to (expected id ${JSON.stringify(spec.id)}, the label defaulting to the problem's name, every default filled in)`]);
  }
  return spec;
}

/** A grid issue (`problems.0.batch: …`) with the path of the spec (`solverOptions.batchSize: …`). */
function specPath(issue: string): string {
  for (const [pattern, replacement] of PATHS) {
    if (pattern.test(issue)) return issue.replace(pattern, replacement).replace(/^:/, '(spec):');
  }
  return issue;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
