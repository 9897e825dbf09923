import { FWD_D1, FWD_D2, FWD_VALUE, YDOT_LIVE } from './node-codes';
import type { ReplayContext } from './node-codes';
import type { TapeNode } from './tape-nodes';

/** What a {@link ReplayPlan} computes, see {@link Tape.plan}. */
export interface ReplayPlanOptions {
  /** 0: the output's value; 1: adjoints ∂s/∂w (in `w.bar`); 2: adjoint tangents ∇²_{w·}s·u̇ (in `w.bdot`). */
  readonly order: 0 | 1 | 2;
  /** Inputs w whose adjoints (order 1) or adjoint tangents (order 2) are wanted. */
  readonly wrt?: readonly TapeNode[];
  /** Order 2: the inputs whose `dot` the caller fills (the direction); every other input has tangent zero. */
  readonly direction?: readonly TapeNode[];
}

const maskOf = (inputs: readonly TapeNode[]) => inputs.reduce((m, n) => m | n.deps, 0n);

/**
 * a[0..n) = 0: a plain loop for short vectors (TypedArray.prototype.fill costs ~50 ns a call on them, measured), fill
 * (a memset) for long ones, which the loop clears at a third of its speed.
 */
function clear(a: Float64Array, n: number): void {
  if (n > 64) a.fill(0, 0, n);
  else for (let j = 0; j < n; j++) a[j] = 0;
}

/**
 * A replay schedule fixed at planning time by activity analysis (Griewank & Walther, "Evaluating Derivatives",
 * SIAM 2008, §6): of the four sweeps (values, tangents, adjoints, adjoint tangents) it keeps, node by node, only what
 * the requested result reads:
 *   - adjoint tangents on the nodes between the output and `wrt`, where a second-order source (a live tangent
 *     entering a nonlinear node) or a non-zero ȳ̇ makes them non-zero;
 *   - adjoints on `wrt` (order 1) or where a nonlinear node's reverse-tangent rule reads ȳ (order 2), and on every
 *     node between those and the output;
 *   - tangents where a reverse-tangent rule reads them, and on what they depend on;
 *   - values where a nonlinear rule reads them, and on what they depend on.
 * So an HVP skips the transposed data product of the adjoint sweep, a cross product whose x enters only a
 * regularizer never touches the data, and a gradient with respect to an input the output does not depend on is
 * zero-filled without a sweep. One replay runs a forward sweep (value and tangent of each node in one call, fused
 * for data products) and one reverse sweep (adjoint and adjoint tangent together), over index lists built here:
 * no allocation per replay.
 */
export class ReplayPlan {
  readonly order: 0 | 1 | 2;
  /** The output does not depend on `wrt`: the result is zero and a replay only clears it. */
  readonly structurallyZero: boolean;
  private readonly nodes: readonly TapeNode[];
  private readonly out: TapeNode;
  private readonly ctx: ReplayContext;
  private readonly capacity: number;
  private readonly batchedIdx: Int32Array;
  private readonly fwdIdx: Int32Array;
  private readonly fwdMode: Int32Array;
  private readonly fwdTan: Int32Array;
  private readonly revIdx: Int32Array;
  private readonly revBar: Int32Array;
  private readonly revBdot: Int32Array;
  private readonly revTan: Int32Array;
  private readonly revBarSet: Int32Array;
  private readonly revBdotSet: Int32Array;
  private readonly zeroBar: Int32Array;
  private readonly zeroBdot: Int32Array;

  /** `capacity`: the most samples a batch may hold (the batched buffers' length), Infinity for a tape without data. */
  constructor(nodes: readonly TapeNode[], out: TapeNode, ctx: ReplayContext, capacity: number, options: ReplayPlanOptions) {
    this.nodes = nodes;
    this.out = out;
    this.ctx = ctx;
    this.capacity = capacity;
    const order = options.order;
    this.order = order;
    const wrt = options.wrt ?? [];
    const N = nodes.length;
    const o = out.id;
    const wrtMask = maskOf(wrt);
    const dirMask = order === 2 ? maskOf(options.direction ?? []) : 0n;

    const reach = new Uint8Array(N);
    reach[o] = 1;
    for (let i = o; i >= 0; i--) if (reach[i]) for (const a of nodes[i].args) reach[a.id] = 1;
    const activeW = (i: number) => order > 0 && reach[i] === 1 && (nodes[i].deps & wrtMask) !== 0n;
    const live = (n: TapeNode) => (n.deps & dirMask) !== 0n;
    const liveMask = (n: TapeNode) => n.args.reduce((m, a, j) => (live(a) ? m | (1 << j) : m), 0);
    this.structurallyZero = order > 0 && !activeW(o);

    // adjoint tangents: descending, from the output (ȳ̇ = 0) down
    const bdotNz = new Uint8Array(N);
    const bdotMask = new Int32Array(N);
    const readsBar = new Uint8Array(N);
    if (order === 2 && !this.structurallyZero) {
      for (let i = o; i >= 0; i--) {
        const n = nodes[i];
        if (!activeW(i)) continue;
        const tm = liveMask(n);
        n.args.forEach((a, j) => {
          if (!activeW(a.id)) return;
          const source = n.secondOrderSource(j, tm);
          if (source || bdotNz[i]) {
            bdotMask[i] |= 1 << j;
            bdotNz[a.id] = 1;
            if (source) readsBar[i] = 1;
          }
        });
        if (bdotMask[i] !== 0 && bdotNz[i]) bdotMask[i] |= YDOT_LIVE;
      }
    }
    // adjoints: base set, then every consumer on the way to the output (ascending: operands first)
    const needBar = new Uint8Array(N);
    if (order === 1 && !this.structurallyZero) for (const w of wrt) if (activeW(w.id)) needBar[w.id] = 1;
    if (order === 2) for (let i = 0; i < N; i++) if (readsBar[i]) needBar[i] = 1;
    const barMask = new Int32Array(N);
    for (let i = 0; i <= o; i++) {
      if (!reach[i]) continue;
      nodes[i].args.forEach((a, j) => {
        if (needBar[a.id]) {
          needBar[i] = 1;
          barMask[i] |= 1 << j;
        }
      });
    }
    // tangents: read by the second-order terms of reverse-tangent rules, and by the tangents they depend on
    const needDot = new Uint8Array(N);
    for (let i = o; i >= 0; i--) {
      const n = nodes[i];
      if (readsBar[i] || needDot[i]) for (const a of n.args) if (live(a)) needDot[a.id] = 1;
    }
    // values: read by nonlinear rules (operands' values; an operation's own derivative caches, computed from its
    // operands), and by the values they depend on
    const needVal = new Uint8Array(N);
    const mode = new Int32Array(N);
    const tanOf = (i: number) => (needDot[i] && live(nodes[i]) && nodes[i].args.length > 0 ? liveMask(nodes[i]) : 0);
    if (order === 0) needVal[o] = 1;
    for (let i = o; i >= 0; i--) {
      const n = nodes[i];
      const tan = tanOf(i) !== 0;
      if (!n.linear && (tan || barMask[i] !== 0 || bdotMask[i] !== 0)) {
        if (n.ownForward) {
          mode[i] |= FWD_D1;
          if (bdotMask[i] !== 0 && liveMask(n) !== 0) mode[i] |= FWD_D2;
        }
        for (const a of n.args) needVal[a.id] = 1;
      }
      if (needVal[i]) {
        mode[i] |= FWD_VALUE;
        for (const a of n.args) needVal[a.id] = 1;
      }
    }

    // views share their operand's buffers: nothing to run
    const runs = (n: TapeNode) => !n.view && n.kind !== 'input' && n.kind !== 'constant';
    const fwd: number[] = [];
    const fwdMode: number[] = [];
    const fwdTan: number[] = [];
    for (let i = 0; i <= o; i++) {
      const n = nodes[i];
      const tan = tanOf(i);
      const m = mode[i];
      if (runs(n) && (m !== 0 || tan !== 0)) {
        fwd.push(i);
        fwdMode.push(m);
        fwdTan.push(tan);
      }
    }
    const rev: number[] = [];
    for (let i = o; i >= 0; i--) if (runs(nodes[i]) && (barMask[i] !== 0 || bdotMask[i] !== 0)) rev.push(i);
    // The first rule of the reverse sweep that writes a buffer (a view writes its operand's) assigns it when it can
    // (it writes every entry once, and the operand is not also another operand of the same node): that buffer is not
    // cleared first. Every other adjoint buffer the sweep reads or returns is cleared, and its writers add into it.
    const root = (n: TapeNode): number => {
      let r = n;
      while (r.view) r = r.a;
      return r.id;
    };
    const barWritten = new Uint8Array(N);
    const bdotWritten = new Uint8Array(N);
    const barAssigned = new Uint8Array(N);
    const bdotAssigned = new Uint8Array(N);
    const barSet: number[] = [];
    const bdotSet: number[] = [];
    for (const i of rev) {
      const n = nodes[i];
      const roots = n.args.map(root);
      let bs = 0;
      let ds = 0;
      roots.forEach((r, j) => {
        const can = roots.indexOf(r) === j && roots.lastIndexOf(r) === j && n.assigns(j);
        if ((barMask[i] & (1 << j)) !== 0) {
          if (!barWritten[r] && can) {
            bs |= 1 << j;
            barAssigned[r] = 1;
          }
          barWritten[r] = 1;
        }
        if ((bdotMask[i] & (1 << j)) !== 0) {
          if (!bdotWritten[r] && can) {
            ds |= 1 << j;
            bdotAssigned[r] = 1;
          }
          bdotWritten[r] = 1;
        }
      });
      barSet.push(bs);
      bdotSet.push(ds);
    }
    const zeroBar: number[] = [];
    const zeroBdot: number[] = [];
    for (let i = 0; i < N; i++) {
      const isWrt = order > 0 && wrt.some((w) => w.id === i);
      const r = root(nodes[i]);
      if ((needBar[i] || (order === 1 && isWrt)) && !barAssigned[r] && !zeroBar.includes(r)) zeroBar.push(r);
      if (((order === 2 && activeW(i)) || (order === 2 && isWrt)) && !bdotAssigned[r] && !zeroBdot.includes(r)) zeroBdot.push(r);
    }

    this.batchedIdx = Int32Array.from(nodes.filter((n) => n.batched).map((n) => n.id));
    this.fwdIdx = Int32Array.from(fwd);
    this.fwdMode = Int32Array.from(fwdMode);
    this.fwdTan = Int32Array.from(fwdTan);
    this.revIdx = Int32Array.from(rev);
    this.revBar = Int32Array.from(rev, (i) => barMask[i]);
    this.revBdot = Int32Array.from(rev, (i) => bdotMask[i]);
    this.revTan = Int32Array.from(rev, (i) => liveMask(nodes[i]));
    this.revBarSet = Int32Array.from(barSet);
    this.revBdotSet = Int32Array.from(bdotSet);
    this.zeroBar = Int32Array.from(zeroBar);
    this.zeroBdot = Int32Array.from(zeroBdot);
  }

  /** Nodes whose forward rule runs, and whose reverse rule runs (for tests and cost estimates). */
  get work(): { readonly forward: number; readonly reverse: number } {
    return { forward: this.fwdIdx.length, reverse: this.revIdx.length };
  }

  /**
   * Replays for `batch` (sample indices into the tape's data, at least one; their range is not checked here, their
   * count is: at most the tape's capacity). The caller has written the inputs' `val` (and the direction's `dot`); the
   * results are in the output's `val` (order 0), the wrt inputs' `bar` (order 1) or `bdot` (order 2).
   */
  run(batch: Int32Array): void {
    const nodes = this.nodes;
    const m = batch.length;
    if (m > this.capacity) throw new RangeError(`ReplayPlan.run: the batch holds ${m} samples, more than the tape's capacity ${this.capacity} (Tape option maxBatch)`);
    this.ctx.batch = batch;
    this.ctx.size = m;
    const bi = this.batchedIdx;
    for (let k = 0; k < bi.length; k++) {
      const n = nodes[bi[k]];
      n.n = m * n.inner;
    }
    const zb = this.zeroBar;
    for (let k = 0; k < zb.length; k++) {
      const n = nodes[zb[k]];
      clear(n.bar, n.n);
    }
    const zd = this.zeroBdot;
    for (let k = 0; k < zd.length; k++) {
      const n = nodes[zd[k]];
      clear(n.bdot, n.n);
    }
    if (this.structurallyZero) return;
    const f = this.fwdIdx;
    const fm = this.fwdMode;
    const ft = this.fwdTan;
    for (let k = 0; k < f.length; k++) nodes[f[k]].forward(fm[k], ft[k]);
    if (this.order === 0) return;
    this.out.bar[0] = 1;
    const r = this.revIdx;
    const rb = this.revBar;
    const rd = this.revBdot;
    const rt = this.revTan;
    const rbs = this.revBarSet;
    const rds = this.revBdotSet;
    for (let k = 0; k < r.length; k++) nodes[r[k]].reverse(rb[k], rd[k], rt[k], rbs[k], rds[k]);
  }
}
