import { InputError } from '@bilevel/io';
import type { ControlSystem, Policy } from '@bilevel/control';
import { FeaturePolicy, MlpPolicy } from '@bilevel/control';
import { checkHeader, finiteArray, readJsonFile } from './read-json-file';

export const POLICY_FORMAT = 'safe-control.policy';
export const POLICY_VERSION = 1;
/** Largest hidden width and number of hidden layers accepted in an MLP policy file. */
export const MAX_MLP_WIDTH = 1024;
export const MAX_MLP_HIDDEN_LAYERS = 16;

/**
 * policy.json, version 1, kind 'feature' (the polynomial track, and PJ on the neural track): a policy linear in
 * monomial features, u_a = Σ_k theta[a·K + k] φ_k(x), with φ the monomials of the state of degree 1…degree (and
 * the constant 1 first when `constant`), in the order of `features` (informative; rebuilt from degree and constant
 * on reading).
 */
export interface FeaturePolicyFile {
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

/**
 * policy.json, version 1, kind 'mlp' (the neural track's MLP policies, MlpPolicy of libs/control):
 * z₀ = x, z_{l+1} = σ(W_l z_l + b_l) on hidden layers, u = W_L z_L + b_L, or squash · tanh(W_L z_L + b_L) when
 * `squash` is a number; `sizes` = [nx, hidden…, nu]; θ = W_0 (row-major, out × in), b_0, W_1, b_1, … .
 * Files of kind 'feature' written before this kind existed read unchanged.
 */
export interface MlpPolicyFile {
  readonly format: typeof POLICY_FORMAT;
  readonly version: typeof POLICY_VERSION;
  readonly system: string;
  readonly kind: 'mlp';
  readonly nx: number;
  readonly nu: number;
  readonly sizes: readonly number[];
  readonly activation: 'tanh' | 'relu';
  readonly squash: number | null;
  readonly theta: readonly number[];
}

export type PolicyFile = FeaturePolicyFile | MlpPolicyFile;

/** The document written for (policy, θ) on `system`: kind 'feature' for a FeaturePolicy, 'mlp' for an MlpPolicy. */
export function policyDocument(system: ControlSystem, policy: FeaturePolicy, degree: number, constant: boolean, theta: Float64Array): FeaturePolicyFile {
  const features = policy.exponents.map((e) => e.map((p, i) => (p === 0 ? '' : p === 1 ? system.stateNames[i] : `${system.stateNames[i]}^${p}`)).filter((s) => s).join('*') || '1');
  return { format: POLICY_FORMAT, version: POLICY_VERSION, system: system.name, kind: 'feature', nx: system.nx, nu: system.nu, degree, constant, features, theta: Array.from(theta) };
}

/** The document written for an MLP policy and its θ on `system`. */
export function mlpPolicyDocument(system: ControlSystem, policy: MlpPolicy, theta: Float64Array): MlpPolicyFile {
  return {
    format: POLICY_FORMAT,
    version: POLICY_VERSION,
    system: system.name,
    kind: 'mlp',
    nx: system.nx,
    nu: system.nu,
    sizes: [...policy.sizes],
    activation: policy.activation,
    squash: policy.squash,
    theta: Array.from(theta),
  };
}

/** The document for either kind of policy the app trains. */
export function anyPolicyDocument(system: ControlSystem, policy: Policy, theta: Float64Array): PolicyFile {
  if (policy instanceof MlpPolicy) return mlpPolicyDocument(system, policy, theta);
  if (policy instanceof FeaturePolicy) {
    const degrees = policy.exponents.map((e) => e.reduce((a, b) => a + b, 0));
    return policyDocument(system, policy, Math.max(...degrees), degrees.includes(0), theta);
  }
  throw new RangeError('anyPolicyDocument: policy must be a FeaturePolicy or an MlpPolicy');
}

/** What a policy file holds, rebuilt. */
export interface ReadPolicy {
  readonly kind: 'feature' | 'mlp';
  readonly policy: Policy;
  readonly theta: Float64Array;
}

/** Reads policy.json for `system`: every mismatch (format, version, system, kind, sizes, non-finite θ) is an InputError. */
export function readPolicyFile(path: string, system: ControlSystem): ReadPolicy {
  const d = checkHeader(readJsonFile(path), POLICY_FORMAT, POLICY_VERSION, system.name, path);
  if (d.kind !== 'feature' && d.kind !== 'mlp') throw new InputError(`kind must be 'feature' or 'mlp', received ${JSON.stringify(d.kind)}`, path);
  if (d.nx !== system.nx || d.nu !== system.nu) throw new InputError(`nx, nu must be ${system.nx}, ${system.nu} for '${system.name}', received ${JSON.stringify(d.nx)}, ${JSON.stringify(d.nu)}`, path);
  if (d.kind === 'mlp') {
    const sizes = finiteArray(d.sizes, null, path, 'sizes');
    const hidden = sizes.slice(1, -1);
    if (sizes.length < 3 || sizes[0] !== system.nx || sizes[sizes.length - 1] !== system.nu || hidden.length > MAX_MLP_HIDDEN_LAYERS || hidden.some((h) => !Number.isInteger(h) || h < 1 || h > MAX_MLP_WIDTH)) {
      throw new InputError(`sizes must be [${system.nx}, hidden widths (1 to ${MAX_MLP_HIDDEN_LAYERS} integers in 1…${MAX_MLP_WIDTH}), ${system.nu}], received ${JSON.stringify(d.sizes)}`, path);
    }
    if (d.activation !== 'tanh' && d.activation !== 'relu') throw new InputError(`activation must be 'tanh' or 'relu', received ${JSON.stringify(d.activation)}`, path);
    if (d.squash !== null && !(typeof d.squash === 'number' && Number.isFinite(d.squash) && d.squash > 0)) throw new InputError(`squash must be null or a finite number > 0, received ${JSON.stringify(d.squash)}`, path);
    const policy = new MlpPolicy(system.nx, system.nu, { hidden, activation: d.activation, ...(d.squash !== null ? { squash: d.squash } : {}) });
    return { kind: 'mlp', policy, theta: Float64Array.from(finiteArray(d.theta, policy.nTheta, path, 'theta')) };
  }
  if (!Number.isInteger(d.degree) || (d.degree as number) < 1 || (d.degree as number) > 6) throw new InputError(`degree must be an integer in 1…6, received ${JSON.stringify(d.degree)}`, path);
  if (typeof d.constant !== 'boolean') throw new InputError(`constant must be true or false, received ${JSON.stringify(d.constant)}`, path);
  const policy = new FeaturePolicy(system.nx, system.nu, { degree: d.degree as number, constant: d.constant });
  return { kind: 'feature', policy, theta: Float64Array.from(finiteArray(d.theta, policy.nTheta, path, 'theta')) };
}
