// Exports of the vr solver group: SRBA, and the variance-reduction / adaptive / stiff step parts.
export { srba } from './srba';
export type { SrbaOptions } from './srba';
export { aiSarahStep } from './parts/ai-sarah-step';
export type { AiSarahStepOptions } from './parts/ai-sarah-step';
export { aiSarahEstimator } from './parts/ai-sarah-estimator';
export type { AiSarahEstimatorOptions } from './parts/ai-sarah-estimator';
export { rkcStep } from './parts/rkc-step';
export type { RkcStepOptions } from './parts/rkc-step';
