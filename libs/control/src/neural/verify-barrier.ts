import { checkedStopSignal, throwIfStopped, verifyBranchAndBound } from '@bilevel/verify';
import type { BranchAndBoundResult, OpenBox, StopSignal } from '@bilevel/verify';
import type { BarrierCondition } from './closed-loop-graph';

/** Budget of {@link verifyBarrier}, per condition. */
export interface VerifyBarrierOptions {
  /** Boxes bounded per condition, summed over its cells. Default 20,000. */
  readonly maxBoxes?: number;
  /** Wall-clock seconds per condition (a cut run is no longer deterministic). Default ∞. */
  readonly maxSeconds?: number;
  /** Seed of the falsification samples. Default 0. */
  readonly seed?: number;
  /** Intermediate bounds of the bound propagation (see verifyBranchAndBound). Default 'crown'. */
  readonly intermediate?: 'crown' | 'interval';
  /**
   * The state dimensions of every condition's box are cut into this many equal cells each (fewer when the cells
   * would take more than half of `maxBoxes`: k^dims ≤ maxBoxes/2), and each cell is a
   * separate branch-and-bound run with the full parameter range. Default 1 (one run on the whole box).
   */
  readonly cells?: number;
  /** Read before each cell and each box: once aborted the verification throws an `AbortError`. */
  readonly signal?: StopSignal;
}

/** The verdict on one condition (its cells' results merged). */
export interface ConditionVerdict {
  readonly name: BarrierCondition['name'];
  readonly result: BranchAndBoundResult;
}

/** The verdicts on all conditions, with totals. */
export interface BarrierVerdict {
  /** True iff every condition is `verified` (a proof: sound bounds on every leaf box of every cell). */
  readonly certified: boolean;
  readonly conditions: readonly ConditionVerdict[];
  readonly boxes: number;
  readonly seconds: number;
}

/** The cells of a box: its first `dims` dimensions cut in `k` equal parts each. */
function cellsOf(box: { lo: number[]; hi: number[] }, dims: number, k: number): { lo: number[]; hi: number[] }[] {
  let out = [{ lo: [...box.lo], hi: [...box.hi] }];
  for (let d = 0; d < dims; d++) {
    const next: { lo: number[]; hi: number[] }[] = [];
    const w = (box.hi[d] - box.lo[d]) / k;
    for (const c of out) {
      for (let j = 0; j < k; j++) {
        const lo = [...c.lo];
        const hi = [...c.hi];
        lo[d] = box.lo[d] + j * w;
        hi[d] = j === k - 1 ? box.hi[d] : box.lo[d] + (j + 1) * w;
        next.push({ lo, hi });
      }
    }
    out = next;
  }
  return out;
}

/**
 * Runs branch and bound (`verifyBranchAndBound` of @bilevel/verify: CROWN bounds in float64 with outward rounding,
 * best-first input splitting) on each condition of `barrierConditions`, in order, stopping at the first condition
 * that is not `verified` (its counterexample or open boxes are what the training loop needs next).
 *
 * Cells: the verifier splits the side of largest width relative to its root box, so with uncertain parameters as
 * box dimensions it halves the (weakly influential) parameter range as often as each state side. Cutting the state
 * box into cells first makes each run start at state resolution 1/cells with the whole parameter range, which is
 * what closes most cells at the root. The condition holds on the box iff it holds on every cell (they cover it).
 */
export function verifyBarrier(conditions: readonly BarrierCondition[], options: VerifyBarrierOptions = {}): BarrierVerdict {
  const fn = 'verifyBarrier';
  const maxBoxes = options.maxBoxes ?? 20000;
  const maxSeconds = options.maxSeconds ?? Infinity;
  const seed = options.seed ?? 0;
  const cells = options.cells ?? 1;
  if (!Number.isInteger(maxBoxes) || maxBoxes < 1) throw new RangeError(`${fn}: options.maxBoxes must be an integer ≥ 1, received ${maxBoxes}`);
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: options.maxSeconds must be > 0, received ${maxSeconds}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: options.seed must be a safe integer, received ${seed}`);
  if (!Number.isInteger(cells) || cells < 1) throw new RangeError(`${fn}: options.cells must be an integer ≥ 1, received ${cells}`);
  const signal = checkedStopSignal(fn, options.signal);
  const out: ConditionVerdict[] = [];
  let boxes = 0;
  let seconds = 0;
  for (const c of conditions) {
    let processed = 0;
    let verified = 0;
    let infeasible = 0;
    let depth = 0;
    let secs = 0;
    const open: OpenBox[] = [];
    let falsified: BranchAndBoundResult | null = null;
    // at most half the budget in cells (12 per dimension are 20,736 cells in 4-D: a 20,000-box budget would end
    // before the last ones were looked at, whatever the barrier), so the rest is left for splitting
    const k = Math.max(1, Math.min(cells, Math.floor((maxBoxes / 2) ** (1 / c.stateDims) + 1e-9)));
    for (const cell of cellsOf(c.box, c.stateDims, k)) {
      throwIfStopped(signal);
      const left = maxBoxes - processed;
      const leftSeconds = maxSeconds - secs;
      if (left < 1 || !(leftSeconds > 0)) {
        open.push({ box: { lo: Float64Array.from(cell.lo), hi: Float64Array.from(cell.hi) }, upperBound: Infinity, depth: 0 });
        continue;
      }
      const r = verifyBranchAndBound(c.graph, {
        objective: c.objective,
        constraints: c.constraints,
        box: cell,
        margin: c.margin,
        maxBoxes: left,
        maxSeconds: leftSeconds,
        seed,
        intermediate: options.intermediate ?? 'crown',
        ...(signal ? { signal } : {}),
      });
      processed += r.stats.boxesProcessed;
      verified += r.stats.boxesVerified;
      infeasible += r.stats.boxesInfeasible;
      depth = Math.max(depth, r.stats.maxDepth);
      secs += r.stats.seconds;
      if (r.status === 'falsified') {
        falsified = r;
        break;
      }
      if (r.status === 'unknown') open.push(...r.unresolvedBoxes);
    }
    const stats = { boxesProcessed: processed, boxesVerified: verified, boxesInfeasible: infeasible, maxDepth: depth, seconds: secs };
    const result: BranchAndBoundResult =
      falsified !== null && falsified.status === 'falsified'
        ? { ...falsified, stats }
        : open.length > 0
          ? { status: 'unknown', unresolvedBoxes: open, stats }
          : { status: 'verified', stats };
    out.push({ name: c.name, result });
    boxes += processed;
    seconds += secs;
    if (result.status !== 'verified') break;
  }
  return { certified: out.length === conditions.length && out.every((c) => c.result.status === 'verified'), conditions: out, boxes, seconds };
}
