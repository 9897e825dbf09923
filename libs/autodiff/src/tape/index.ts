// The tape engine's public surface, to be re-exported from libs/autodiff/src/index.ts.
export { Tape, TAPE_MAX_INPUTS } from './tape';
export type { TapeOptions, TapeVar } from './tape';
export { ReplayPlan } from './replay-plan';
export type { ReplayPlanOptions } from './replay-plan';
export type { NodeKind, UnaryOp } from './tape-nodes';
export { tapeProblem } from './tape-problem';
export type { TapeLoss, TapeProblem, TapeSpec } from './tape-problem';
export { logregTape } from './logreg-tape';
export { expectedCost, ITERATION_ORACLES } from './expected-cost';
export type { ExpectedCost, ExpectedCostOptions, IterationOracle } from './expected-cost';
