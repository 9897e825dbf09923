// Exports of the hessian-free solver group: evolution-strategies Jacobians (ESJ, ESJ-S) and sl-BAMM.
export { esj, esjS } from './esj';
export type { EsjAux, EsjOptions } from './esj';
export { slBamm } from './sl-bamm';
export type { SlBammOptions, SlBammStrategy } from './sl-bamm';
