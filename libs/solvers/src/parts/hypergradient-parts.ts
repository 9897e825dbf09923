import type { StreamPart } from '../solver';
import { composePart } from './compose-part';
import { constantStep } from './constant-step';
import type { Estimator } from './estimator';
import { powerStep } from './power-step';
import { sagaEstimator } from './saga-estimator';
import { sgdEstimator } from './sgd-estimator';
import type { StepRule } from './step-rule';

/**
 * The linear-system and outer parts that the private solvers (DP-CD, noisy SGD) put beside their private inner
 * stream: SABA's (saga estimator + constant steps ρ, γ) or SOBA's (sgd estimator + power steps ρ/t^0.4, γ/t^0.6).
 */
export function hypergradientParts(estimator: 'saga' | 'sgd', rho: number, gamma: number, batchSize: number): { linsys: StreamPart; outer: StreamPart } {
  const make = (): Estimator => (estimator === 'saga' ? sagaEstimator() : sgdEstimator()) as Estimator;
  const step = (s: number, a: number): StepRule => (estimator === 'saga' ? constantStep(s) : powerStep(s, a)) as StepRule;
  return {
    linsys: composePart('linsys', { estimator: make(), step: step(rho, 0.4), batchSize }) as StreamPart,
    outer: composePart('outer', { estimator: make(), step: step(gamma, 0.6), batchSize }) as StreamPart,
  };
}
