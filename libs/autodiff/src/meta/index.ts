// The meta-learning layer over the tape engine, re-exported from libs/autodiff/src/index.ts.
export { metaModel } from './meta-model';
export type { MetaModel, MetaModelSpec } from './meta-model';
export { isMetaLearningProblem, metaLearningProblem } from './meta-learning-problem';
export type { MetaLearningProblem, MetaLearningSpec, TaskProblem, TaskScore } from './meta-learning-problem';
