// Exports of the public benchmark's remaining solvers (benchopt/benchmark_bilevel): BOME, MRBO, VRBO, FSLA, SUSTAIN,
// TTSA, BSA, and the Neumann-series hypergradient parts they share.
export { bome } from './bome';
export type { BomeOptions } from './bome';
export { mrbo } from './mrbo';
export type { MrboOptions } from './mrbo';
export { vrbo } from './vrbo';
export type { VrboOptions } from './vrbo';
export { fsla } from './fsla';
export type { FslaOptions } from './fsla';
export { sustain } from './sustain';
export type { SustainOptions } from './sustain';
export { ttsa } from './ttsa';
export type { TtsaOptions } from './ttsa';
export { bsa } from './bsa';
export type { BsaOptions } from './bsa';
export type { DoubleMomentumOptions } from './parts/double-momentum';
export { NeumannHypergradient } from './parts/neumann-hypergradient';
export type { InverseEstimator, NeumannHypergradientOptions } from './parts/neumann-hypergradient';
export { publishedDirectionOuter, recursiveHypergradientLinsys } from './parts/recursive-hypergradient';
export type { HypergradientDirection, HypergradientRecursion, PublishedDirection, RecursiveHypergradientOptions } from './parts/recursive-hypergradient';
export { seriesLinsys } from './parts/series-linsys';
