import { Rng } from '@bilevel/linalg';
import type { TensorLayout } from './tensor-layout';

/**
 * The start of a model's parameters z: a flat Float64Array in the layout of the parameters (copied), `'zeros'`, or
 * a seeded Glorot-uniform draw per weight tensor (Glorot & Bengio, AISTATS 2010): every tensor of rank ≥ 2 drawn from
 * U(−a, a) with a = gain·√(6 / (fanIn + fanOut)), where fanIn + fanOut = (s₀ + s₁)·(s₂·s₃·…) for a shape
 * [s₀, s₁, s₂, …] (a dense [in, out] matrix: in + out; a conv filter [out, in, kh, kw]: (out + in)·kh·kw), and
 * every tensor of rank 0 or 1 (biases, vectors, scales) zero. The draws follow the declared order from one
 * {@link Rng} of the seed.
 */
export type ModelInit = Float64Array | 'zeros' | { readonly kind: 'glorot-uniform'; readonly seed?: number; readonly gain?: number };

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

/** The flat initial parameters of `layout` from `init` (see {@link ModelInit}); `who`/`field` name the spec field in errors. */
export function initialParams(layout: TensorLayout, init: ModelInit, who = 'initialParams', field = 'init'): Float64Array {
  if (init instanceof Float64Array) {
    if (init.length !== layout.size) {
      throw new RangeError(`${who}: ${field} must hold the ${layout.size} parameters (${layout.names.join(', ')} in this order), received ${init.length} numbers`);
    }
    const bad = init.findIndex((c) => !Number.isFinite(c));
    if (bad >= 0) throw new RangeError(`${who}: ${field}[${bad}] is ${init[bad]}, expected a finite number`);
    return Float64Array.from(init);
  }
  const z = new Float64Array(layout.size);
  if (init === 'zeros') return z;
  if (init === null || typeof init !== 'object' || init.kind !== 'glorot-uniform') {
    throw new TypeError(`${who}: ${field} must be a Float64Array of ${layout.size} numbers, "zeros" or { kind: "glorot-uniform", seed?, gain? }, received ${describe(init)}`);
  }
  const seed = init.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${who}: ${field}.seed must be a safe integer, received ${describe(seed)}`);
  const gain = init.gain ?? 1;
  if (typeof gain !== 'number' || !Number.isFinite(gain) || gain <= 0) throw new RangeError(`${who}: ${field}.gain must be a positive number, received ${describe(gain)}`);
  const rng = Rng.fromSeed(seed);
  layout.shapes.forEach((shape, k) => {
    if (shape.length < 2) return;
    const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
    const a = gain * Math.sqrt(6 / ((shape[0] + shape[1]) * receptive));
    const off = layout.offsets[k];
    for (let i = 0; i < layout.sizes[k]; i++) z[off + i] = a * (2 * rng.float() - 1);
  });
  return z;
}
