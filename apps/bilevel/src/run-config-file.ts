import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '@bilevel/problems';
import { ESTIMATORS, SOLVERS, STANDALONE, STEP_RULES } from '@bilevel/solvers';
import { PROBLEMS } from './build-problem';

/** Largest configuration file read, in bytes (a configuration is a few hundred bytes). */
const MAX_CONFIG_BYTES = 1 << 20;

const names = (r: Record<string, unknown>) => Object.keys(r) as [string, ...string[]];
const count = z.number().int().min(1);
const positive = z.number().positive().finite();

/**
 * The keys of a `bilevel run --config FILE.json`: the command-line options in camelCase (`maxIter`, `innerStep`…;
 * kebab-case `max-iter` is accepted too), with the same types and ranges. Unknown keys are errors.
 */
export const RUN_CONFIG_SCHEMA = z.strictObject({
  problem: z.enum([...PROBLEMS, 'fractional']),
  train: z.string().min(1),
  val: z.string().min(1),
  test: z.string().min(1),
  data: z.string().min(1),
  heldOut: z.string().min(1),
  format: z.enum(['auto', 'uci-csv', 'libsvm']),
  oracles: z.enum(['analytic', 'autodiff', 'tape']),
  reg: z.enum(['scalar', 'feature', 'class']),
  standardize: z.enum(['train', 'none']),
  trainSize: count,
  valSize: count,
  corruption: z.number().min(0).max(1),
  ridge: positive,
  regularizer: z.enum(['tv', 'foe']),
  noise: positive,
  patchSize: count,
  reference: z.enum(['auto', 'on', 'off']),
  evaluate: z.enum(['auto', 'exact', 'iterate']),
  solver: z.enum([...names(SOLVERS), ...Object.keys(STANDALONE)]),
  batch: count,
  innerStep: positive,
  outerStep: positive,
  estimator: z.enum(names(ESTIMATORS)),
  innerEstimator: z.enum(names(ESTIMATORS)),
  linsysEstimator: z.enum(names(ESTIMATORS)),
  outerEstimator: z.enum(names(ESTIMATORS)),
  stepRule: z.enum(names(STEP_RULES)),
  innerStepRule: z.enum(names(STEP_RULES)),
  linsysStepRule: z.enum(names(STEP_RULES)),
  outerStepRule: z.enum(names(STEP_RULES)),
  schedule: z.string().min(1),
  maxIter: z.number().int().min(0),
  maxSeconds: positive,
  evalEvery: count,
  seed: z.number().int().refine(Number.isSafeInteger, 'expected a safe integer'),
  x0: z.union([z.number().finite(), z.array(z.number().finite()).min(1)], { error: 'expected a finite number or a non-empty list of finite numbers' }).transform((v) => (Array.isArray(v) ? v : [v])),
  out: z.string().min(1),
  json: z.boolean(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug']),
}).partial();

export type RunConfigFile = z.infer<typeof RUN_CONFIG_SCHEMA>;

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads and validates a run configuration file (JSON). Every problem is reported at once, each with its path and
 * what was expected, in one {@link InputError} naming the file; nothing is half-applied.
 *
 * @example readRunConfig('experiments/soba.json') // { solver: 'soba', maxIter: 20000, x0: [-1] }
 */
export function readRunConfig(path: string): RunConfigFile {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CONFIG_BYTES) throw new InputError(`${bytes.length} bytes; a configuration file is at most ${MAX_CONFIG_BYTES}`, path);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the configuration file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : (code ?? String(err))})`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, path);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('expected a JSON object of options, e.g. {"solver": "soba", "maxIter": 20000}', path);
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) normalized[camel(key)] = value;
  const parsed = RUN_CONFIG_SCHEMA.safeParse(normalized);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    });
    throw new InputError(`${lines.length} problem${lines.length > 1 ? 's' : ''} in the configuration:\n  ${lines.join('\n  ')}`, path);
  }
  return parsed.data;
}
