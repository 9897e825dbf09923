export type { Range } from './validate-options';
export type { GeneratedQuadratic, QuadraticFacts, QuadraticParams, QuadraticProblemArbOptions } from './quadratic-problem-arb';
export { generatedQuadratic, quadraticProblemArb } from './quadratic-problem-arb';
export { outerSpectrum } from './outer-spectrum';
export type { SabaSteps, SafeStepOptions } from './safe-saba-options';
export { SAFE_BATCH_SIZE, SAGA_STEP_FACTOR, safeSabaOptions } from './safe-saba-options';
export type { SobaSteps } from './safe-soba-options';
export { SOBA_OUTER_FACTOR, safeSobaOptions } from './safe-soba-options';
export type { FiniteDifferenceAuditOptions, OracleAudit, OracleAuditReport } from './finite-difference-audit';
export { FD_DIRECTIONS, FD_ERROR_ESTIMATE_MULTIPLE, FD_REL_TOL, FD_ROUNDOFF_MULTIPLE, FD_STEP, finiteDifferenceAudit } from './finite-difference-audit';
export type { OracleAgreementOptions } from './oracles-agree-with-finite-differences';
export { oraclesAgreeWithFiniteDifferences } from './oracles-agree-with-finite-differences';
export type { SolverFactory, SolverProperty } from './solver-property';
export type { LinearBudgetOptions } from './linear-budget';
export { LINEAR_BUDGET_SAFETY, LINEAR_REDUCTION, SAGA_MEMORY_FACTOR, linearBudget } from './linear-budget';
export type { LinearConvergenceMeasurement, MeasureLinearOptions } from './measure-linear-convergence';
export { LINEAR_CHECKPOINTS, measureLinearConvergence } from './measure-linear-convergence';
export type { LinearConvergenceOptions } from './linear-convergence';
export { declaredSabaSteps, linearConvergence } from './linear-convergence';
export { farStart } from './far-start';
export type { MeasureRunningMeanOptions, RunningMeanMeasurement } from './measure-running-mean';
export { RUNNING_MEAN_DOUBLINGS, RUNNING_MEAN_FIRST_CHECKPOINT, measureRunningMean } from './measure-running-mean';
export type { RunningMeanOptions } from './running-mean-decreases';
export {
  RUNNING_MEAN_INCREASE_TOLERANCE,
  RUNNING_MEAN_MIN_DECREASE,
  RUNNING_MEAN_START_GRADIENT,
  runningMeanDecreases,
} from './running-mean-decreases';
export { snapshotDifference } from './snapshot-difference';
export type { ReplayOptions } from './replays-from-seed';
export { REPLAY_ITERATIONS, REPLAY_PROBLEMS, replaysFromSeed } from './replays-from-seed';
export type { ConvergenceKind, NamedSolverProperty, SolverPropertiesOptions, SolverPropertyName } from './solver-properties';
export { DEFAULT_NUM_RUNS, solverProperties } from './solver-properties';
export type { CheckSolverOptions } from './check-solver';
export { checkSolver } from './check-solver';
export * from './bounds';
export { accuracyMonitor } from './monitors/accuracy-monitor';
export type { AccuracyMonitorOptions } from './monitors/accuracy-monitor';
export { budgetMonitor } from './monitors/budget-monitor';
export type { BudgetMonitorOptions } from './monitors/budget-monitor';
export { finitenessMonitor, nonFiniteOracle } from './monitors/finiteness-monitor';
export { progressMonitor } from './monitors/progress-monitor';
export type { ProgressMonitorOptions } from './monitors/progress-monitor';
export { theoremMonitor } from './monitors/theorem-monitor';
export type { TheoremMonitorOptions } from './monitors/theorem-monitor';
export { SOBA_EXPONENTS, conditionNeeds, stepConditions, uncheckedSteps } from './monitors/step-conditions';
export type { ConditionNeeds, StepCondition, UncheckedStep } from './monitors/step-conditions';
export { innerConstantsAt } from './monitors/inner-constants-at';
export type { InnerConstantsEstimate, InnerConstantsOptions } from './monitors/inner-constants-at';
export { outerSmoothnessAt } from './monitors/outer-smoothness-at';
export type { OuterSmoothnessOptions } from './monitors/outer-smoothness-at';
export { DEFAULT_MONITORS, MONITORS, monitorsByName } from './monitors/monitor-registry';
export type { MonitorEntry } from './monitors/monitor-registry';
