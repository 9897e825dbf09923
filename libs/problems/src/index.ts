export type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions } from './bilevel-problem';
export { batchCounts, fullBatch, INNER_TOL, requireOracles } from './bilevel-problem';
export type { OptionalOracle } from './bilevel-problem';
// The I/O helpers moved to @bilevel/io (the error type of bad input, safe file reads, output-folder checks); they
// stay importable from here, deprecated, for code written against earlier versions.
export {
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  InputError,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  fsErrorReason,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  readRegularFile,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  MAX_OPTIONS_FILE_BYTES,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  readJsonFile,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  readOptionsFile,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  checkOutDir,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  checkWritableDir,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  defaultOutDir,
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  prepareOutDir,
} from '@bilevel/io';
export type {
  /** @deprecated Import it from `@bilevel/io`, where it lives now; this re-export will be removed in a later release. */
  ReadRegularFileOptions,
} from '@bilevel/io';
export { checkMemoryBudget, DEFAULT_MEMORY_BUDGET, formatBytes, MAX_TYPED_ARRAY_LENGTH, memoryBudgetOf, parseByteSize } from './memory-budget';
export type { Allocation, Reserve } from './memory-budget';
export type { Dataset } from './dataset';
export { featureMoments, selectRows, splitDataset, standardize } from './dataset';
export { loadUciCsv, parseUciCsv } from './uci-csv';
export type { UciCsvOptions } from './uci-csv';
export { LogregHpo, logregHpo, logregHpoAllocations } from './logreg-hpo';
export type { LogregHpoOptions } from './logreg-hpo';
export { QuadraticProblem, quadraticProblem } from './quadratic';
export type { QuadraticOptions } from './quadratic';
export { hypergradientCg, referenceSolution, solveInnerLbfgs } from './generic-evaluation';
export type { ReferenceSolution } from './generic-evaluation';
export { softplusNeg, sigmoidNeg, sigmoidCurvature } from './logistic-kernels';
export { powerIteration } from './power-iteration';
export { bundledDataPath } from './bundled';
export * from './index-loaders';
export * from './index-multiclass';
export * from './index-cleaning';
export * from './index-imaging';
export * from './index-meta';
export * from './index-fewshot';
export type { EquilibriumBatch, EquilibriumProblem } from './equilibrium-problem';
export { isEquilibriumProblem } from './equilibrium-problem';
export { loadDeqData } from './load-deq-data';
export type { DeqDataOptions, DeqDataSets } from './load-deq-data';
