export { initEngine, currentBackend } from './engine';
export type { EngineAttempt, EngineChoice, EngineInfo, EngineOptions } from './engine';
export { autodiffProblem, AUTODIFF_INNER_TOL } from './autodiff-problem';
export type { AutodiffCounters, AutodiffProblem, AutodiffSpec, TfLoss } from './autodiff-problem';
export { auditOracles, AUDIT_DEFAULTS } from './audit-oracles';
export type { AuditedOracle, AuditOptions, AuditPoint, OracleAudit, OracleAuditEntry } from './audit-oracles';
export { formatAudit } from './format-audit';
export { logregAutodiff } from './logreg-autodiff';
export type { LogisticOp } from './logreg-autodiff';
