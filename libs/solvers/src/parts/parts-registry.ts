import type { Estimator } from './estimator';
import type { StepRule } from './step-rule';
import { sgdEstimator } from './sgd-estimator';
import { sagaEstimator } from './saga-estimator';
import { sarahEstimator } from './sarah-estimator';
import { stormEstimator } from './storm-estimator';
import { constantStep } from './constant-step';
import { powerStep } from './power-step';
import { aiSarahStep } from './ai-sarah-step';
import { rkcStep } from './rkc-step';
import { aiSarahEstimator } from './ai-sarah-estimator';

/** Parameters a step rule can be built from (each rule uses what it needs). */
export interface StepRuleParams {
  /** Step size (constant), initial step (power), base step h (rkc). */
  readonly step: number;
  /** Exponent of a power decay. */
  readonly decay: number;
}

/** A registered estimator: a description for `--help` and a factory. */
export interface EstimatorEntry {
  readonly description: string;
  readonly create: () => Estimator;
}

/** A registered step rule. */
export interface StepRuleEntry {
  readonly description: string;
  readonly create: (params: StepRuleParams) => StepRule;
}

/** Direction estimators by name (CLI `--estimator`, `--inner-estimator`, …). */
export const ESTIMATORS: Record<string, EstimatorEntry> = {
  sgd: { description: 'plain minibatch estimate', create: () => sgdEstimator() as Estimator },
  saga: { description: 'SAGA memory per term, one row per block', create: () => sagaEstimator() as Estimator },
  sarah: { description: 'SARAH recursion with periodic full-batch refresh', create: () => sarahEstimator() as Estimator },
  storm: { description: 'STORM recursive momentum (a = 0.1)', create: () => stormEstimator() as Estimator },
  'ai-sarah': { description: 'SARAH with AI-SARAH\'s adaptive restart (γ = 1/32)', create: () => aiSarahEstimator() as Estimator },
};

/** Step rules by name (CLI `--step-rule`, `--inner-step-rule`, …). */
export const STEP_RULES: Record<string, StepRuleEntry> = {
  constant: { description: 'w ← w − α d', create: (p) => constantStep(p.step) as StepRule },
  power: { description: 'w ← w − α₀ (t+1)^−a d', create: (p) => powerStep(p.step, p.decay) as StepRule },
  'ai-sarah': { description: 'tune-free: step from a local Lipschitz estimate (the step option is ignored)', create: () => aiSarahStep() as StepRule },
  rkc: { description: '5-stage damped Runge-Kutta-Chebyshev, base step h = the step option', create: (p) => rkcStep({ stages: 5, damping: 0.05, step: p.step }) as StepRule },
};
