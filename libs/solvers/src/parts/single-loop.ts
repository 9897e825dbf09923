import type { Solver, StreamName } from '../solver';
import type { PartSpec } from './compose-part';
import { composePart } from './compose-part';

/** Options of {@link singleLoop}. */
export interface SingleLoopSpec {
  readonly name: string;
  readonly citation: string;
  readonly inner: PartSpec;
  readonly linsys: PartSpec;
  readonly outer: PartSpec;
  /** Default `jacobi`. */
  readonly schedule?: string;
}

/**
 * A single-loop bilevel solver (the framework of Dagréou et al., NeurIPS 2022) from three independently chosen
 * parts: e.g. SOBA = SGD + power steps on every stream, SABA = SAGA + constant steps, SRBA = SARAH + constant steps.
 */
export function singleLoop(spec: SingleLoopSpec): Solver {
  const parts = {} as Record<StreamName, ReturnType<typeof composePart>>;
  const options: Record<string, string | number> = {};
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    parts[s] = composePart(s, spec[s]);
    options[`${s}Estimator`] = spec[s].estimator.name;
    options[`${s}Step`] = spec[s].step.name;
    options[`${s}Batch`] = spec[s].batchSize;
  }
  return {
    name: spec.name,
    citation: spec.citation,
    schedule: spec.schedule ?? 'jacobi',
    inner: parts.inner,
    linsys: parts.linsys,
    outer: parts.outer,
    options,
  };
}
