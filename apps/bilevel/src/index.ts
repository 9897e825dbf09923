export { main, DEFAULT_MAX_ITER } from './main';
export type { MainIo } from './main';
export { EXIT } from './exit-codes';
export { buildProblem, startingX } from './build-problem';
export type { ProblemConfig } from './build-problem';
