import type { BilevelProblem } from '@bilevel/problems';

/**
 * Oracle calls made by one stream: calls per oracle and samples touched (a full-batch pass over n samples counts
 * n samples), so solvers can be compared by computation as the papers do.
 */
export interface OracleCounts {
  innerGrad: number;
  hvp: number;
  cross: number;
  outerGradZ: number;
  outerGradX: number;
  innerValue: number;
  outerValue: number;
  /** Optional oracles: ∇_x g, ∇²_zz f·v, ∇²_xz f·v. */
  innerGradX: number;
  outerHvp: number;
  outerCross: number;
  /** Calls of any oracle on the full sample set (full-batch passes). */
  fullPasses: number;
  /** Inner samples touched by all inner oracles. */
  innerSamples: number;
  /** Outer samples touched by all outer oracles. */
  outerSamples: number;
}

/** A zeroed counter. */
export function emptyCounts(): OracleCounts {
  return {
    innerGrad: 0,
    hvp: 0,
    cross: 0,
    outerGradZ: 0,
    outerGradX: 0,
    innerValue: 0,
    outerValue: 0,
    innerGradX: 0,
    outerHvp: 0,
    outerCross: 0,
    fullPasses: 0,
    innerSamples: 0,
    outerSamples: 0,
  };
}

/** Sum of several counters. */
export function addCounts(...all: OracleCounts[]): OracleCounts {
  const out = emptyCounts();
  for (const c of all) for (const k of Object.keys(out) as (keyof OracleCounts)[]) out[k] += c[k];
  return out;
}

/**
 * The problem seen through a counter: every oracle call increments `counts`. Everything else (dimensions, and any
 * extra member of the problem's class) is inherited unchanged. A part that calls `solveInner` or `hypergradient` on
 * it does work too: their oracle calls go through the counter (a dense step inside them, such as a Newton system
 * built without oracles, is not counted). The run's own evaluation uses the raw problem and is never counted.
 */
export function countingProblem<P extends BilevelProblem>(problem: P, counts: OracleCounts): P {
  const p = problem;
  const inner = (batch: Int32Array) => {
    counts.innerSamples += batch.length;
    if (batch.length === p.nInner) counts.fullPasses++;
  };
  const outer = (batch: Int32Array) => {
    counts.outerSamples += batch.length;
    if (batch.length === p.nOuter) counts.fullPasses++;
  };
  const wrapped = Object.create(p) as P;
  Object.assign(wrapped, {
    innerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      counts.innerValue++;
      inner(batch);
      return p.innerValue(z, x, batch);
    },
    outerValue(z: Float64Array, x: Float64Array, batch: Int32Array) {
      counts.outerValue++;
      outer(batch);
      return p.outerValue(z, x, batch);
    },
    innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.innerGrad++;
      inner(batch);
      p.innerGradZ(z, x, batch, out);
    },
    innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.hvp++;
      inner(batch);
      p.innerHvp(z, x, v, batch, out);
    },
    innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.cross++;
      inner(batch);
      p.innerCross(z, x, v, batch, out);
    },
    outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerGradZ++;
      outer(batch);
      p.outerGradZ(z, x, batch, out);
    },
    outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerGradX++;
      outer(batch);
      p.outerGradX(z, x, batch, out);
    },
  });
  const { innerGradX, outerHvp, outerCross } = p;
  if (innerGradX) {
    wrapped.innerGradX = (z, x, batch, out) => {
      counts.innerGradX++;
      inner(batch);
      innerGradX.call(p, z, x, batch, out);
    };
  }
  if (outerHvp) {
    wrapped.outerHvp = (z, x, v, batch, out) => {
      counts.outerHvp++;
      outer(batch);
      outerHvp.call(p, z, x, v, batch, out);
    };
  }
  if (outerCross) {
    wrapped.outerCross = (z, x, v, batch, out) => {
      counts.outerCross++;
      outer(batch);
      outerCross.call(p, z, x, v, batch, out);
    };
  }
  return wrapped;
}

/** Total oracle calls (every oracle, values included) in a counter. */
export function totalCalls(c: OracleCounts): number {
  return c.innerGrad + c.hvp + c.cross + c.outerGradZ + c.outerGradX + c.innerValue + c.outerValue + c.innerGradX + c.outerHvp + c.outerCross;
}
