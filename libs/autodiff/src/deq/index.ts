// Deep equilibrium models on the tape engine, re-exported from libs/autodiff/src/index.ts.
export { deqProblem, DeqProblem } from './deq-problem';
export type { DeqData, DeqSpec } from './deq-problem';
export { deqParamShapes, deqStateDim, DeqTapes } from './deq-tapes';
export type { DeqArchitecture, DeqLayerKind } from './deq-tapes';
