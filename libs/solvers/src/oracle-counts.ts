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

/** The oracles every problem has, and the optional ones; each call of one is counted. */
const COUNTED = ['innerValue', 'outerValue', 'innerGradZ', 'innerHvp', 'innerCross', 'outerGradZ', 'outerGradX', 'innerGradX', 'outerHvp', 'outerCross'] as const;

/** A getter and setter that read and write `key` on `target` itself; a method read is bound to `target` (cached). */
function forwarded(target: object, key: PropertyKey): { get: () => unknown; set: (value: unknown) => void } {
  const t = target as Record<PropertyKey, unknown>;
  let method: unknown;
  let bound: unknown;
  return {
    get() {
      const value = t[key];
      if (typeof value !== 'function') return value;
      if (value !== method) {
        method = value;
        bound = (value as (...args: unknown[]) => unknown).bind(target);
      }
      return bound;
    },
    set(value) {
      t[key] = value;
    },
  };
}

/**
 * The problem seen through a counter: every oracle call increments `counts`. Built by delegation: the wrapper is a
 * new object (with the problem's prototype, so `instanceof` holds) whose oracles count and then call the problem's
 * own with `this` = the problem, and whose every other member (own or inherited, getters such as `dimZ` included,
 * the problem's extra members too) reads and writes the problem's: a class with `#private` fields works through it.
 * The optional oracles and members (`innerGradX`, `solution`, `innerConstants`, `metrics`, `info` …) are on the
 * wrapper exactly when they are on the problem, when it is wrapped (members added later are not seen).
 *
 * `solveInner` and `hypergradient` run on the problem itself, so the oracle calls they make inside are not counted
 * (a part that solves exactly, such as implicit differentiation's `inner: 'exact'`, reports its iterations in its
 * diagnostics instead). The run's own evaluation uses the raw problem and is never counted either.
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
  const oracles: Record<(typeof COUNTED)[number], (...args: never[]) => unknown> = {
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
    innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.innerGradX++;
      inner(batch);
      p.innerGradX!(z, x, batch, out);
    },
    outerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerHvp++;
      outer(batch);
      p.outerHvp!(z, x, v, batch, out);
    },
    outerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array) {
      counts.outerCross++;
      outer(batch);
      p.outerCross!(z, x, v, batch, out);
    },
  };
  const wrapped = Object.create(Object.getPrototypeOf(p) as object | null) as P;
  const done = new Set<PropertyKey>(['constructor']);
  for (let o = p as object | null; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (done.has(key)) continue;
      done.add(key);
      const { enumerable } = Object.getOwnPropertyDescriptor(o, key)!;
      const counted = (COUNTED as readonly PropertyKey[]).includes(key) && typeof (p as unknown as Record<PropertyKey, unknown>)[key] === 'function';
      if (counted) Object.defineProperty(wrapped, key, { value: oracles[key as (typeof COUNTED)[number]], enumerable, writable: true, configurable: true });
      else Object.defineProperty(wrapped, key, { ...forwarded(p, key), enumerable, configurable: true });
    }
  }
  return wrapped;
}

/** Total oracle calls (every oracle, values included) in a counter. */
export function totalCalls(c: OracleCounts): number {
  return c.innerGrad + c.hvp + c.cross + c.outerGradZ + c.outerGradX + c.innerValue + c.outerValue + c.innerGradX + c.outerHvp + c.outerCross;
}
