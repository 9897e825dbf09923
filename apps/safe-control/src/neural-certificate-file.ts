import { InputError } from '@bilevel/problems';
import type { Box, ControlSystem } from '@bilevel/control';
import { BarrierMlp } from '@bilevel/control';
import { CERTIFICATE_FORMAT, CERTIFICATE_VERSION } from './certificate-file';
import { checkHeader, finiteArray, readJsonFile } from './read-json-file';

/** Largest hidden width, number of hidden layers, branch-and-bound boxes and cells accepted from a file. */
export const MAX_BARRIER_WIDTH = 1024;
export const MAX_BARRIER_HIDDEN_LAYERS = 16;
export const MAX_FILE_BOXES = 1_000_000;
export const MAX_FILE_CELLS = 64;

/** The conditions a neural barrier is proved to satisfy (see barrierConditions of libs/control). */
export interface NeuralConditions {
  /** Decay a ∈ [0, 1]: B(x⁺) ≤ (1 − a) B(x) wherever B(x) ≤ 0 on D × A. */
  readonly decay: number;
  /** ε > 0: B ≥ ε on the unsafe ball. */
  readonly unsafeMargin: number;
}

/** The verifier budget the certificate was proved with (re-used by `verify`). */
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
 * D = `domain` (the box actually verified, which contains X₀), ε = conditions.unsafeMargin, a = conditions.decay;
 * then S = {x ∈ D : B(x) ≤ 0} contains X₀, misses Xᵤ and is forward invariant. `verify` re-proves them by branch
 * and bound (verifyBarrier) with the budget in `verification`; nothing in the file is trusted as a verdict.
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
  readonly domain: { readonly lo: readonly number[]; readonly hi: readonly number[] };
  readonly conditions: NeuralConditions;
  readonly verification: NeuralVerification;
}

/** What a neural certificate file holds, rebuilt. */
export interface NeuralCertificate {
  readonly barrier: BarrierMlp;
  readonly psi: Float64Array;
  readonly domain: Box;
  readonly conditions: NeuralConditions;
  readonly verification: NeuralVerification;
}

/** The document written for the barrier (barrier, ψ) of `system`, proved on `domain`. */
export function neuralCertificateDocument(system: ControlSystem, cert: NeuralCertificate): NeuralCertificateFile {
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
    domain: { lo: [...cert.domain.lo], hi: [...cert.domain.hi] },
    conditions: { decay: cert.conditions.decay, unsafeMargin: cert.conditions.unsafeMargin },
    verification: { maxBoxes: cert.verification.maxBoxes, cells: cert.verification.cells },
  };
}

/** The `kind` of a certificate file (to dispatch between the polynomial and the neural reader); file errors are InputErrors. */
export function certificateKind(path: string): unknown {
  const d = readJsonFile(path);
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>).kind : undefined;
}

/** Reads a neural certificate.json for `system`; every mismatch is an InputError naming the file and field. */
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
  const dom = d.domain as Record<string, unknown> | null;
  if (dom === null || typeof dom !== 'object') throw new InputError('domain must be an object {lo, hi}', path);
  const lo = finiteArray(dom.lo, system.nx, path, 'domain.lo');
  const hi = finiteArray(dom.hi, system.nx, path, 'domain.hi');
  const { centre, radius } = system.initial;
  if (lo.some((l, i) => !(l < hi[i]) || l > centre[i] - radius || hi[i] < centre[i] + radius)) {
    throw new InputError(`domain must be a box with lo < hi that contains the initial ball's bounding box, received lo=[${lo}], hi=[${hi}]`, path);
  }
  const c = d.conditions as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object') throw new InputError('conditions must be an object {decay, unsafeMargin}', path);
  const [decay, unsafeMargin] = finiteArray([c.decay, c.unsafeMargin], 2, path, 'conditions{decay,unsafeMargin}');
  if (!(decay >= 0 && decay <= 1) || !(unsafeMargin > 0)) throw new InputError(`conditions.decay must be in [0, 1] and unsafeMargin > 0, received ${decay}, ${unsafeMargin}`, path);
  const v = d.verification as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object') throw new InputError('verification must be an object {maxBoxes, cells}', path);
  const [maxBoxes, cells] = finiteArray([v.maxBoxes, v.cells], 2, path, 'verification{maxBoxes,cells}');
  if (!Number.isInteger(maxBoxes) || maxBoxes < 1 || maxBoxes > MAX_FILE_BOXES || !Number.isInteger(cells) || cells < 1 || cells > MAX_FILE_CELLS) {
    throw new InputError(`verification.maxBoxes must be an integer in 1…${MAX_FILE_BOXES} and cells in 1…${MAX_FILE_CELLS}, received ${maxBoxes}, ${cells}`, path);
  }
  return { barrier, psi, domain: { lo, hi }, conditions: { decay, unsafeMargin }, verification: { maxBoxes, cells } };
}
