import type { Matrix } from '@bilevel/linalg';
import { gemvRows, gemvRowsT } from '@bilevel/linalg';

/**
 * A prototype of the suggestion made by `bench autodiff`: automatic differentiation in float64 by a tape that is
 * recorded once and replayed, so an oracle call runs a fixed list of allocation-free loops over preallocated
 * Float64Arrays instead of dispatching tfjs ops one by one (≈ 10–70 µs each on the wasm backend here).
 *
 * Each node holds its value, a tangent (forward mode: the derivative along a direction), an adjoint (reverse mode)
 * and the tangent of the adjoint. One replay computes, for a scalar output s(z, x) and a direction (ż, ẋ):
 *   forward:       values, then tangents ṡ = ⟨∇s, (ż, ẋ)⟩;
 *   reverse:       adjoints z̄ = ∇_z s, x̄ = ∇_x s;
 *   reverse-of-tangent (forward-over-reverse, Pearlmutter, Neural Computation 1994): the tangents of the adjoints,
 *   z̄̇ = ∇²_zz s·ż + ∇²_zx s·ẋ and x̄̇ = ∇²_xz s·ż + ∇²_xx s·ẋ.
 * With ẋ = 0 and ż = v this is the HVP and the cross product of one pass, as tfjs's nested `grads` gives them.
 * Only the ops the logistic problem needs exist here; lengths of batch-dependent nodes follow the current batch.
 */
export interface TapeNode {
  readonly val: Float64Array;
  readonly dot: Float64Array;
  readonly bar: Float64Array;
  readonly bdot: Float64Array;
  /** Bit mask of the inputs this node depends on (bit i: the i-th input created). */
  readonly deps: number;
  /** Current length (≤ the buffers' length). */
  len(): number;
  fwd(): void;
  tan(): void;
  bwd(): void;
  btan(): void;
}

/** The batch the batch-dependent nodes read; set it before a replay. */
export interface BatchRef {
  batch: Int32Array;
}

/** A recorded tape: its nodes in creation order (a topological order). */
export class Tape {
  readonly nodes: TapeNode[] = [];
  private inputs = 0;

  private add(node: Omit<TapeNode, 'deps'>, ...from: TapeNode[]): TapeNode {
    const deps = from.length === 0 ? 1 << this.inputs++ : from.reduce((m, n) => m | n.deps, 0);
    const full = { ...node, deps };
    this.nodes.push(full);
    return full;
  }

  private buffers(cap: number) {
    return { val: new Float64Array(cap), dot: new Float64Array(cap), bar: new Float64Array(cap), bdot: new Float64Array(cap) };
  }

  /** A leaf: the caller writes its value (and tangent) before a replay. */
  input(n: number): TapeNode {
    if (this.inputs >= 30) throw new RangeError('Tape.input: at most 30 inputs');
    return this.add({ ...this.buffers(n), len: () => n, fwd() {}, tan() {}, bwd() {}, btan() {} });
  }

  /** t_k = M_{batch[k]} · u (u a node of length M.cols); linear in u. */
  gatherDot(M: Matrix, ref: BatchRef, u: TapeNode): TapeNode {
    const b = this.buffers(M.rows);
    return this.add({
      ...b,
      len: () => ref.batch.length,
      fwd: () => gemvRows(M, ref.batch, u.val, b.val),
      tan: () => gemvRows(M, ref.batch, u.dot, b.dot),
      bwd: () => gemvRowsT(1, M, ref.batch, b.bar, 1, u.bar),
      btan: () => gemvRowsT(1, M, ref.batch, b.bdot, 1, u.bdot),
    }, u);
  }

  /** r_k = c · y[batch[k]] · t_k: elementwise product with gathered constants (the labels), times c. */
  scaleGathered(y: Float64Array, c: number, ref: BatchRef, t: TapeNode): TapeNode {
    const b = this.buffers(t.val.length);
    const len = () => ref.batch.length;
    const lin = (src: Float64Array, dst: Float64Array) => {
      const bt = ref.batch;
      for (let k = 0; k < bt.length; k++) dst[k] = c * y[bt[k]] * src[k];
    };
    const linT = (src: Float64Array, dst: Float64Array) => {
      const bt = ref.batch;
      for (let k = 0; k < bt.length; k++) dst[k] += c * y[bt[k]] * src[k];
    };
    return this.add({ ...b, len, fwd: () => lin(t.val, b.val), tan: () => lin(t.dot, b.dot), bwd: () => linT(b.bar, t.bar), btan: () => linT(b.bdot, t.bdot) }, t);
  }

  /** s = softplus(u) = log(1 + e^u), elementwise; s' = σ(u), s'' = σ(u)(1 − σ(u)). One exp per element. */
  softplus(u: TapeNode): TapeNode {
    const b = this.buffers(u.val.length);
    const sig = new Float64Array(u.val.length);
    return this.add({
      ...b,
      len: () => u.len(),
      fwd: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) {
          const m = u.val[k];
          const e = Math.exp(-Math.abs(m));
          b.val[k] = (m > 0 ? m : 0) + Math.log1p(e);
          sig[k] = m >= 0 ? 1 / (1 + e) : e / (1 + e);
        }
      },
      tan: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) b.dot[k] = sig[k] * u.dot[k];
      },
      bwd: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) u.bar[k] += sig[k] * b.bar[k];
      },
      btan: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) u.bdot[k] += sig[k] * (1 - sig[k]) * u.dot[k] * b.bar[k] + sig[k] * b.bdot[k];
      },
    }, u);
  }

  /** Scalar c · Σ_k u_k (c = 1/n for a mean: pass `mean` to divide by the current length). */
  sum(u: TapeNode, c: number | 'mean'): TapeNode {
    const b = this.buffers(1);
    const scale = () => (c === 'mean' ? 1 / u.len() : c);
    const red = (src: Float64Array) => {
      const n = u.len();
      let s = 0;
      for (let k = 0; k < n; k++) s += src[k];
      return scale() * s;
    };
    const spread = (src: number, dst: Float64Array) => {
      const n = u.len();
      const w = scale() * src;
      for (let k = 0; k < n; k++) dst[k] += w;
    };
    return this.add({
      ...b,
      len: () => 1,
      fwd: () => void (b.val[0] = red(u.val)),
      tan: () => void (b.dot[0] = red(u.dot)),
      bwd: () => spread(b.bar[0], u.bar),
      btan: () => spread(b.bdot[0], u.bdot),
    }, u);
  }

  /** e = exp(u), elementwise. */
  exp(u: TapeNode): TapeNode {
    const b = this.buffers(u.val.length);
    return this.add({
      ...b,
      len: () => u.len(),
      fwd: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) b.val[k] = Math.exp(u.val[k]);
      },
      tan: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) b.dot[k] = b.val[k] * u.dot[k];
      },
      bwd: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) u.bar[k] += b.val[k] * b.bar[k];
      },
      btan: () => {
        const n = u.len();
        for (let k = 0; k < n; k++) u.bdot[k] += b.val[k] * (u.dot[k] * b.bar[k] + b.bdot[k]);
      },
    }, u);
  }

  /** r = a ⊙ q, with a of length 1 (broadcast) or of q's length. */
  mul(a: TapeNode, q: TapeNode): TapeNode {
    const b = this.buffers(q.val.length);
    return this.add({
      ...b,
      len: () => q.len(),
      fwd: () => {
        const n = q.len();
        if (a.len() === 1) for (let k = 0; k < n; k++) b.val[k] = a.val[0] * q.val[k];
        else for (let k = 0; k < n; k++) b.val[k] = a.val[k] * q.val[k];
      },
      tan: () => {
        const n = q.len();
        if (a.len() === 1) for (let k = 0; k < n; k++) b.dot[k] = a.dot[0] * q.val[k] + a.val[0] * q.dot[k];
        else for (let k = 0; k < n; k++) b.dot[k] = a.dot[k] * q.val[k] + a.val[k] * q.dot[k];
      },
      bwd: () => {
        const n = q.len();
        if (a.len() === 1) {
          let s = 0;
          for (let k = 0; k < n; k++) {
            q.bar[k] += a.val[0] * b.bar[k];
            s += q.val[k] * b.bar[k];
          }
          a.bar[0] += s;
        } else {
          for (let k = 0; k < n; k++) {
            q.bar[k] += a.val[k] * b.bar[k];
            a.bar[k] += q.val[k] * b.bar[k];
          }
        }
      },
      btan: () => {
        const n = q.len();
        if (a.len() === 1) {
          let s = 0;
          for (let k = 0; k < n; k++) {
            q.bdot[k] += a.dot[0] * b.bar[k] + a.val[0] * b.bdot[k];
            s += q.dot[k] * b.bar[k] + q.val[k] * b.bdot[k];
          }
          a.bdot[0] += s;
        } else {
          for (let k = 0; k < n; k++) {
            q.bdot[k] += a.dot[k] * b.bar[k] + a.val[k] * b.bdot[k];
            a.bdot[k] += q.dot[k] * b.bar[k] + q.val[k] * b.bdot[k];
          }
        }
      },
    }, a, q);
  }

  /** Scalar a + b. */
  add2(a: TapeNode, c: TapeNode): TapeNode {
    const b = this.buffers(1);
    return this.add({
      ...b,
      len: () => 1,
      fwd: () => void (b.val[0] = a.val[0] + c.val[0]),
      tan: () => void (b.dot[0] = a.dot[0] + c.dot[0]),
      bwd: () => {
        a.bar[0] += b.bar[0];
        c.bar[0] += b.bar[0];
      },
      btan: () => {
        a.bdot[0] += b.bdot[0];
        c.bdot[0] += b.bdot[0];
      },
    }, a, c);
  }

  /**
   * Replays the tape for the output `out`: values; with `order` ≥ 1 the adjoints; with `order` 2 also tangents and
   * their adjoints. `wrt` (a mask of inputs, default all) is activity analysis: the reverse passes skip the nodes that
   * depend on none of the inputs asked for (their adjoints cannot reach them), and when `out` depends on none of them
   * the derivatives are structurally zero and nothing runs but the zeroing of the inputs' adjoints. Returns false
   * in that case.
   */
  replay(out: TapeNode, order: 0 | 1 | 2, wrt = -1): boolean {
    const nodes = this.nodes;
    if (order > 0 && (out.deps & wrt) === 0) {
      for (const n of nodes) {
        if (n.deps !== 0 && (n.deps & (n.deps - 1)) === 0) {
          n.bar.fill(0);
          n.bdot.fill(0);
        }
      }
      return false;
    }
    for (let i = 0; i < nodes.length; i++) nodes[i].fwd();
    if (order === 0) return true;
    if (order === 2) for (let i = 0; i < nodes.length; i++) nodes[i].tan();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      const len = n.len();
      n.bar.fill(0, 0, len);
      if (order === 2) n.bdot.fill(0, 0, len);
    }
    out.bar[0] = 1;
    for (let i = nodes.length - 1; i >= 0; i--) if ((nodes[i].deps & wrt) !== 0) nodes[i].bwd();
    if (order === 2) for (let i = nodes.length - 1; i >= 0; i--) if ((nodes[i].deps & wrt) !== 0) nodes[i].btan();
    return true;
  }
}
