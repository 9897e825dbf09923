import type { LogregHpo } from '@bilevel/problems';
import type { BatchRef, TapeNode } from './tape-ad';
import { Tape } from './tape-ad';

/**
 * The logreg-hpo oracles (scalar or per-feature L2 weight) by the recorded-tape AD of tape-ad.ts: the same functions
 * as logreg-autodiff.ts,
 *   g_B(z, x) = mean_{j∈B} softplus(−y_j a_jᵀz) + ½ Σ_k e^{x_k} z_k²,   f_B(z) = mean_{i∈B} softplus(−y_i b_iᵀz),
 * recorded once (two tapes) and replayed per call in float64, each oracle asking only for the input it returns
 * (activity analysis: outerGradX is structurally zero, innerCross reverses only the regularizer's nodes). Every other
 * member comes from the analytic problem
 * (evaluation, inner solves). A prototype for `bench autodiff`, not a library part.
 */
export function tapeLogreg(analytic: LogregHpo): LogregHpo {
  const d = analytic.dimZ;
  const build = (withReg: boolean) => {
    const tape = new Tape();
    const ref: BatchRef = { batch: new Int32Array(0) };
    const z = tape.input(d);
    const x = tape.input(analytic.dimX);
    const M = withReg ? analytic.A : analytic.B;
    const y = withReg ? analytic.yA : analytic.yB;
    const loss = tape.sum(tape.softplus(tape.scaleGathered(y, -1, ref, tape.gatherDot(M, ref, z))), 'mean');
    let out: TapeNode = loss;
    if (withReg) out = tape.add2(loss, tape.sum(tape.mul(tape.exp(x), tape.mul(z, z)), 0.5));
    return { tape, ref, z, x, out };
  };
  const g = build(true);
  const f = build(false);
  type Built = typeof g;
  const load = (t: Built, z: Float64Array, x: Float64Array, batch: Int32Array) => {
    t.z.val.set(z);
    t.x.val.set(x);
    t.ref.batch = batch;
  };
  const firstOrder = (t: Built, z: Float64Array, x: Float64Array, batch: Int32Array, wrt: TapeNode) => {
    load(t, z, x, batch);
    t.tape.replay(t.out, 1, wrt.deps);
  };
  const secondOrder = (t: Built, z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, wrt: TapeNode) => {
    load(t, z, x, batch);
    t.z.dot.set(v);
    t.x.dot.fill(0);
    t.tape.replay(t.out, 2, wrt.deps);
  };
  const p = Object.create(analytic) as LogregHpo;
  Object.assign(p, {
    innerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      load(g, z, x, batch);
      g.tape.replay(g.out, 0);
      return g.out.val[0];
    },
    outerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      load(f, z, x, batch);
      f.tape.replay(f.out, 0);
      return f.out.val[0];
    },
    innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      firstOrder(g, z, x, batch, g.z);
      out.set(g.z.bar);
    },
    innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      firstOrder(g, z, x, batch, g.x);
      out.set(g.x.bar);
    },
    outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      firstOrder(f, z, x, batch, f.z);
      out.set(f.z.bar);
    },
    outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      firstOrder(f, z, x, batch, f.x);
      out.set(f.x.bar);
    },
    innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      secondOrder(g, z, x, v, batch, g.z);
      out.set(g.z.bdot);
    },
    innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      secondOrder(g, z, x, v, batch, g.x);
      out.set(g.x.bdot);
    },
  });
  return p;
}
