import type { Tape, TapeVar } from '@bilevel/autodiff';
import { fixedPointCondition } from './fixed-point-condition';
import { gradientCondition } from './gradient-condition';
import type { OptimalityCondition } from './optimality-condition';
import { dimension } from './optimality-condition';

/** A condition recorded once, evaluated at any point (z*, x) — and batch, for a loss over data. */
export type ConditionAt = (z: Float64Array, x: Float64Array, batch?: Int32Array) => OptimalityCondition;

/** A scalar inner loss g(z, x) recorded on the float64 tape engine of @bilevel/autodiff. */
export interface TapeGradientSpec {
  /** A fresh, open Tape (`new Tape()` from @bilevel/autodiff): the adapter records on it and closes it. */
  readonly tape: Tape;
  readonly dimZ: number;
  readonly dimX: number;
  /** g(z, x) as a scalar tape value (a mean over the batch for a loss over data). */
  readonly g: (t: Tape, z: TapeVar, x: TapeVar) => TapeVar;
  /** Whether ∇²_zz g is positive definite at the points used. Default true. */
  readonly definite?: boolean;
}

/** A fixed-point map T(z, x) (unbatched, dimZ values) recorded on the tape engine. */
export interface TapeFixedPointSpec {
  /** A fresh, open Tape: the adapter records ⟨T(z, x), u⟩ on it with u a third input, and closes it. */
  readonly tape: Tape;
  readonly dimZ: number;
  readonly dimX: number;
  readonly T: (t: Tape, z: TapeVar, x: TapeVar) => TapeVar;
  /** ∂_zT is symmetric. Default false. */
  readonly symmetric?: boolean;
}

function check(fn: string, what: string, a: Float64Array, n: number): void {
  if (!(a instanceof Float64Array) || a.length !== n) throw new RangeError(`${fn}: ${what} must be a Float64Array of length ${n}, received ${a instanceof Float64Array ? `length ${a.length}` : typeof a}`);
}

function fullBatchOf(t: Tape): Int32Array {
  return Int32Array.from({ length: t.samples ?? 1 }, (_, i) => i);
}

/**
 * The engine adapter of {@link gradientCondition}: records g on the tape once and plans its second-order replays
 * (forward-over-reverse, Pearlmutter 1994): hvp = ∇²_zz g·v (plan order 2, wrt z, direction z) and cross =
 * ∇²_xz g·u (wrt x, direction z). The returned function gives the condition at (z*, x) on `batch` (default: every
 * sample of the tape's data); each product loads z*, x into the tape, so conditions from one recording may be used
 * one after the other, not interleaved with other replays of the same tape. Only types are imported from
 * @bilevel/autodiff: the solvers do not load the engine, the caller's `new Tape()` does.
 *
 * @example const at = tapeGradientCondition({ tape: new Tape(), dimZ, dimX, g: (t, z, x) => loss(t, z, x) }); implicitVjp(at(zStar, x), w)
 */
export function tapeGradientCondition(spec: TapeGradientSpec): ConditionAt {
  const fn = 'tapeGradientCondition';
  const dimZ = dimension(fn, 'dimZ', spec.dimZ);
  const dimX = dimension(fn, 'dimX', spec.dimX);
  if (typeof spec.g !== 'function') throw new RangeError(`${fn}: g must be a function (tape, z, x) => scalar, received ${typeof spec.g}`);
  const t = spec.tape;
  const z = t.input(dimZ, 'z');
  const x = t.input(dimX, 'x');
  t.output(spec.g(t, z, x));
  const hvp = t.plan({ order: 2, wrt: [z], direction: [z] });
  const cross = t.plan({ order: 2, wrt: [x], direction: [z] });
  const full = fullBatchOf(t);
  return (zs, xs, batch = full) => {
    check(fn, 'z', zs, dimZ);
    check(fn, 'x', xs, dimX);
    const load = (v: Float64Array) => {
      z.val.set(zs);
      x.val.set(xs);
      z.dot.set(v);
    };
    return gradientCondition({
      dimZ,
      dimX,
      definite: spec.definite ?? true,
      hvp: (v, out) => {
        load(v);
        hvp.run(batch);
        out.set(z.bdot);
      },
      cross: (u, out) => {
        load(u);
        cross.run(batch);
        out.set(x.bdot);
      },
    });
  };
}

/**
 * The engine adapter of {@link fixedPointCondition}: records s = ⟨T(z, x), u⟩ with u a third input, so that one
 * reverse sweep gives ∂_zTᵀu (z's adjoint) or ∂_xTᵀu (x's), and a forward-over-reverse sweep with direction z gives
 * ∂_zT·v (u's adjoint tangent, ∇²_{uz}s·v), the product normal-equation CG needs. Same use as
 * {@link tapeGradientCondition}.
 *
 * @example const at = tapeFixedPointCondition({ tape: new Tape(), dimZ, dimX, T: (t, z, x) => t.tanh(layer(t, z, x)) }); implicitVjp(at(zStar, x), w)
 */
export function tapeFixedPointCondition(spec: TapeFixedPointSpec): ConditionAt {
  const fn = 'tapeFixedPointCondition';
  const dimZ = dimension(fn, 'dimZ', spec.dimZ);
  const dimX = dimension(fn, 'dimX', spec.dimX);
  if (typeof spec.T !== 'function') throw new RangeError(`${fn}: T must be a function (tape, z, x) => a vector of length dimZ, received ${typeof spec.T}`);
  const t = spec.tape;
  const z = t.input(dimZ, 'z');
  const x = t.input(dimX, 'x');
  const u = t.input(dimZ, 'u');
  const Tzx = spec.T(t, z, x);
  if (Tzx.batched || Tzx.size !== dimZ) throw new RangeError(`${fn}: T must give ${dimZ} unbatched values, received shape [${Tzx.shape.join(', ')}]${Tzx.batched ? ' (batched)' : ''}`);
  t.output(t.dot(t.reshape(Tzx, [dimZ]), u));
  const vjpZ = t.plan({ order: 1, wrt: [z] });
  const vjpX = t.plan({ order: 1, wrt: [x] });
  const jvpZ = t.plan({ order: 2, wrt: [u], direction: [z] });
  const full = fullBatchOf(t);
  return (zs, xs, batch = full) => {
    check(fn, 'z', zs, dimZ);
    check(fn, 'x', xs, dimX);
    const load = (w: Float64Array) => {
      z.val.set(zs);
      x.val.set(xs);
      u.val.set(w);
    };
    return fixedPointCondition({
      dimZ,
      dimX,
      symmetric: spec.symmetric ?? false,
      vjpZ: (w, out) => {
        load(w);
        vjpZ.run(batch);
        out.set(z.bar);
      },
      vjpX: (w, out) => {
        load(w);
        vjpX.run(batch);
        out.set(x.bar);
      },
      jvpZ: (v, out) => {
        // ∇²_{uz}s·v = ∂_zT·v does not depend on u's value
        z.val.set(zs);
        x.val.set(xs);
        z.dot.set(v);
        jvpZ.run(batch);
        out.set(u.bdot);
      },
    });
  };
}
