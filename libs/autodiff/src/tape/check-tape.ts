import { Rng } from '@bilevel/linalg';
import { Tape } from './tape';
import type { TapeOptions, TapeVar } from './tape';

/**
 * Finite-difference checks of a recorded {@link Tape}: every first and second derivative its plans give, against
 * central differences of its own value and gradient plans. The shared check of every op of the engine (each op's spec
 * runs it over fast-check shapes and values) and an audit a user can run on a tape of their own ({@link auditOp} for
 * one operation, {@link checkTape} for a whole recording).
 *
 *   gradient   ∂s/∂w_j vs (s(x + h·e_j) − s(x − h·e_j)) / 2h, every coordinate j of every input w (or, above
 *              `coordinateLimit` entries, ⟨∇s, d⟩ vs (s(x + h·d) − s(x − h·d)) / 2h along random directions d);
 *   second     for every pair (w, u) of inputs, the plan {wrt: [w], direction: [u]}'s ∇²_wu s·u̇ vs
 *              (∇_w s(x + h·u̇) − ∇_w s(x − h·u̇)) / 2h (mixed derivatives across inputs included), and the joint
 *              plan over all inputs along a direction in all of them.
 *
 * Errors are norm-wise relative, ‖got − want‖∞ / max(‖got‖∞, ‖want‖∞, floor), after subtracting the round-off
 * allowance of a difference quotient (`noise`·2⁻⁵³·max(1, |scale|)/h, the scale being the largest value or gradient
 * entry differenced): derivatives near zero are judged against the resolution of the quotient, not against
 * themselves. Central differences with h = 1e-5 on O(1) smooth functions err by ~h²·|f'''| ≈ 1e-10, so the default
 * tolerance 1e-6 has four orders of margin while a wrong rule is off by O(1). Functions with kinks (relu, max) must
 * be checked away from them. Directions not in a plan get NaN tangents, so a rule that reads a dead tangent fails.
 */
export interface CheckTapeOptions {
  /** Batch of the replays. Default [0]. */
  readonly batch?: Int32Array;
  /** Difference step. Default 1e-5. */
  readonly h?: number;
  /** Seed of the directions. Default 0. */
  readonly seed?: number;
  /** Coordinate-wise gradient check up to this many input entries in all; random directions above. Default 64. */
  readonly coordinateLimit?: number;
  /** Random directions of a directional gradient check. Default 4. */
  readonly directions?: number;
  /** Multiplier of the round-off allowance (sums of many terms round more). Default 64. */
  readonly noise?: number;
  /** Lower bound of the denominator of a relative error. Default 1e-6. */
  readonly floor?: number;
}

/** One comparison of {@link checkTape}. */
export interface TapeCheckEntry {
  /** `gradient`, or `second` for an adjoint tangent. */
  readonly order: 'gradient' | 'second';
  /** Names of the inputs differentiated (wrt) and of the direction's inputs (second order). */
  readonly wrt: string;
  readonly direction: string;
  /** Relative error against the differences. */
  readonly error: number;
}

/** Result of {@link checkTape}: the worst relative errors and every comparison. */
export interface TapeCheck {
  readonly gradient: number;
  readonly second: number;
  readonly entries: readonly TapeCheckEntry[];
}

const DEFAULTS = { h: 1e-5, seed: 0, coordinateLimit: 64, directions: 4, noise: 64, floor: 1e-6 };

function positive(fn: string, field: string, v: number | undefined, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v))) {
    throw new RangeError(`${fn}: options.${field} must be a positive ${integer ? 'integer' : 'number'}, received ${String(v)}`);
  }
  return v;
}

/** Norm-wise relative error after subtracting an absolute allowance. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>, allowance: number, floor: number): number {
  let d = 0;
  let s = floor;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(g) || !Number.isFinite(w)) return Infinity;
    d = Math.max(d, Math.abs(g - w));
    s = Math.max(s, Math.abs(g), Math.abs(w));
  }
  return Math.max(0, d - allowance) / s;
}

function maxAbs(xs: readonly Float64Array[]): number {
  let m = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * Checks every derivative of a closed tape at `point` (one Float64Array per input, in the order of `inputs`) against
 * central differences; see {@link CheckTapeOptions}. Restores nothing: the inputs' buffers hold the last replay's.
 */
export function checkTape(tape: Tape, inputs: readonly TapeVar[], point: readonly Float64Array[], options: CheckTapeOptions = {}): TapeCheck {
  const fn = 'checkTape';
  if (!(tape instanceof Tape) || tape.out === null) throw new TypeError(`${fn}: tape must be a Tape whose output is set`);
  if (!Array.isArray(inputs) || inputs.length === 0) throw new RangeError(`${fn}: inputs must name at least one input of the tape`);
  if (!Array.isArray(point) || point.length !== inputs.length) throw new RangeError(`${fn}: point must hold one Float64Array per input (${inputs.length}), received ${Array.isArray(point) ? point.length : typeof point}`);
  inputs.forEach((u, i) => {
    if (!(point[i] instanceof Float64Array) || point[i].length !== u.size) {
      throw new RangeError(`${fn}: point[${i}] must be a Float64Array of ${u.size} entries (the input's shape [${u.shape.join(', ')}])`);
    }
  });
  const h = positive(fn, 'h', options.h, DEFAULTS.h, false);
  const limit = positive(fn, 'coordinateLimit', options.coordinateLimit, DEFAULTS.coordinateLimit, true);
  const nDir = positive(fn, 'directions', options.directions, DEFAULTS.directions, true);
  const noise = positive(fn, 'noise', options.noise, DEFAULTS.noise, false);
  const floor = positive(fn, 'floor', options.floor, DEFAULTS.floor, false);
  const batch = options.batch ?? Int32Array.of(0);
  const rng = Rng.fromSeed(options.seed ?? DEFAULTS.seed);
  const out = tape.out as TapeVar;
  const names = inputs.map((u, i) => u.name ?? `input ${i}`);
  const allowance = (scale: number) => (noise * 2 ** -53 * Math.max(1, Math.abs(scale))) / h;

  const valuePlan = tape.plan({ order: 0 });
  const gradPlan = tape.plan({ order: 1, wrt: [...inputs] });
  const load = (at: readonly Float64Array[]) => inputs.forEach((u, i) => u.val.set(at[i]));
  const value = (at: readonly Float64Array[]) => {
    load(at);
    valuePlan.run(batch);
    return out.val[0];
  };
  const gradient = (at: readonly Float64Array[]) => {
    load(at);
    gradPlan.run(batch);
    return inputs.map((u): Float64Array => u.bar.slice(0, u.size));
  };
  const shifted = (at: readonly Float64Array[], t: number, dir: readonly (Float64Array | null)[]) =>
    at.map((p, i) => (dir[i] === null ? p : Float64Array.from(p, (e, j) => e + t * (dir[i] as Float64Array)[j])));
  /** A direction of ∞-norm 1 (so that h·d stays well above round-off). */
  const direction = (n: number) => {
    const d = rng.normals(new Float64Array(n));
    const m = d.reduce((s, e) => Math.max(s, Math.abs(e)), 0);
    return m > 0 ? d.map((e) => e / m) : d.fill(1);
  };

  const entries: TapeCheckEntry[] = [];
  const s0 = value(point);
  const g0 = gradient(point);
  const total = inputs.reduce((s, u) => s + u.size, 0);
  if (total <= limit) {
    inputs.forEach((u, i) => {
      const fd = new Float64Array(u.size);
      let scale = Math.abs(s0);
      for (let j = 0; j < u.size; j++) {
        const e = new Float64Array(u.size);
        e[j] = 1;
        const dir = inputs.map((_, k) => (k === i ? e : null));
        const sp = value(shifted(point, h, dir));
        const sm = value(shifted(point, -h, dir));
        scale = Math.max(scale, Math.abs(sp), Math.abs(sm));
        fd[j] = (sp - sm) / (2 * h);
      }
      entries.push({ order: 'gradient', wrt: names[i], direction: '', error: relErr(g0[i], fd, allowance(scale), floor) });
    });
  } else {
    for (let r = 0; r < nDir; r++) {
      const dir = inputs.map((u) => direction(u.size));
      let got = 0;
      g0.forEach((g, i) => g.forEach((e, j) => (got += e * dir[i][j])));
      const sp = value(shifted(point, h, dir));
      const sm = value(shifted(point, -h, dir));
      const want = (sp - sm) / (2 * h);
      const scale = Math.max(Math.abs(s0), Math.abs(sp), Math.abs(sm));
      entries.push({ order: 'gradient', wrt: names.join(', '), direction: `random ${r}`, error: relErr([got], [want], allowance(scale), floor) });
    }
  }

  const second = (wrt: readonly number[], dirOf: readonly number[]) => {
    const plan = tape.plan({ order: 2, wrt: wrt.map((i) => inputs[i]), direction: dirOf.map((i) => inputs[i]) });
    const dir = inputs.map((u, i) => (dirOf.includes(i) ? direction(u.size) : null));
    load(point);
    inputs.forEach((u, i) => {
      const d = dir[i];
      if (d === null) u.dot.fill(Number.NaN);
      else u.dot.set(d);
    });
    plan.run(batch);
    const got = wrt.map((i) => inputs[i].bdot.slice(0, inputs[i].size));
    const gp = gradient(shifted(point, h, dir));
    const gm = gradient(shifted(point, -h, dir));
    const scale = maxAbs([...gp, ...gm]);
    wrt.forEach((i, k) => {
      const fd = gp[i].map((e: number, j: number) => (e - gm[i][j]) / (2 * h));
      entries.push({ order: 'second', wrt: names[i], direction: dirOf.map((j) => names[j]).join(', '), error: relErr(got[k], fd, allowance(scale), floor) });
    });
  };
  const all = inputs.map((_, i) => i);
  for (const w of all) for (const u of all) second([w], [u]);
  if (inputs.length > 1) second(all, all);

  const worst = (order: TapeCheckEntry['order']) => entries.filter((e) => e.order === order).reduce((m, e) => Math.max(m, e.error), 0);
  return { gradient: worst('gradient'), second: worst('second'), entries };
}

/** Options of {@link auditOp}. */
export interface AuditOpOptions extends CheckTapeOptions {
  /** Random points checked. Default 3. */
  readonly points?: number;
  /** Inputs drawn uniformly in [lo, hi]. Default [−2, 2]. */
  readonly range?: readonly [number, number];
  /** Largest relative error passed. Default 1e-6. */
  readonly tolerance?: number;
  /** Options of the audit's tape (e.g. maxBatch). */
  readonly tape?: TapeOptions;
}

/** Result of {@link auditOp}: the worst errors over the points, and the verdict. */
export interface OpAudit {
  readonly name: string;
  readonly gradient: number;
  readonly second: number;
  readonly tolerance: number;
  readonly ok: boolean;
}

/**
 * Audits one operation (or a small composition) against finite differences: records y = build(t, ...inputs) on a
 * fresh tape with inputs of the given shapes, closes it with s = Σ w₁ ⊙ y + ½ Σ w₂ ⊙ y² (random weights of y's
 * per-sample shape, so that both the first and the second derivatives of y reach s), and runs {@link checkTape} at
 * `points` random points. `build` may record data (gatherRows…) of its own; give `batch` accordingly.
 *
 * @example
 *   const audit = auditOp('tanh', [[3, 4]], (t, u) => t.tanh(u));   // audit.ok, audit.second ≈ 1e-10
 */
export function auditOp(
  name: string,
  shapes: readonly (readonly number[])[],
  build: (t: Tape, ...inputs: TapeVar[]) => TapeVar,
  options: AuditOpOptions = {},
): OpAudit {
  const fn = 'auditOp';
  if (typeof name !== 'string' || name === '') throw new TypeError(`${fn}: name must be a non-empty string, received ${String(name)}`);
  if (!Array.isArray(shapes) || shapes.length === 0) throw new RangeError(`${fn}: shapes must list the shape of at least one input`);
  if (typeof build !== 'function') throw new TypeError(`${fn}: build must be a function (tape, ...inputs) => value, received ${typeof build}`);
  const points = positive(fn, 'points', options.points, 3, true);
  const tolerance = positive(fn, 'tolerance', options.tolerance, 1e-6, false);
  const [lo, hi] = options.range ?? [-2, 2];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new RangeError(`${fn}: options.range must be [lo, hi] with lo < hi, received [${lo}, ${hi}]`);
  const rng = Rng.fromSeed(options.seed ?? 0);
  const t = new Tape(options.tape);
  const inputs = shapes.map((s, i) => t.input([...s], `${name} input ${i}`));
  const y = build(t, ...inputs);
  const per = y.batched ? y.shape.slice(1) : [...y.shape];
  const count = per.reduce((p, d) => p * d, 1);
  const weights = () => Float64Array.from({ length: count }, () => 0.5 + rng.float());
  const w1 = t.constant(weights(), per);
  const w2 = t.constant(weights(), per);
  t.output(t.add(t.sum(t.mul(w1, y)), t.scale(t.sum(t.mul(w2, t.square(y))), 0.5)));
  let gradient = 0;
  let second = 0;
  for (let p = 0; p < points; p++) {
    const point = inputs.map((u) => Float64Array.from({ length: u.size }, () => lo + (hi - lo) * rng.float()));
    const r = checkTape(t, inputs, point, { ...options, seed: rng.int(0, 2 ** 30) });
    gradient = Math.max(gradient, r.gradient);
    second = Math.max(second, r.second);
  }
  return { name, gradient, second, tolerance, ok: gradient <= tolerance && second <= tolerance };
}
