import { InputError } from '@bilevel/problems';
import type { ControlSystem } from '@bilevel/control';
import { FeaturePolicy } from '@bilevel/control';
import { checkHeader, finiteArray, readJsonFile } from './read-json-file';

export const POLICY_FORMAT = 'safe-control.policy';
export const POLICY_VERSION = 1;

/**
 * policy.json, version 1: a policy linear in monomial features, u_a = Σ_k theta[a·K + k] φ_k(x), with φ the
 * monomials of the state of degree 1…degree (and the constant 1 first when `constant`), in the order of
 * `features` (informative; rebuilt from degree and constant on reading).
 */
export interface PolicyFile {
  readonly format: typeof POLICY_FORMAT;
  readonly version: typeof POLICY_VERSION;
  readonly system: string;
  readonly kind: 'feature';
  readonly nx: number;
  readonly nu: number;
  readonly degree: number;
  readonly constant: boolean;
  readonly features: readonly string[];
  readonly theta: readonly number[];
}

/** The document written for (policy, θ) on `system`. */
export function policyDocument(system: ControlSystem, policy: FeaturePolicy, degree: number, constant: boolean, theta: Float64Array): PolicyFile {
  const features = policy.exponents.map((e) => e.map((p, i) => (p === 0 ? '' : p === 1 ? system.stateNames[i] : `${system.stateNames[i]}^${p}`)).filter((s) => s).join('*') || '1');
  return { format: POLICY_FORMAT, version: POLICY_VERSION, system: system.name, kind: 'feature', nx: system.nx, nu: system.nu, degree, constant, features, theta: Array.from(theta) };
}

/** Reads policy.json for `system`: every mismatch (format, version, system, sizes, non-finite θ) is an InputError. */
export function readPolicyFile(path: string, system: ControlSystem): { policy: FeaturePolicy; theta: Float64Array; degree: number; constant: boolean } {
  const d = checkHeader(readJsonFile(path), POLICY_FORMAT, POLICY_VERSION, system.name, path);
  if (d.kind !== 'feature') throw new InputError(`kind must be 'feature', received ${JSON.stringify(d.kind)}`, path);
  if (d.nx !== system.nx || d.nu !== system.nu) throw new InputError(`nx, nu must be ${system.nx}, ${system.nu} for '${system.name}', received ${JSON.stringify(d.nx)}, ${JSON.stringify(d.nu)}`, path);
  if (!Number.isInteger(d.degree) || (d.degree as number) < 1 || (d.degree as number) > 6) throw new InputError(`degree must be an integer in 1…6, received ${JSON.stringify(d.degree)}`, path);
  if (typeof d.constant !== 'boolean') throw new InputError(`constant must be true or false, received ${JSON.stringify(d.constant)}`, path);
  const degree = d.degree as number;
  const constant = d.constant;
  const policy = new FeaturePolicy(system.nx, system.nu, { degree, constant });
  const theta = Float64Array.from(finiteArray(d.theta, policy.nTheta, path, 'theta'));
  return { policy, theta, degree, constant };
}
