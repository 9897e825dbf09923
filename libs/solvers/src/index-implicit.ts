// Exports of implicit differentiation as an API: optimality conditions given by their products, the adjoint solve
// with its fallback chain, and the VJP of the solution map.
export type { OptimalityCondition } from './implicit/optimality-condition';
export { bilevelCondition, gradientCondition } from './implicit/gradient-condition';
export type { GradientConditionSpec } from './implicit/gradient-condition';
export { fixedPointCondition } from './implicit/fixed-point-condition';
export type { FixedPointConditionSpec } from './implicit/fixed-point-condition';
export { kktCondition } from './implicit/kkt-condition';
export type { ConstraintProducts, InequalityProducts, KktConditionSpec } from './implicit/kkt-condition';
export { implicitVjp, solveAdjoint } from './implicit/implicit-vjp';
export { adjointDiagnostics } from './implicit/adjoint-diagnostics';
// the tape engine's adapters: types only from @bilevel/autodiff, so importing the solvers does not load the engine
export { tapeFixedPointCondition, tapeGradientCondition } from './implicit/tape-conditions';
export type { ConditionAt, TapeFixedPointSpec, TapeGradientSpec } from './implicit/tape-conditions';
export type {
  AdjointSolution,
  FallbackStep,
  ImplicitAttempt,
  ImplicitSolveDiagnostics,
  ImplicitSolverName,
  ImplicitVjpOptions,
  ImplicitVjpResult,
} from './implicit/implicit-vjp';
