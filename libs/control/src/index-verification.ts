// Public surface of the sound re-verification of certificates (wired into index.ts by the lead).
export { polynomialNode } from './verification/polynomial-graph';
export { policyNodes } from './verification/policy-graph';
export type { DynamicsNodes } from './verification/dynamics-nodes';
export { dynamicsNodes } from './verification/dynamics-nodes';
export type {
  VerifyCertificateOptions,
  CertificateCounterexample,
  ConditionVerification,
  CertificateVerification,
} from './verification/verify-certificate';
export { DYNAMICS_AGREEMENT_POINTS, DYNAMICS_AGREEMENT_TOL, verifyCertificate } from './verification/verify-certificate';
export type { RegionOfAttractionOptions, RoaCondition, RegionOfAttraction } from './verification/region-of-attraction';
export { verifyRegionOfAttraction } from './verification/region-of-attraction';
export type { DsosCondition, LyapunovDsosVerification } from './verification/lyapunov-dsos';
export { verifyLyapunovDsos } from './verification/lyapunov-dsos';
