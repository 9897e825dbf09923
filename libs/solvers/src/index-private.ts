// Exports of the private solver group: private inner streams (DP-CD, noisy SGD with Rényi accounting), the accountant,
// and coordinate descent for fractional programs.
export { dpCd } from './dp-cd';
export type { DpCdOptions } from './dp-cd';
export { noisySgd } from './noisy-sgd';
export type { NoisySgdOptions } from './noisy-sgd';
export { rdpAccountant } from './rdp-accountant';
export type { DpGuarantee, LangevinParams, RdpCurve } from './rdp-accountant';
export { fractionalCd } from './fractional-cd';
export type { FractionalCdOptions, FractionalCdResult, FractionalDenominator, FractionalProblem } from './fractional-cd';
