// Exports of deep equilibrium training: the backward passes (exact, SHINE, Jacobian-free, refined), the three-stream
// training solver, and the comparison of a backward direction with the exact one.
export { DEQ_BACKWARDS, exactBackward, jfbBackward, refinedBackward, shineBackward } from './deq/deq-backward';
export type { DeqBackward, DeqBackwardContext, DeqBackwardInfo, DeqBackwardName, DeqKrylov, ExactBackwardOptions } from './deq/deq-backward';
export { adjointAlongLoss, deqBackward, deqTraining, resolveDeqOptions } from './deq/deq-training';
export type { DeqForwardAux, DeqTrainingOptions, ResolvedDeqOptions } from './deq/deq-training';
export { checkDeqDirection } from './deq/check-deq-direction';
export type { DeqDirectionCheck } from './deq/check-deq-direction';
