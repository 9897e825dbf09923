import { InputError, MAX_OPTIONS_FILE_BYTES, readJsonFile } from '@bilevel/io';
import { metaModel } from '@bilevel/autodiff';
import type { MetaModel, MetaModelSpec } from '@bilevel/autodiff';
import type { ResolvedAdapt } from '@bilevel/solvers';
import { writeFileAtomic } from '@bilevel/telemetry';

/** The `format` tag of a meta-parameters file. */
export const META_PARAMS_FORMAT = 'bilevel-meta-params';
const VERSION = 1;
/** Largest file read: 64 MiB (a 64-channel 20-way convnet is ~1 MB as base64). */
const MAX_BYTES = Math.max(MAX_OPTIONS_FILE_BYTES, 64 * 2 ** 20);

/** Where the meta-training tasks came from, so that `bilevel score` can rebuild the held-out tasks. */
export interface MetaDataSource {
  readonly problem: 'fewshot' | 'sinusoid';
  /** fewshot: the Omniglot archives or folder read (`bundled` for the bundled copy). */
  readonly data?: readonly string[] | 'bundled';
  readonly testAlphabets?: readonly string[];
  readonly trainAlphabets?: readonly string[];
  readonly rotations?: boolean;
  readonly ways?: number;
  readonly shots: number;
  readonly queries: number;
  /** Seed of the run (the held-out tasks are drawn from it). */
  readonly seed: number;
}

/** What `bilevel run` saves after meta-training: the model, θ, and how tasks are adapted and were drawn. */
export interface MetaParams {
  readonly model: MetaModel;
  readonly theta: Float64Array;
  readonly lambda: number;
  /** The adaptation procedure of meta-testing. */
  readonly adapt: ResolvedAdapt;
  readonly source: MetaDataSource;
  readonly solver: string;
  readonly iterations: number;
}

interface MetaParamsJson {
  format: string;
  version: number;
  model: MetaModelSpec;
  weights: number;
  lambda: number;
  adapt: ResolvedAdapt;
  source: MetaDataSource;
  solver: string;
  iterations: number;
  /** θ as little-endian float64, base64. */
  theta: string;
}

/**
 * Writes meta-parameters as one JSON file (atomically): the model spec, the adaptation procedure, the data source,
 * and θ as base64 of its little-endian float64 bytes (exact to the bit).
 */
export function writeMetaParams(path: string, p: MetaParams): void {
  const bytes = new Uint8Array(p.theta.length * 8);
  const view = new DataView(bytes.buffer);
  p.theta.forEach((v, i) => view.setFloat64(8 * i, v, true));
  const json: MetaParamsJson = {
    format: META_PARAMS_FORMAT,
    version: VERSION,
    model: p.model.spec,
    weights: p.theta.length,
    lambda: p.lambda,
    adapt: p.adapt,
    source: p.source,
    solver: p.solver,
    iterations: p.iterations,
    theta: Buffer.from(bytes).toString('base64'),
  };
  writeFileAtomic(path, JSON.stringify(json, null, 1) + '\n');
}

/** Reads a file written by {@link writeMetaParams}; every defect is one {@link InputError} naming the file. */
export function readMetaParams(path: string): MetaParams {
  const raw = readJsonFile(path, { what: 'meta-parameters file', maxBytes: MAX_BYTES }) as Partial<MetaParamsJson> | null;
  const bad = (what: string): never => {
    throw new InputError(`not a meta-parameters file written by \`bilevel run --problem fewshot|sinusoid\`: ${what}`, path);
  };
  if (raw === null || typeof raw !== 'object' || raw.format !== META_PARAMS_FORMAT) bad(`expected "format": "${META_PARAMS_FORMAT}"`);
  const j = raw as MetaParamsJson;
  if (j.version !== VERSION) bad(`format version ${String(j.version)}, this build reads version ${VERSION}`);
  let model: MetaModel;
  try {
    model = metaModel(j.model);
  } catch (err) {
    return bad(`its model: ${(err as Error).message.replace(/^metaModel: /, '')}`);
  }
  if (j.weights !== model.size) bad(`it declares ${String(j.weights)} weights, its model has ${model.size}`);
  if (typeof j.theta !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(j.theta)) bad('"theta" must be base64 text');
  const bytes = Buffer.from(j.theta, 'base64');
  if (bytes.length !== 8 * model.size) bad(`"theta" holds ${bytes.length} bytes, expected ${8 * model.size} (${model.size} float64 weights)`);
  const theta = new Float64Array(model.size);
  for (let i = 0; i < model.size; i++) {
    theta[i] = bytes.readDoubleLE(8 * i);
    if (!Number.isFinite(theta[i])) bad(`weight ${i} is ${theta[i]}, expected a finite number`);
  }
  if (typeof j.lambda !== 'number' || !(j.lambda > 0) || !Number.isFinite(j.lambda)) bad('"lambda" must be a positive number');
  const a = j.adapt;
  if (
    a === null ||
    typeof a !== 'object' ||
    !Number.isSafeInteger(a.innerSteps) ||
    a.innerSteps < 1 ||
    !(a.innerStep > 0) ||
    !(a.innerTol >= 0) ||
    (a.innerMethod !== 'gd' && a.innerMethod !== 'newton-cg')
  ) {
    bad('"adapt" must be { innerSteps ≥ 1, innerStep > 0, innerTol ≥ 0, innerMethod: "gd" | "newton-cg" }');
  }
  const s = j.source;
  if (s === null || typeof s !== 'object' || (s.problem !== 'fewshot' && s.problem !== 'sinusoid') || !Number.isSafeInteger(s.shots) || !Number.isSafeInteger(s.queries) || !Number.isSafeInteger(s.seed)) {
    bad('"source" must say which problem and tasks the parameters were trained on');
  }
  return { model, theta, lambda: j.lambda, adapt: { innerSteps: a.innerSteps, innerStep: a.innerStep, innerTol: a.innerTol, innerMethod: a.innerMethod }, source: s, solver: String(j.solver), iterations: Number(j.iterations) };
}
