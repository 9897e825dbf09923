import { InputError } from '@bilevel/io';
import type { ControlSystem } from '@bilevel/control';
import { Polynomial, STATED_TERMS, checkedTerms } from '@bilevel/control';
import { checkHeader, finiteArray, readJsonFile } from './read-json-file';
import { checkStatedTerms } from './stated-terms';

export const CERTIFICATE_FORMAT = 'safe-control.certificate';
export const CERTIFICATE_VERSION = 1;

/**
 * The terms of the conditions, as certificate.json states them for the reader: always the system's own
 * (`system.terms`); a file that states other values is refused, and `verify` never reads them.
 */
export interface CertificateConditions {
  /** Barrier: ∇B·f ≤ λ_B B on the domain box. */
  readonly lambdaB: number;
  /** Margin ε: B ≥ ε on the unsafe set (barrier); V ≥ ε‖x‖², −∇V·f ≥ ε‖x‖² (Lyapunov). */
  readonly epsilon: number;
  /** Lyapunov: half-width r₀ of the box around the origin left out of the decrease condition. */
  readonly innerRadius: number;
}

/**
 * certificate.json, version 1: a polynomial certificate B(x) = Σ coefficient·Π x_i^exponents[i] over the state
 * (barrier: B ≤ 0 on the initial set, B > 0 on the unsafe set, ∇B·f ≤ λ_B B on the domain box; Lyapunov:
 * V ≥ ε‖x‖², ∇V·f ≤ −ε‖x‖² outside (−r₀, r₀)ⁿ), with the LP's optimal slack c* it came with (informative).
 * `conditions` is optional and informative: λ_B, ε and r₀ are the system's terms; a file that states others is
 * refused (a claimant does not pick the terms of its own claim).
 */
export interface CertificateFile {
  readonly format: typeof CERTIFICATE_FORMAT;
  readonly version: typeof CERTIFICATE_VERSION;
  readonly system: string;
  readonly kind: 'polynomial';
  readonly certificate: 'barrier' | 'lyapunov';
  readonly nx: number;
  readonly conditions?: CertificateConditions;
  readonly cStar: number;
  /** B as text, for reading. */
  readonly text: string;
  readonly terms: readonly { readonly exponents: readonly number[]; readonly coefficient: number }[];
}

/** The document written for a certificate of `system` (its conditions stated with the system's terms). */
export function certificateDocument(system: ControlSystem, b: Polynomial, cStar: number): CertificateFile {
  const conditions = checkedTerms(system);
  return {
    format: CERTIFICATE_FORMAT,
    version: CERTIFICATE_VERSION,
    system: system.name,
    kind: 'polynomial',
    certificate: system.certificate,
    nx: system.nx,
    conditions: { lambdaB: conditions.lambdaB, epsilon: conditions.epsilon, innerRadius: conditions.innerRadius },
    cStar,
    text: b.toString([...system.stateNames]),
    terms: b.terms().map(([exponents, coefficient]) => ({ exponents, coefficient })),
  };
}

/**
 * Reads certificate.json for `system`: the polynomial and c*. Every mismatch is an InputError naming the file and
 * field, and so is a stated term that differs from the system's (`conditions.lambdaB is … in the file, but the
 * system … defines …`).
 */
export function readCertificateFile(path: string, system: ControlSystem): { certificate: Polynomial; cStar: number } {
  const d = checkHeader(readJsonFile(path), CERTIFICATE_FORMAT, CERTIFICATE_VERSION, system.name, path);
  if (d.kind !== 'polynomial') throw new InputError(`kind must be 'polynomial' (or 'neural', read by readNeuralCertificateFile), received ${JSON.stringify(d.kind)}`, path);
  if (d.certificate !== system.certificate) throw new InputError(`certificate must be '${system.certificate}' for '${system.name}', received ${JSON.stringify(d.certificate)}`, path);
  if (d.nx !== system.nx) throw new InputError(`nx must be ${system.nx} for '${system.name}', received ${JSON.stringify(d.nx)}`, path);
  if (d.conditions !== undefined) {
    const terms = checkedTerms(system);
    checkStatedTerms(d.conditions, 'conditions', Object.fromEntries(STATED_TERMS.map((k) => [k, terms[k]])), `the system '${system.name}'`, path);
  }
  const cStar = typeof d.cStar === 'number' && Number.isFinite(d.cStar) ? d.cStar : NaN;
  if (Number.isNaN(cStar)) throw new InputError(`cStar must be a finite number, received ${JSON.stringify(d.cStar)}`, path);
  if (!Array.isArray(d.terms) || d.terms.length === 0) throw new InputError('terms must be a non-empty array of {exponents, coefficient}', path);
  const terms = d.terms.map((t: unknown, i: number): [number[], number] => {
    const r = t as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object') throw new InputError(`terms[${i}] must be an object {exponents, coefficient}`, path);
    const e = finiteArray(r.exponents, system.nx, path, `terms[${i}].exponents`);
    if (e.some((p) => !Number.isInteger(p) || p < 0 || p > 12)) throw new InputError(`terms[${i}].exponents must be integers in 0…12, received [${e}]`, path);
    const [coef] = finiteArray([r.coefficient], 1, path, `terms[${i}].coefficient`);
    return [e, coef];
  });
  return { certificate: Polynomial.fromTerms(system.nx, terms), cStar };
}
