// Exports of the recent-methods group: MA-SOBA, SPABA (PAGE estimator), BO-REP, F2BA, and the black-box baselines
// (random search, TPE) that run as outer-only solvers.
export { maSoba } from './ma-soba';
export type { MaSobaOptions } from './ma-soba';
export { spaba } from './spaba';
export type { SpabaOptions } from './spaba';
export { pageEstimator } from './parts/page-estimator';
export type { PageOptions } from './parts/page-estimator';
export { boRep } from './bo-rep';
export type { BoRepOptions } from './bo-rep';
export { f2ba } from './f2ba';
export type { F2baOptions } from './f2ba';
export { blackBoxSolver, BLACK_BOX_KEYS } from './black-box/black-box-search';
export type { BlackBoxOptions, CandidateProposer, Incumbent, SearchHistory } from './black-box/black-box-search';
export { randomSearch } from './black-box/random-search';
export type { RandomSearchOptions } from './black-box/random-search';
export { goodIndices, tpe, tpeProposer } from './black-box/tpe';
export type { TpeOptions } from './black-box/tpe';
export { normalCdf, parzenEstimator, parzenLogPdf, parzenSample } from './black-box/parzen';
export type { Parzen } from './black-box/parzen';
