// Exports of the multiclass area: multinomial logistic L2 hyperparameter selection, its data loaders and splits.
export { MulticlassHpo, multiclassHpo, multiclassHpoAllocations } from './multiclass-hpo';
export type { MulticlassHpoOptions } from './multiclass-hpo';
export { loadMulticlassHpo } from './load-multiclass-hpo';
export type { LoadMulticlassHpoOptions } from './load-multiclass-hpo';
export { classGradAccumulate, classLogits, softmaxRow } from './multiclass-kernels';
export { parseHeaderlessCsv } from './headerless-csv';
export type { HeaderlessCsvOptions } from './headerless-csv';
export { loadClassificationCsv, parseClassificationCsv } from './classification-csv';
export type { ClassificationCsvOptions } from './classification-csv';
export { splitTrainValTest } from './split-train-val-test';
export type { SplitTrainValTestOptions } from './split-train-val-test';
export { multiclassDataPath } from './multiclass-data-path';
export { gridSearchShared, SHARED_WEIGHT_GRID } from './grid-search-shared';
export type { GridPoint, GridSearchResult } from './grid-search-shared';
export { lbfgsOnHypergradient } from './lbfgs-on-hypergradient';
export type { LbfgsOnHypergradientOptions, LbfgsOnHypergradientResult } from './lbfgs-on-hypergradient';
