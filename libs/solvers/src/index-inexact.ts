// Exports of the inexact solver group: MAID, ISGD (inexact stochastic bilevel learning), F2SA.
export { maid } from './maid';
export type { InnerMethod, MaidOptions } from './maid';
export { isgd } from './isgd';
export type { IsgdOptions } from './isgd';
export { f2sa } from './f2sa';
export type { F2saOptions } from './f2sa';
