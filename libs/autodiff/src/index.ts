// The main entry point: loads no @tensorflow module (tfjs-only code is behind `@bilevel/autodiff/tfjs`, index-tfjs.ts).
export { auditOracles, AUDIT_DEFAULTS } from './audit-oracles';
export type { AuditedOracle, AuditOptions, AuditPoint, OracleAudit, OracleAuditEntry } from './audit-oracles';
export { formatAudit } from './format-audit';
export * from './tape/index';
export * from './interop/index';
export * from './model/index';
export * from './meta/index';
export * from './deq/index';
