// Public surface of the neural certificate track of @bilevel/control (wired into index.ts by the lead).
export type { BarrierMlpOptions } from './neural/barrier-mlp';
export { BarrierMlp } from './neural/barrier-mlp';
export type { BarrierTrainingSet, BarrierLossSettings, BarrierLossValue, Successors } from './neural/barrier-loss';
export { barrierLoss, barrierLossMixed, successors } from './neural/barrier-loss';
export type { CertificateGradient } from './neural/certificate-gradient';
export { certificateGradient } from './neural/certificate-gradient';
export type { DynamicsGraphBuilder, BarrierCondition, BarrierConditionsOptions } from './neural/closed-loop-graph';
export { barrierConditions, polynomialDynamics, mlpPolicyLayers } from './neural/closed-loop-graph';
export type { VerifyBarrierOptions, ConditionVerdict, BarrierVerdict } from './neural/verify-barrier';
export { verifyBarrier } from './neural/verify-barrier';
export { INVERTED_PENDULUM, invertedPendulumGraph } from './neural/inverted-pendulum';
export type { NeuralTrainingOptions, NeuralTrainingDiagnostics, NeuralTrainingState, NeuralTraining, NeuralTrainingParts } from './neural/neural-training';
export { neuralTraining, neuralTrainingParts } from './neural/neural-training';
export { cartpoleGraph } from './neural/cartpole-graph';
