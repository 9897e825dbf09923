// The front door, `@bilevel/toolkit`: everything a pipeline needs in one import, the public surfaces of seven libraries
// (each lists its names explicitly in its own src/index.ts):
//   @bilevel/linalg    seeded RNG, batch samplers, Float64Array kernels
//   @bilevel/io        InputError (bad input), safe reads of user files, output-folder checks
//   @bilevel/problems  the BilevelProblem contract, the problem families, the data loaders
//   @bilevel/autodiff  the float64 tape and model engine (oracles for a problem of one's own), the oracle audit
//   @bilevel/solvers   the solvers and their parts: estimators, step rules, linear solvers, single-loop composition
//   @bilevel/streams   run(), schedules, checkpoints, monitors' wiring (withMonitors, findings)
//   @bilevel/verify    the default monitors and the property kit (fast-check arbitraries, checkSolver)
// Not here: TensorFlow.js oracles (`@bilevel/autodiff/tfjs`, an optional peer), certified control
// (`@bilevel/control`), logging and plots (`@bilevel/telemetry`), the live page (`@bilevel/dashboard`).
// What this module exports is the toolkit's public API under semantic versioning; index.spec.ts checks that it is
// exactly the union of the seven surfaces (a name exported by two of them with different values would be dropped).
export * from '@bilevel/linalg';
export * from '@bilevel/io';
export * from '@bilevel/problems';
export * from '@bilevel/autodiff';
export * from '@bilevel/solvers';
export * from '@bilevel/streams';
export * from '@bilevel/verify';
// Type names that two surfaces export (TypeScript would drop them from `export *`), resolved here:
// the same function type in both
export type { Matvec } from '@bilevel/linalg';
// auditOracles' report (autodiff) and one oracle's line of finiteDifferenceAudit's report (verify)
export type { OracleAudit } from '@bilevel/autodiff';
export type { OracleAudit as FiniteDifferenceOracleAudit } from '@bilevel/verify';
// the tape's unary node kinds (autodiff) and the bound-propagation graph's unary operations (verify)
export type { UnaryOp } from '@bilevel/autodiff';
export type { UnaryOp as GraphUnaryOp } from '@bilevel/verify';
