// The tape engine's public surface, to be re-exported from libs/autodiff/src/index.ts.
export { Tape } from './tape';
export type { BatchNormOptions, Conv2dOptions, MatmulOptions, Pool2dOptions, TapeOptions, TapeVar } from './tape';
export { ReplayPlan } from './replay-plan';
export type { ReplayPlanOptions } from './replay-plan';
export type { NodeKind, UnaryOp } from './node-codes';
export { tapeProblem } from './tape-problem';
export type { TapeLoss, TapeProblem, TapeSpec } from './tape-problem';
export { logregTape } from './logreg-tape';
export { expectedCost, ITERATION_ORACLES } from './expected-cost';
export type { ExpectedCost, ExpectedCostOptions, IterationOracle } from './expected-cost';
export { auditOp, checkTape } from './check-tape';
export type { AuditOpOptions, CheckTapeOptions, OpAudit, TapeCheck, TapeCheckEntry } from './check-tape';
