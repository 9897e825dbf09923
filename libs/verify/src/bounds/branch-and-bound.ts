/**
 * Branch-and-bound verification of
 *
 *     ∀ x ∈ B with g_j(x) ≤ 0 for all j :  f(x) ≤ −margin
 *
 * for nodes f, g_j of a {@link Graph} (margin = 0 proves f ≤ 0; margin > 0 proves the strict f < 0 with room to
 * spare). Best-first over input boxes, as in α,β-CROWN's input splitting (Wang, Zhang, Xu, Lin, Jana, Hsieh, Kolter,
 * NeurIPS 2021; Bunel et al., JMLR 2020): each box is bounded by {@link linearBounds}; it is closed when the upper
 * bound of f is ≤ −margin (verified there) or the lower bound of some g_j is > 0 (no point of the set there);
 * otherwise falsification is tried on it (centre, seeded uniform samples, a few projected sign-gradient ascent steps
 * on f − ρ·Σ max(g_j, 0) with central finite differences), and it waits in a priority queue keyed by its upper bound
 * of f. The box with the largest bound is split in two along the widest side (relative to B) or the side with the
 * largest relative width weighted by the bound sensitivity, w_i/W_i·(1 + |∂U/∂x_i|·w_i / max_k |∂U/∂x_k|·w_k)
 * (default).
 *
 * A counterexample is reported only when certified: the interval pass at the point x itself must show f(x) > −margin
 * and g_j(x) ≤ 0, so rounding in the plain float evaluation cannot make it spurious. `verified` is a proof (sound
 * bounds on every leaf box); `unknown` returns the open boxes when the budget (boxes, seconds, depth) runs out.
 * Deterministic for a seed unless `maxSeconds` cuts the run. A `signal` is read before each box is split: once it is
 * aborted the run throws its reason (an `AbortError`), so a Ctrl-C ends a long verification at the next box.
 *
 * Example: `verifyBranchAndBound(g, { objective: f, constraints: [h], box: { lo: [-2, -2], hi: [2, 2] } })`.
 */
import { Rng } from '@bilevel/linalg';
import { knownKeys, nonNegativeInteger, positiveInteger } from '../validate-options';
import type { Box } from './box';
import { checkedBox } from './box';
import { evaluate } from './evaluate';
import type { Graph, NodeId } from './expr-graph';
import { intervalBounds } from './interval-bounds';
import { linearBounds } from './linear-bounds';
import { MaxHeap } from './max-heap';
import type { StopSignal } from './stop-signal';
import { checkedStopSignal, throwIfStopped } from './stop-signal';

/** Options of {@link verifyBranchAndBound}: the property (objective, constraints, box, margin) and the budget. */
export interface BranchAndBoundOptions {
  /** The node f that must be ≤ −margin. */
  readonly objective: NodeId;
  /** Nodes g_j; the property is only required where all g_j ≤ 0. Default none. */
  readonly constraints?: readonly NodeId[];
  /** The input box B. */
  readonly box: { readonly lo: ArrayLike<number>; readonly hi: ArrayLike<number> };
  /** Prove f ≤ −margin; default 0. */
  readonly margin?: number;
  /** Budget: boxes bounded, default 20,000. */
  readonly maxBoxes?: number;
  /** Budget: wall-clock seconds, default ∞. */
  readonly maxSeconds?: number;
  /** Boxes at this depth are not split further (left unresolved), default 60. */
  readonly maxDepth?: number;
  /** Seed of the falsification samples, default 0. */
  readonly seed?: number;
  /** Default 'sensitivity'. */
  readonly split?: 'widest' | 'sensitivity';
  /** Uniform samples per box, default 4. */
  readonly samplesPerBox?: number;
  /** Ascent steps per box, default 5. */
  readonly ascentSteps?: number;
  /** Intermediate bounds of the bound propagation, default 'crown'. */
  readonly intermediate?: 'crown' | 'interval';
  /** Clock in seconds for maxSeconds, default performance.now() / 1000. */
  readonly now?: () => number;
  /** Read before the root and before each split; once aborted the run throws its reason (an `AbortError`). */
  readonly signal?: StopSignal;
}

/** A box left open, with its bound of f. */
export interface OpenBox {
  readonly box: Box;
  readonly upperBound: number;
  readonly depth: number;
}

/** What a {@link verifyBranchAndBound} run did: boxes bounded and split, depth reached, seconds. */
export interface BranchAndBoundStats {
  /** Boxes bounded (the root included). */
  readonly boxesProcessed: number;
  /** Leaf boxes closed by f's upper bound. */
  readonly boxesVerified: number;
  /** Leaf boxes closed by a constraint's lower bound. */
  readonly boxesInfeasible: number;
  /** Deepest split level reached (root = 0). */
  readonly maxDepth: number;
  readonly seconds: number;
}

/** The verdict of {@link verifyBranchAndBound}: `verified` (a proof), a certified counterexample, or `unknown` with the open boxes. */
export type BranchAndBoundResult =
  | { readonly status: 'verified'; readonly stats: BranchAndBoundStats }
  | {
      readonly status: 'falsified';
      /** x ∈ B with all g_j(x) ≤ 0 and f(x) > −margin, certified by interval evaluation at x. */
      readonly counterexample: Float64Array;
      /** f(x) (float evaluation). */
      readonly value: number;
      readonly constraintValues: Float64Array;
      readonly stats: BranchAndBoundStats;
    }
  | { readonly status: 'unknown'; readonly unresolvedBoxes: OpenBox[]; readonly stats: BranchAndBoundStats };

/** Weight ρ of the constraint penalty in the ascent merit f − ρ·Σ max(g_j, 0). */
export const FALSIFY_PENALTY = 10;
/** Finite-difference step of the ascent, relative to the box side. */
export const FALSIFY_FD_STEP = 1e-6;

const KNOWN = ['objective', 'constraints', 'box', 'margin', 'maxBoxes', 'maxSeconds', 'maxDepth', 'seed', 'split', 'samplesPerBox', 'ascentSteps', 'intermediate', 'now', 'signal'];

interface Scored {
  box: Box;
  depth: number;
  upper: number;
  /** Per input: the split score. */
  sensitivity: Float64Array;
}

/** Proves f ≤ −margin on the box where every constraint g_j ≤ 0, or finds a certified counterexample (see the file's header). */
export function verifyBranchAndBound(graph: Graph, options: BranchAndBoundOptions): BranchAndBoundResult {
  const fn = 'verifyBranchAndBound';
  if (typeof options !== 'object' || options === null) throw new RangeError(`${fn}: options must be an object, received ${String(options)}`);
  knownKeys(fn, options, KNOWN);
  const node = (field: string, v: unknown): NodeId => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= graph.size) {
      throw new RangeError(`${fn}: ${field} must be a node id in [0, ${graph.size}), received ${String(v)}`);
    }
    return v;
  };
  const f = node('objective', options.objective);
  const gs = (options.constraints ?? []).map((c, i) => node(`constraints[${i}]`, c));
  const root = checkedBox(fn, 'box', options.box as Box, graph.nInputs);
  const margin = options.margin ?? 0;
  if (!(Number.isFinite(margin) && margin >= 0)) throw new RangeError(`${fn}: margin must be a finite number ≥ 0, received ${String(margin)}`);
  const maxBoxes = positiveInteger(fn, 'maxBoxes', options.maxBoxes ?? 20000);
  const maxSeconds = options.maxSeconds ?? Infinity;
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: maxSeconds must be a positive number (∞ allowed), received ${String(maxSeconds)}`);
  const depthLimit = nonNegativeInteger(fn, 'maxDepth', options.maxDepth ?? 60);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer, received ${String(seed)}`);
  const split = options.split ?? 'sensitivity';
  if (split !== 'widest' && split !== 'sensitivity') throw new RangeError(`${fn}: split must be 'widest' or 'sensitivity', received ${String(split)}`);
  const samples = nonNegativeInteger(fn, 'samplesPerBox', options.samplesPerBox ?? 4);
  const steps = nonNegativeInteger(fn, 'ascentSteps', options.ascentSteps ?? 5);
  const intermediate = options.intermediate ?? 'crown';
  const now = options.now ?? (() => performance.now() / 1000);
  if (typeof now !== 'function') throw new RangeError(`${fn}: now must be a function returning seconds, received ${String(now)}`);
  const signal = checkedStopSignal(fn, options.signal);

  const tau = -margin;
  const n = graph.nInputs;
  const rootWidth = Float64Array.from(root.hi, (h, i) => h - root.lo[i] || 1);
  const rng = Rng.fromSeed(seed);
  const t0 = now();
  let processed = 0;
  let verified = 0;
  let infeasible = 0;
  let deepest = 0;
  const stats = (): BranchAndBoundStats => ({
    boxesProcessed: processed,
    boxesVerified: verified,
    boxesInfeasible: infeasible,
    maxDepth: deepest,
    seconds: now() - t0,
  });

  const merit = (x: Float64Array): { phi: number; fx: number; gx: Float64Array; feasible: boolean } => {
    const v = evaluate(graph, x);
    const gx = Float64Array.from(gs, (g) => v[g]);
    let pen = 0;
    for (const gv of gx) pen += Math.max(gv, 0);
    return { phi: v[f] - FALSIFY_PENALTY * pen, fx: v[f], gx, feasible: gx.every((gv) => gv <= 0) };
  };
  /** True counterexample: checked with outward-rounded intervals at the point. */
  const certified = (x: Float64Array): boolean => {
    const b = intervalBounds(graph, { lo: x, hi: x });
    return b[f].lo > tau && gs.every((g) => b[g].hi <= 0);
  };

  type Found = { x: Float64Array; fx: number; gx: Float64Array };
  const falsify = (box: Box): Found | undefined => {
    const cands: Float64Array[] = [Float64Array.from(box.lo, (l, i) => l + (box.hi[i] - l) / 2)];
    for (let s = 0; s < samples; s++) cands.push(Float64Array.from(box.lo, (l, i) => Math.min(box.hi[i], l + rng.float() * (box.hi[i] - l))));
    let best: Float64Array | undefined;
    let bestPhi = -Infinity;
    for (const x of cands) {
      const m = merit(x);
      if (m.feasible && m.fx > tau && certified(x)) return { x, fx: m.fx, gx: m.gx };
      if (m.phi > bestPhi || best === undefined) {
        bestPhi = m.phi;
        best = x;
      }
    }
    const x = Float64Array.from(best!);
    const grad = new Float64Array(n);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < n; i++) {
        const w = box.hi[i] - box.lo[i];
        if (w === 0) {
          grad[i] = 0;
          continue;
        }
        const h = FALSIFY_FD_STEP * w;
        const xi = x[i];
        x[i] = xi + h;
        const up = merit(x).phi;
        x[i] = xi - h;
        const dn = merit(x).phi;
        x[i] = xi;
        grad[i] = up - dn;
      }
      const scale = 0.25 * 0.5 ** t;
      for (let i = 0; i < n; i++) {
        const w = box.hi[i] - box.lo[i];
        x[i] = Math.min(box.hi[i], Math.max(box.lo[i], x[i] + scale * w * Math.sign(grad[i])));
      }
      const m = merit(x);
      if (m.feasible && m.fx > tau && certified(x)) return { x: Float64Array.from(x), fx: m.fx, gx: m.gx };
    }
    return undefined;
  };

  /** Bounds a box: closed (verified / infeasible), a counterexample, or open with its score. */
  const bound = (box: Box, depth: number): Scored | Found | 'closed' => {
    processed++;
    if (depth > deepest) deepest = depth;
    const r = linearBounds(graph, box, { nodes: [f, ...gs], intermediate });
    const fb = r.outputs[0];
    for (let j = 0; j < gs.length; j++) {
      if (r.outputs[j + 1].bound.lo > 0) {
        infeasible++;
        return 'closed';
      }
    }
    if (fb.bound.hi <= tau) {
      verified++;
      return 'closed';
    }
    const found = falsify(box);
    if (found) return found;
    const sensitivity = new Float64Array(n);
    const rel = new Float64Array(n);
    let maxS = 0;
    for (let i = 0; i < n; i++) {
      const w = box.hi[i] - box.lo[i];
      rel[i] = w / rootWidth[i];
      let s = Math.abs(fb.upper.coeffs[i]) * w;
      for (let j = 0; j < gs.length; j++) {
        const gb = r.outputs[j + 1];
        if (gb.bound.hi > 0) s += Math.abs(gb.lower.coeffs[i]) * w;
      }
      sensitivity[i] = s;
      maxS = Math.max(maxS, s);
    }
    // widest: relative width; sensitivity: relative width × (1 + normalized slope·width), so a side is split at
    // most about twice as often as another through its slope, and a side whose bound slope is 0 (x² on a symmetric
    // interval, where the looseness is all in the constant) is still split
    for (let i = 0; i < n; i++) sensitivity[i] = split === 'widest' ? rel[i] : rel[i] * (1 + (maxS > 0 ? sensitivity[i] / maxS : 0));
    return { box, depth, upper: fb.bound.hi, sensitivity };
  };

  const heap = new MaxHeap<Scored>();
  const stuck: OpenBox[] = [];
  const falsified = (c: Found): BranchAndBoundResult => ({ status: 'falsified', counterexample: c.x, value: c.fx, constraintValues: c.gx, stats: stats() });
  const admit = (r: Scored | Found | 'closed'): Found | undefined => {
    if (r === 'closed') return undefined;
    if ('x' in r) return r;
    if (r.depth >= depthLimit || r.sensitivity.every((s) => s === 0)) stuck.push({ box: r.box, upperBound: r.upper, depth: r.depth });
    else heap.push(r.upper, r);
    return undefined;
  };

  throwIfStopped(signal);
  const first = admit(bound(root, 0));
  if (first) return falsified(first);
  while (heap.size > 0) {
    if (processed + 2 > maxBoxes || now() - t0 > maxSeconds) break;
    throwIfStopped(signal);
    const top = heap.pop()!;
    let d = 0;
    for (let i = 1; i < n; i++) if (top.sensitivity[i] > top.sensitivity[d]) d = i;
    const mid = top.box.lo[d] + (top.box.hi[d] - top.box.lo[d]) / 2;
    const leftHi = Float64Array.from(top.box.hi);
    leftHi[d] = mid;
    const rightLo = Float64Array.from(top.box.lo);
    rightLo[d] = mid;
    for (const child of [{ lo: Float64Array.from(top.box.lo), hi: leftHi }, { lo: rightLo, hi: Float64Array.from(top.box.hi) }]) {
      const c = admit(bound(child, top.depth + 1));
      if (c) return falsified(c);
    }
  }
  if (heap.size === 0 && stuck.length === 0) return { status: 'verified', stats: stats() };
  const open = [...heap.values().map((s) => ({ box: s.box, upperBound: s.upper, depth: s.depth })), ...stuck];
  return { status: 'unknown', unresolvedBoxes: open, stats: stats() };
}
