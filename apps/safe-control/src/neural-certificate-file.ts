import { InputError } from '@bilevel/io';
import type { ControlSystem } from '@bilevel/control';
import { BarrierMlp, neuralBarrierTerms } from '@bilevel/control';
import { CERTIFICATE_FORMAT, CERTIFICATE_VERSION } from './certificate-file';
import { checkHeader, finiteArray, readJsonFile } from './read-json-file';
import { checkStatedTerms } from './stated-terms';
import { NEURAL_VERIFICATION } from './neural-setup';

/** Largest hidden width and number of hidden layers accepted from a file. */
export const MAX_BARRIER_WIDTH = 1024;
export const MAX_BARRIER_HIDDEN_LAYERS = 16;

/** The conditions a neural barrier is proved to satisfy (the system's terms.neural; see barrierConditions). */
export interface NeuralConditions {
  /** Decay a ∈ [0, 1]: B(x⁺) ≤ (1 − a) B(x) wherever B(x) ≤ 0 on D × A. */
  readonly decay: number;
  /** ε > 0: B ≥ ε on the unsafe ball. */
  readonly unsafeMargin: number;
}

/** The verifier budget the certificate was proved with: `verify`'s own ({@link NEURAL_VERIFICATION}). */
export interface NeuralVerification {
  /** Branch-and-bound boxes per condition. */
  readonly maxBoxes: number;
  /** State cells per dimension (verifyBarrier's `cells`). */
  readonly cells: number;
}

/**
 * certificate.json, version 1, kind 'neural': a barrier MLP B_ψ (BarrierMlp of libs/control) with tanh hidden layers
 * and a linear output, z₀ = x, z_{l+1} = tanh(W_l z_l + b_l), B = W_L z_L + b_L, `sizes` = [nx, hidden…, 1],
 * `layers[l]` = {weights: W_l row-major (out × in), bias: b_l}. It certifies safety of the Euler closed loop
 * x⁺ = x + Δt f(x, π_θ(x); α) for every α in the system's parameter box with the conditions
 *
 *   B ≤ 0 on X₀,  B ≥ ε on Xᵤ,  and on D × A where B(x) ≤ 0:  B(x⁺) ≤ (1 − a) B(x)  and  x⁺ ∈ D,
 *
 * D = `domain`, ε = conditions.unsafeMargin, a = conditions.decay: the system's terms (`terms.neural`), stated for
 * the reader; then S = {x ∈ D : B(x) ≤ 0} contains X₀, misses Xᵤ and is forward invariant. `verify` re-proves them
 * by branch and bound (verifyBarrier) with its own budget (`verification` states it). `domain`, `conditions` and
 * `verification` are optional: a file that states values other than the system's (and the verifier's) is refused,
 * and nothing in the file is trusted as a verdict or as a term.
 */
export interface NeuralCertificateFile {
  readonly format: typeof CERTIFICATE_FORMAT;
  readonly version: typeof CERTIFICATE_VERSION;
  readonly system: string;
  readonly kind: 'neural';
  readonly certificate: 'barrier';
  readonly nx: number;
  readonly sizes: readonly number[];
  readonly activation: 'tanh';
  readonly layers: readonly { readonly weights: readonly number[]; readonly bias: readonly number[] }[];
  readonly domain?: { readonly lo: readonly number[]; readonly hi: readonly number[] };
  readonly conditions?: NeuralConditions;
  readonly verification?: NeuralVerification;
}

/** What a neural certificate file holds, rebuilt: the barrier and its weights ψ (the terms are the system's). */
export interface NeuralCertificate {
  readonly barrier: BarrierMlp;
  readonly psi: Float64Array;
}

/** The document written for the barrier (barrier, ψ) of `system`, stating the system's terms and the verifier's budget. */
export function neuralCertificateDocument(system: ControlSystem, cert: NeuralCertificate): NeuralCertificateFile {
  const terms = neuralBarrierTerms(system, 'neuralCertificateDocument');
  return {
    format: CERTIFICATE_FORMAT,
    version: CERTIFICATE_VERSION,
    system: system.name,
    kind: 'neural',
    certificate: 'barrier',
    nx: system.nx,
    sizes: [...cert.barrier.sizes],
    activation: 'tanh',
    layers: cert.barrier.layers(cert.psi).map((l) => ({ weights: Array.from(l.weights), bias: Array.from(l.bias) })),
    domain: { lo: [...terms.domain.lo], hi: [...terms.domain.hi] },
    conditions: { decay: terms.decay, unsafeMargin: terms.unsafeMargin },
    verification: { ...NEURAL_VERIFICATION },
  };
}

/** The `kind` of a certificate file (to dispatch between the polynomial and the neural reader); file errors are InputErrors. */
export function certificateKind(path: string): unknown {
  const d = readJsonFile(path);
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>).kind : undefined;
}

/**
 * Reads a neural certificate.json for `system`: the barrier and ψ. Every mismatch is an InputError naming the file and
 * field, and so is a stated domain, decay, margin or budget that differs from the system's terms (and the verifier's
 * budget).
 */
export function readNeuralCertificateFile(path: string, system: ControlSystem): NeuralCertificate {
  const d = checkHeader(readJsonFile(path), CERTIFICATE_FORMAT, CERTIFICATE_VERSION, system.name, path);
  if (d.kind !== 'neural') throw new InputError(`kind must be 'neural', received ${JSON.stringify(d.kind)}`, path);
  if (system.certificate !== 'barrier' || system.unsafe === null) throw new InputError(`a neural certificate is a barrier, and '${system.name}' needs a ${system.certificate} certificate`, path);
  if (d.certificate !== 'barrier') throw new InputError(`certificate must be 'barrier', received ${JSON.stringify(d.certificate)}`, path);
  if (d.nx !== system.nx) throw new InputError(`nx must be ${system.nx} for '${system.name}', received ${JSON.stringify(d.nx)}`, path);
  if (d.activation !== 'tanh') throw new InputError(`activation must be 'tanh', received ${JSON.stringify(d.activation)}`, path);
  const sizes = finiteArray(d.sizes, null, path, 'sizes');
  const hidden = sizes.slice(1, -1);
  if (sizes.length < 3 || sizes[0] !== system.nx || sizes[sizes.length - 1] !== 1 || hidden.length > MAX_BARRIER_HIDDEN_LAYERS || hidden.some((h) => !Number.isInteger(h) || h < 1 || h > MAX_BARRIER_WIDTH)) {
    throw new InputError(`sizes must be [${system.nx}, hidden widths (1 to ${MAX_BARRIER_HIDDEN_LAYERS} integers in 1…${MAX_BARRIER_WIDTH}), 1], received ${JSON.stringify(d.sizes)}`, path);
  }
  const barrier = new BarrierMlp(system.nx, { hidden });
  if (!Array.isArray(d.layers) || d.layers.length !== sizes.length - 1) throw new InputError(`layers must be an array of ${sizes.length - 1} {weights, bias}, received ${Array.isArray(d.layers) ? d.layers.length : typeof d.layers}`, path);
  const psi = new Float64Array(barrier.nPsi);
  let off = 0;
  d.layers.forEach((layer: unknown, l: number) => {
    const r = layer as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object') throw new InputError(`layers[${l}] must be an object {weights, bias}`, path);
    const w = finiteArray(r.weights, sizes[l] * sizes[l + 1], path, `layers[${l}].weights`);
    const b = finiteArray(r.bias, sizes[l + 1], path, `layers[${l}].bias`);
    psi.set(w, off);
    psi.set(b, off + w.length);
    off += w.length + b.length;
  });
  const terms = neuralBarrierTerms(system, 'readNeuralCertificateFile');
  const top = (d.domain === undefined ? {} : { domain: d.domain }) as Record<string, unknown>;
  checkStatedTerms(top, 'certificate', { domain: terms.domain }, `the system '${system.name}'`, path);
  if (d.conditions !== undefined) checkStatedTerms(d.conditions, 'conditions', { decay: terms.decay, unsafeMargin: terms.unsafeMargin }, `the system '${system.name}'`, path);
  if (d.verification !== undefined) checkStatedTerms(d.verification, 'verification', { ...NEURAL_VERIFICATION }, 'the verifier (its own budget)', path);
  return { barrier, psi };
}
