import { z } from 'zod';
import { parseByteSize } from '@bilevel/problems';
import { readOptionsFile } from '@bilevel/io';
import { LOG_LEVELS } from '@bilevel/telemetry';
import { DEQ_BACKWARDS, ESTIMATORS, META_SOLVERS, SOLVERS, STANDALONE, STEP_RULES } from '@bilevel/solvers';
import { PROBLEMS } from './build-problem';
import { META_PROBLEMS } from './meta/meta-setup';

const names = (r: Record<string, unknown>) => Object.keys(r) as [string, ...string[]];
const count = z.number().int().min(1);
const positive = z.number().positive().finite();

/**
 * The keys of a `bilevel run --config FILE.json`: the command-line options in camelCase (`maxIter`, `innerStep`…;
 * kebab-case `max-iter` is accepted too), with the same types and ranges. Unknown keys are errors.
 */
export const RUN_CONFIG_SCHEMA = z.strictObject({
  problem: z.enum([...PROBLEMS, 'fractional', ...META_PROBLEMS]),
  train: z.string().min(1),
  val: z.string().min(1),
  test: z.string().min(1),
  label: z.string().min(1),
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
  forward: z.enum(['broyden', 'anderson']),
  backward: z.enum(DEQ_BACKWARDS),
  refine: z.number().int().min(0),
  hidden: count,
  layer: z.enum(['dense', 'conv']),
  forwardTol: positive,
  forwardMaxIter: count,
  testSize: count,
  reference: z.enum(['auto', 'on', 'off']),
  evaluate: z.enum(['auto', 'exact', 'iterate']),
  solver: z.enum([...new Set([...names(SOLVERS), ...Object.keys(STANDALONE), ...Object.keys(META_SOLVERS)])] as [string, ...string[]]),
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
  logLevel: z.enum(LOG_LEVELS),
  ways: count,
  shots: count,
  queries: count,
  metaBatch: count,
  lambda: positive,
  innerSteps: count,
  innerMethod: z.enum(['gd', 'newton-cg']),
  innerTol: z.number().min(0).finite(),
  cgSteps: count,
  cgRadius: positive,
  model: z.enum(['conv', 'mlp']),
  channels: count,
  testAlphabets: z.union([z.string().min(1), count]).transform(String),
  rotations: z.enum(['on', 'off']),
  testEpisodes: count,
  testInnerSteps: count,
  testInnerStep: positive,
  tasks: count,
  memoryBudget: z
    .union([z.number().int().positive().refine(Number.isSafeInteger, 'expected a safe integer'), z.string()], { error: 'expected a size: bytes, or a string such as "4GiB" or "512MiB"' })
    .transform((v, ctx) => {
      const bytes = typeof v === 'number' ? v : parseByteSize(v);
      if (bytes === undefined) ctx.addIssue({ code: 'custom', message: `expected a size such as "4GiB", "512MiB" or a number of bytes, received ${JSON.stringify(v)}` });
      return bytes ?? 0;
    }),
}).partial();

export type RunConfigFile = z.infer<typeof RUN_CONFIG_SCHEMA>;

/**
 * Reads and validates a run configuration file (JSON). Every problem is reported at once, each with its path and
 * what was expected, in one {@link InputError} naming the file; nothing is half-applied.
 *
 * @example readRunConfig('experiments/soba.json') // { solver: 'soba', maxIter: 20000, x0: [-1] }
 */
export function readRunConfig(path: string): RunConfigFile {
  return readOptionsFile(path, RUN_CONFIG_SCHEMA, '{"solver": "soba", "maxIter": 20000}');
}
