// The tfjs entry point, `@bilevel/autodiff/tfjs`: everything that imports @tensorflow/tfjs (the backend choice, oracles
// from user tfjs functions). The main entry point `@bilevel/autodiff` loads no tfjs module: the tape engine, the
// oracle audit and the tfjs model loader (which reads model files itself) need none.
export { initEngine, currentBackend } from './engine';
export type { EngineAttempt, EngineChoice, EngineInfo, EngineOptions } from './engine';
export { autodiffProblem, AUTODIFF_INNER_TOL } from './autodiff-problem';
export type { AutodiffCounters, AutodiffProblem, AutodiffSpec, TfLoss } from './autodiff-problem';
export { logregAutodiff } from './logreg-autodiff';
export type { LogisticOp } from './logreg-autodiff';
