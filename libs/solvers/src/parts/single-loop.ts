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
 * Each part carries its `PartDescription` (the same as `saba`'s or `soba`'s own parts for the same steps);
 * `options` names the parts (`innerEstimator`, `innerStepRule`, `innerBatch` …) and gives the step numbers of the
 * constant and power rules (`innerStep`, `innerDecay` …), as SABA and SOBA do.
 */
export function singleLoop(spec: SingleLoopSpec): Solver {
  const parts = {} as Record<StreamName, ReturnType<typeof composePart>>;
  const options: Record<string, string | number> = {};
  for (const s of ['inner', 'linsys', 'outer'] as const) {
    parts[s] = composePart(s, spec[s]);
    options[`${s}Estimator`] = spec[s].estimator.name;
    options[`${s}StepRule`] = spec[s].step.name;
    // the step itself, under the keys SABA and SOBA use: numbers only (the typed form is `parts[s].description`)
    const size = spec[s].step.stepSize;
    if (size?.kind === 'constant') options[`${s}Step`] = size.value;
    if (size?.kind === 'power') {
      options[`${s}Step`] = size.base;
      options[`${s}Decay`] = size.exponent;
    }
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
