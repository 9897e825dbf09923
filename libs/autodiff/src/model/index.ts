// The user-model layer over the tape engine, re-exported from libs/autodiff/src/index.ts.
export { modelProblem } from './model-problem';
export type { ModelHypergradient, ModelLinearSolver, ModelLinearSolverName, ModelProblem, ModelSide, ModelSpec } from './model-problem';
export { tensorLayout } from './tensor-layout';
export type { TensorLayout, TensorShapes } from './tensor-layout';
export { initialParams } from './model-init';
export type { ModelInit } from './model-init';
export { DEFAULT_ARENA_BUDGET, DEFAULT_MAX_BATCH } from './record-loss';
export type { LossNames, ModelLoss, TapeTensors } from './record-loss';
export { solveInnerNewtonCg } from './solve-inner-newton-cg';
export { logregModel } from './logreg-model';
export type { LogregModelOptions, LogregModelShapes } from './logreg-model';
