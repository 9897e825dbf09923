import type { TapeVar } from '../tape/tape';
import type { ReplayPlan } from '../tape/replay-plan';
import type { RecordedLoss } from './record-loss';
import type { TensorLayout } from './tensor-layout';

/** Copies the flat `src` into the inputs' values (`field` 0) or tangents (1), tensor k from `offsets[k]`. */
function scatter(vars: readonly TapeVar[], offsets: Int32Array, src: Float64Array, field: 0 | 1): void {
  if (vars.length === 1) {
    (field === 0 ? vars[0].val : vars[0].dot).set(src);
    return;
  }
  for (let k = 0; k < vars.length; k++) {
    const dst = field === 0 ? vars[k].val : vars[k].dot;
    const o = offsets[k];
    for (let i = 0, len = dst.length; i < len; i++) dst[i] = src[o + i];
  }
}

/**
 * Writes (first chunk) or adds the inputs' adjoints (`field` 0) or adjoint tangents (1), scaled by w, into the flat
 * `out`; w = 1 on the first chunk is a plain copy.
 */
function gather(vars: readonly TapeVar[], offsets: Int32Array, out: Float64Array, field: 0 | 1, w: number, first: boolean): void {
  if (first && w === 1 && vars.length === 1) {
    out.set(field === 0 ? vars[0].bar : vars[0].bdot);
    return;
  }
  for (let k = 0; k < vars.length; k++) {
    const src = field === 0 ? vars[k].bar : vars[k].bdot;
    const o = offsets[k];
    const len = src.length;
    if (first && w === 1) for (let i = 0; i < len; i++) out[o + i] = src[i];
    else if (first) for (let i = 0; i < len; i++) out[o + i] = w * src[i];
    else for (let i = 0; i < len; i++) out[o + i] += w * src[i];
  }
}

/**
 * The oracles of one recorded loss (inner g or outer f) over flat z, x and batches of sample indices: arguments
 * checked (lengths, indices, messages naming `problem.oracle`), z and x (and a direction v) copied into the tape's
 * inputs tensor by tensor, one replay of the oracle's plan, the result copied into the caller's buffer. A batch longer
 * than the tape's capacity runs in consecutive chunks of at most that many samples whose means are combined with
 * weights |chunk|/|batch|: exact for a loss that is a mean of per-sample terms plus batch-independent ones (the
 * contract of every oracle), up to the rounding of the sums' order. No allocation per call (a chunk is a view of one
 * index buffer, cached by length). Not re-entrant: the tape's buffers are shared by all its oracles.
 */
export class LossOracles {
  private readonly scratch: Int32Array;
  private readonly views: (Int32Array | undefined)[] = [];
  private readonly zOff: Int32Array;
  private readonly xOff: Int32Array;
  private readonly dimZ: number;
  private readonly dimX: number;

  constructor(
    private readonly L: RecordedLoss,
    private readonly problem: string,
    params: TensorLayout,
    hyper: TensorLayout,
  ) {
    this.scratch = new Int32Array(Math.min(L.capacity, L.samples));
    this.zOff = Int32Array.from(params.offsets);
    this.xOff = Int32Array.from(hyper.offsets);
    this.dimZ = params.size;
    this.dimX = hyper.size;
  }

  private fail(oracle: string, what: string): never {
    throw new RangeError(`${this.problem}.${oracle}: ${what}`);
  }

  private vec(oracle: string, arg: string, a: Float64Array, n: number): void {
    if (!(a instanceof Float64Array) || a.length !== n) {
      this.fail(oracle, `${arg} must be a Float64Array of length ${n}, received ${a instanceof Float64Array ? `length ${a.length}` : typeof a}`);
    }
  }

  /** Checks z, x and the batch, and loads z and x into the tape. */
  private load(oracle: string, z: Float64Array, x: Float64Array, batch: Int32Array): void {
    const L = this.L;
    this.vec(oracle, 'z', z, this.dimZ);
    this.vec(oracle, 'x', x, this.dimX);
    const n = L.samples;
    if (!(batch instanceof Int32Array) || batch.length === 0 || batch.length > n) {
      this.fail(oracle, `batch must be an Int32Array of 1..${n} sample indices, received ${batch instanceof Int32Array ? `length ${batch.length}` : typeof batch}`);
    }
    for (let k = 0; k < batch.length; k++) {
      const j = batch[k];
      if (j < 0 || j >= n) this.fail(oracle, `batch[${k}] = ${j} is outside 0..${n - 1}`);
    }
    scatter(L.params, this.zOff, z, 0);
    scatter(L.hypers, this.xOff, x, 0);
  }

  /** Checks v and loads it as the tangent of the parameters. */
  private direction(oracle: string, v: Float64Array): void {
    this.vec(oracle, 'v', v, this.dimZ);
    scatter(this.L.params, this.zOff, v, 1);
  }

  /** The batch's samples start..start+len as an index array of length len (a cached view of one buffer). */
  private chunk(batch: Int32Array, start: number, len: number): Int32Array {
    let view = this.views[len];
    if (view === undefined) {
      view = this.scratch.subarray(0, len);
      this.views[len] = view;
    }
    for (let k = 0; k < len; k++) view[k] = batch[start + k];
    return view;
  }

  /** The mean loss over the batch. */
  value(oracle: string, z: Float64Array, x: Float64Array, batch: Int32Array): number {
    this.load(oracle, z, x, batch);
    const L = this.L;
    const m = batch.length;
    const cap = L.capacity;
    if (m <= cap) {
      L.value.run(batch);
      return L.out.val[0];
    }
    let s = 0;
    for (let start = 0; start < m; start += cap) {
      const len = Math.min(cap, m - start);
      L.value.run(this.chunk(batch, start, len));
      s += (len / m) * L.out.val[0];
    }
    return s;
  }

  /** out ← the gradient of the mean loss in z (`wrt` 0) or in x (1). */
  grad(oracle: string, wrt: 0 | 1, z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.vec(oracle, 'out', out, wrt === 0 ? this.dimZ : this.dimX);
    this.load(oracle, z, x, batch);
    const L = this.L;
    const plan = wrt === 0 ? L.gradZ : L.gradX;
    const vars = wrt === 0 ? L.params : L.hypers;
    const offs = wrt === 0 ? this.zOff : this.xOff;
    this.sweep(plan, batch, vars, offs, out, 0, null, null, null);
  }

  /** out ← ∇²_zz·v (`which` 0) or ∇²_xz·v (1) of the mean loss. */
  second(oracle: string, which: 0 | 1, z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.vec(oracle, 'out', out, which === 0 ? this.dimZ : this.dimX);
    this.load(oracle, z, x, batch);
    this.direction(oracle, v);
    const L = this.L;
    const plan = which === 0 ? L.hvp : L.cross;
    const vars = which === 0 ? L.params : L.hypers;
    const offs = which === 0 ? this.zOff : this.xOff;
    this.sweep(plan, batch, vars, offs, out, 1, null, null, null);
  }

  /** outHvp ← ∇²_zz·v and outCross ← ∇²_xz·v from one forward-over-reverse sweep (per chunk). */
  both(oracle: string, z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, outHvp: Float64Array, outCross: Float64Array): void {
    this.vec(oracle, 'outHvp', outHvp, this.dimZ);
    this.vec(oracle, 'outCross', outCross, this.dimX);
    this.load(oracle, z, x, batch);
    this.direction(oracle, v);
    const L = this.L;
    this.sweep(L.hvpCross, batch, L.params, this.zOff, outHvp, 1, L.hypers, this.xOff, outCross);
  }

  /** Replays `plan` over the batch (in chunks beyond the capacity) and collects the inputs' results into out (and out2). */
  private sweep(
    plan: ReplayPlan,
    batch: Int32Array,
    vars: readonly TapeVar[],
    offs: Int32Array,
    out: Float64Array,
    field: 0 | 1,
    vars2: readonly TapeVar[] | null,
    offs2: Int32Array | null,
    out2: Float64Array | null,
  ): void {
    const m = batch.length;
    const cap = this.L.capacity;
    if (m <= cap) {
      plan.run(batch);
      gather(vars, offs, out, field, 1, true);
      if (vars2 !== null && offs2 !== null && out2 !== null) gather(vars2, offs2, out2, field, 1, true);
      return;
    }
    for (let start = 0; start < m; start += cap) {
      const len = Math.min(cap, m - start);
      plan.run(this.chunk(batch, start, len));
      gather(vars, offs, out, field, len / m, start === 0);
      if (vars2 !== null && offs2 !== null && out2 !== null) gather(vars2, offs2, out2, field, len / m, start === 0);
    }
  }
}
