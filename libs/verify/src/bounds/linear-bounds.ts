/**
 * CROWN-style linear bound propagation (Zhang, Weng, Chen, Hsieh, Daniel, "Efficient Neural Network Robustness
 * Certification with General Activation Functions", NeurIPS 2018; the auto_LiRPA generalization to graphs: Xu et
 * al., NeurIPS 2020), in float64 with sound rounding.
 *
 * For a node f and a sign s = ±1, start from s·f ≤ 1·(s·f) and substitute nodes backwards, last to first:
 *
 *     Σ_k λ_k v_k + c   with   v_j = Σ_i w_i v_{a_i} + b  (linear nodes: exact substitution),
 *                               a_L v_a + b_L ≤ φ(v_a) ≤ a_U v_a + b_U  (unary nodes: the upper line if λ_j > 0,
 *                                                                         the lower one if λ_j < 0, ./relaxation),
 *                               McCormick planes for v_a·v_b (McCormick, Math. Prog. 1976),
 *
 * until only inputs are left: s·f(x) ≤ Λ·x + c on the box, then sup over the box of Λ·x + c. Rounding is handled so
 * the inequality stays true in exact arithmetic: constants accumulate rounded upward, and each coefficient rounding
 * error e (exact from TwoSum/TwoProduct, or bounded) is moved into the constant as |e|·max|v_k| using the node's
 * sound interval. The final concretization is done in upward-rounded arithmetic too.
 *
 * The relaxation of a unary node needs an interval for its argument: from interval propagation (`intermediate:
 * 'interval'`) or, by default, from a backward pass for that argument too (`'crown'`, the full CROWN; each node's
 * interval is the intersection of both). The returned bound of each output is intersected with its interval bound.
 *
 * Hand example (anchors.md): relu(x₁−x₂) − relu(2x₁−x₂) on x₁ ∈ [−1, 2], x₂ ∈ [−2, 1]: interval [−6, 4], this [−3, 3],
 * true range [−2, 1].
 */
import { knownKeys } from '../validate-options';
import type { Box } from './box';
import { checkedBox } from './box';
import type { Graph, NodeId } from './expr-graph';
import { nodeArgs } from './expr-graph';
import type { Interval } from './interval';
import { intersect } from './interval';
import { nodeInterval } from './interval-bounds';
import type { Relaxation } from './relaxation';
import { relaxUnary } from './relaxation';
import { addUp, mulDown, mulUp } from './rounding';

/** A linear function of the inputs, x ↦ coeffs·x + constant. */
export interface LinearFunction {
  readonly coeffs: Float64Array;
  readonly constant: number;
}

/** Bounds of one node: lower(x) ≤ f(x) ≤ upper(x) for all x in the box, and the resulting interval. */
export interface NodeLinearBound {
  readonly node: NodeId;
  /** The linear bounds concretized over the box, intersected with the interval pass. */
  readonly bound: Interval;
  /** The linear bounds concretized over the box alone. */
  readonly linearRange: Interval;
  readonly lower: LinearFunction;
  readonly upper: LinearFunction;
}

/** Options of {@link linearBounds}. */
export interface LinearBoundsOptions {
  /** Nodes to bound; default the graph's outputs. */
  readonly nodes?: readonly NodeId[];
  /** Where the arguments of unary nodes get their intervals; default 'crown'. */
  readonly intermediate?: 'crown' | 'interval';
}

/** What {@link linearBounds} returns: sound intervals of the nodes and linear bounds of the requested ones. */
export interface LinearBoundsResult {
  /** A sound interval of every node (refined by backward passes where they were computed). */
  readonly nodeBounds: Interval[];
  /** One entry per requested node, in the requested order. */
  readonly outputs: NodeLinearBound[];
}

function magnitude(b: Interval): number {
  return Math.max(-b.lo, b.hi);
}

/** Rounding error of s = fl(a + b), exact. */
function sumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

/** An upper bound on |a·b − fl(a·b)|. */
function prodErrBound(a: number, b: number, p: number): number {
  if (a === 0 || b === 0) return 0;
  return Math.max(Math.abs(mulUp(a, b) - p), Math.abs(p - mulDown(a, b)));
}

interface Backward {
  coeffs: Float64Array;
  constant: number;
}

/** s·v_target ≤ coeffs·x + constant over the box (exact reals), for s = ±1. */
function backward(graph: Graph, bounds: readonly Interval[], relax: readonly (Relaxation | undefined)[], target: NodeId, s: number): Backward {
  const lam = new Float64Array(target + 1);
  lam[target] = s;
  const coeffs = new Float64Array(graph.nInputs);
  let c = 0;
  /** A coefficient overflowed: the error terms are no longer exact, so give up on a finite bound. */
  let blown = false;
  const addC = (v: number) => {
    c = addUp(c, v);
  };
  /** λ_k += δ, where δ = fl(l·w) had product error ≤ perr; both errors go into c through |v_k| ≤ M_k. */
  const acc = (k: NodeId, l: number, w: number) => {
    const d = l * w;
    const perr = prodErrBound(l, w, d);
    const sum = lam[k] + d;
    if (!Number.isFinite(sum)) blown = true;
    const serr = Math.abs(sumErr(lam[k], d, sum));
    lam[k] = sum;
    if (perr > 0 || serr > 0) addC(mulUp(addUp(perr, serr), magnitude(bounds[k])));
  };
  for (let j = target; j >= 0; j--) {
    const l = lam[j];
    if (l === 0) continue;
    const node = graph.nodes[j];
    switch (node.op) {
      case 'input': {
        const sum = coeffs[node.index] + l;
        if (!Number.isFinite(sum)) blown = true;
        const serr = Math.abs(sumErr(coeffs[node.index], l, sum));
        coeffs[node.index] = sum;
        if (serr > 0) addC(mulUp(serr, magnitude(bounds[j])));
        break;
      }
      case 'const': addC(mulUp(l, node.value)); break;
      case 'add': acc(node.a, l, 1); acc(node.b, l, 1); break;
      case 'sub': acc(node.a, l, 1); acc(node.b, l, -1); break;
      case 'scale': acc(node.a, l, node.c); break;
      case 'affine':
        for (let i = 0; i < node.args.length; i++) acc(node.args[i], l, node.coeffs[i]);
        addC(mulUp(l, node.bias));
        break;
      case 'mul': {
        if (node.a === node.b) {
          const r = relax[j]!;
          acc(node.a, l, l > 0 ? r.upperSlope : r.lowerSlope);
          addC(mulUp(l, l > 0 ? r.upperIntercept : r.lowerIntercept));
          break;
        }
        const A = bounds[node.a];
        const B = bounds[node.b];
        const ma = A.lo + (A.hi - A.lo) / 2;
        const mb = B.lo + (B.hi - B.lo) / 2;
        // McCormick: plane (wa, wb, pa, pb) means v_a·v_b vs wa·v_a + wb·v_b − pa·pb.
        let wa: number, wb: number, pa: number, pb: number;
        if (l > 0) {
          // upper planes: ub·a + la·b − la·ub  or  lb·a + ua·b − ua·lb; pick the lower at the midpoint
          const v1 = B.hi * ma + A.lo * mb - A.lo * B.hi;
          const v2 = B.lo * ma + A.hi * mb - A.hi * B.lo;
          [wa, wb, pa, pb] = v1 <= v2 ? [B.hi, A.lo, A.lo, B.hi] : [B.lo, A.hi, A.hi, B.lo];
        } else {
          // lower planes: lb·a + la·b − la·lb  or  ub·a + ua·b − ua·ub; pick the higher at the midpoint
          const v1 = B.lo * ma + A.lo * mb - A.lo * B.lo;
          const v2 = B.hi * ma + A.hi * mb - A.hi * B.hi;
          [wa, wb, pa, pb] = v1 >= v2 ? [B.lo, A.lo, A.lo, B.lo] : [B.hi, A.hi, A.hi, B.hi];
        }
        acc(node.a, l, wa);
        acc(node.b, l, wb);
        // l·(−pa·pb) rounded up, with pa·pb enclosed in [mulDown, mulUp]
        const pLo = mulDown(pa, pb);
        const pHi = mulUp(pa, pb);
        addC(Math.max(mulUp(-l, pLo), mulUp(-l, pHi)));
        break;
      }
      default: {
        const r = relax[j];
        if (!r) throw new Error(`linearBounds: no relaxation for node ${j} (${node.op})`);
        acc(node.a, l, l > 0 ? r.upperSlope : r.lowerSlope);
        addC(mulUp(l, l > 0 ? r.upperIntercept : r.lowerIntercept));
      }
    }
  }
  return { coeffs, constant: blown ? Infinity : c };
}

/** sup over the box of coeffs·x + constant, rounded up. */
function supOver(f: Backward, box: Box): number {
  let s = f.constant;
  for (let i = 0; i < f.coeffs.length; i++) {
    const a = f.coeffs[i];
    if (a !== 0) s = addUp(s, Math.max(mulUp(a, box.lo[i]), mulUp(a, box.hi[i])));
  }
  return s;
}

function needsRelaxation(op: string): boolean {
  return op !== 'input' && op !== 'const' && op !== 'add' && op !== 'sub' && op !== 'scale' && op !== 'affine';
}

/** Linear (and interval) bounds of the requested nodes of `graph` over `box`. */
export function linearBounds(graph: Graph, box: Box, options: LinearBoundsOptions = {}): LinearBoundsResult {
  const fn = 'linearBounds';
  knownKeys(fn, options, ['nodes', 'intermediate']);
  const b = checkedBox(fn, 'box', box, graph.nInputs);
  const targets = options.nodes ?? graph.outputs.map((o) => o.node);
  targets.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= graph.size) throw new RangeError(`${fn}: nodes[${i}] must be a node id in [0, ${graph.size}), received ${String(t)}`);
  });
  const mode = options.intermediate ?? 'crown';
  if (mode !== 'crown' && mode !== 'interval') throw new RangeError(`${fn}: intermediate must be 'crown' or 'interval', received ${String(mode)}`);

  const n = graph.size;
  const wanted = new Uint8Array(n);
  if (mode === 'crown') {
    graph.nodes.forEach((node) => {
      if (needsRelaxation(node.op)) for (const a of nodeArgs(node)) wanted[a] = 1;
    });
  }
  const isTarget = new Uint8Array(n);
  for (const t of targets) isTarget[t] = 1;

  const bounds: Interval[] = [];
  const relax: (Relaxation | undefined)[] = [];
  const results = new Map<NodeId, NodeLinearBound>();
  for (let j = 0; j < n; j++) {
    const node = graph.nodes[j];
    let ib = nodeInterval(node, bounds, b);
    bounds.push(ib);
    if (node.op === 'mul' ? node.a === node.b : needsRelaxation(node.op)) {
      const a = node.op === 'mul' ? node.a : (node as { a: NodeId }).a;
      relax.push(relaxUnary(node.op === 'mul' ? { op: 'pow', a, k: 2 } : node, bounds[a], ib));
    } else relax.push(undefined);
    if (node.op === 'input' || node.op === 'const' || !(wanted[j] || isTarget[j])) continue;
    const up = backward(graph, bounds, relax, j, 1);
    const dn = backward(graph, bounds, relax, j, -1);
    const hi = supOver(up, b);
    const lo = -supOver(dn, b);
    const linearRange = { lo: lo === lo ? lo : -Infinity, hi: hi === hi ? hi : Infinity };
    ib = intersect(ib, linearRange);
    bounds[j] = ib;
    if (isTarget[j]) {
      results.set(j, {
        node: j,
        bound: ib,
        linearRange,
        upper: { coeffs: up.coeffs, constant: up.constant },
        lower: { coeffs: dn.coeffs.map((v) => -v), constant: -dn.constant },
      });
    }
  }
  const outputs = targets.map((t) => {
    const r = results.get(t);
    if (r) return r;
    // inputs and constants: exact linear functions
    const node = graph.nodes[t];
    const coeffs = new Float64Array(graph.nInputs);
    if (node.op === 'input') coeffs[node.index] = 1;
    const constant = node.op === 'const' ? node.value : 0;
    return { node: t, bound: bounds[t], linearRange: bounds[t], upper: { coeffs, constant }, lower: { coeffs: coeffs.slice(), constant } };
  });
  return { nodeBounds: bounds, outputs };
}

