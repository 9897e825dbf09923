import type { Solver, StreamName } from '../solver';
import { ESTIMATORS, STEP_RULES } from './parts-registry';
import { singleLoop } from './single-loop';

/** The parts of one stream by registry name. */
export interface StreamPartsByName {
  readonly estimator: string;
  readonly stepRule: string;
}

/** Options of {@link customSolver}. */
export interface CustomSolverOptions {
  readonly inner: StreamPartsByName;
  readonly linsys: StreamPartsByName;
  readonly outer: StreamPartsByName;
  /** Default 64. */
  readonly batchSize?: number;
  /** Step of z and v (ρ or ρ₀). Default 0.1. */
  readonly innerStep?: number;
  /** Step of x (γ or γ₀). Default 0.1. */
  readonly outerStep?: number;
  /** Power-decay exponents of z/v and x (used by `power`). Defaults 0.4 and 0.6 (SOBA's theory). */
  readonly innerDecay?: number;
  readonly outerDecay?: number;
  /** Default: the parts, e.g. `custom[z:sarah/constant v:saga/constant x:sgd/power]`. */
  readonly name?: string;
}

/**
 * A single-loop solver assembled from registered parts by name, one estimator and one step rule per stream
 * (the CLI's `--inner-estimator`, `--step-rule` … options). Unknown names are a RangeError listing the known ones.
 */
export function customSolver(options: CustomSolverOptions): Solver {
  const batchSize = options.batchSize ?? 64;
  const stepOf = (s: StreamName) => (s === 'outer' ? (options.outerStep ?? 0.1) : (options.innerStep ?? 0.1));
  const decayOf = (s: StreamName) => (s === 'outer' ? (options.outerDecay ?? 0.6) : (options.innerDecay ?? 0.4));
  const part = (s: StreamName) => {
    const { estimator, stepRule } = options[s];
    const e = ESTIMATORS[estimator];
    if (!e) throw new RangeError(`customSolver: unknown ${s} estimator "${estimator}"; expected one of ${Object.keys(ESTIMATORS).join(', ')}`);
    const r = STEP_RULES[stepRule];
    if (!r) throw new RangeError(`customSolver: unknown ${s} step rule "${stepRule}"; expected one of ${Object.keys(STEP_RULES).join(', ')}`);
    return { estimator: e.create(), step: r.create({ step: stepOf(s), decay: decayOf(s) }), batchSize };
  };
  const label = (s: StreamName, v: string) => `${v}:${options[s].estimator}/${options[s].stepRule}`;
  return singleLoop({
    name: options.name ?? `custom[${label('inner', 'z')} ${label('linsys', 'v')} ${label('outer', 'x')}]`,
    citation: 'Single-loop framework of Dagréou, Ablin, Vaiter, Moreau, NeurIPS 2022, with parts chosen by the user.',
    inner: part('inner'),
    linsys: part('linsys'),
    outer: part('outer'),
  });
}
