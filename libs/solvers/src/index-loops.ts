// Exports of the loops solver group: injectable linear solvers and the loop methods (AmIGO, StocBiO, implicit
// differentiation, SHINE).
export type { LinearSolveInfo, LinearSolver, Matvec } from './parts/linear/linear-solver';
export { cgSolver } from './parts/linear/cg-solver';
export type { CgSolverOptions } from './parts/linear/cg-solver';
export { neumannSolver } from './parts/linear/neumann-solver';
export type { NeumannSolverOptions } from './parts/linear/neumann-solver';
export { richardsonSolver } from './parts/linear/richardson-solver';
export type { RichardsonSolverOptions } from './parts/linear/richardson-solver';
export type { KrylovSolverOptions } from './parts/linear/krylov-options';
export { normalCgSolver } from './parts/linear/normal-cg-solver';
export type { NormalCgSolverOptions } from './parts/linear/normal-cg-solver';
export { gmresSolver } from './parts/linear/gmres-solver';
export type { GmresSolverOptions } from './parts/linear/gmres-solver';
export { bicgstabSolver } from './parts/linear/bicgstab-solver';
export type { BicgstabSolverOptions } from './parts/linear/bicgstab-solver';
export { LINEAR_SOLVERS, createLinearSolver, isLinearSolverName } from './parts/linear/linear-solvers';
export type { LinearSolverEntry, LinearSolverName, LinearSolverSpec } from './parts/linear/linear-solvers';
export { solveDiagnostics } from './parts/linear/solve-diagnostics';
export { IndependentBatches } from './parts/linear/independent-batches';
// moved to @bilevel/linalg (one two-loop recursion for SHINE, the L-BFGS minimizer and the implicit-diff solvers)
export { lbfgsInverse } from '@bilevel/linalg';
export type { CurvaturePair, InverseHessianApprox } from '@bilevel/linalg';
export { LbfgsMinimizer } from './parts/linear/lbfgs-minimizer';
export type { LbfgsMinimizerOptions, LbfgsRunInfo, LbfgsRunOptions } from './parts/linear/lbfgs-minimizer';
export { amigo } from './amigo';
export type { AmigoOptions } from './amigo';
export { stocbio } from './stocbio';
export type { StocbioOptions } from './stocbio';
export { implicitDiff } from './implicit-diff';
export type { ImplicitDiffOptions } from './implicit-diff';
export { shine } from './shine';
export type { ShineCurvature, ShineOptions } from './shine';
