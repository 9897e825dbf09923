import { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';

/** The oracles {@link auditOracles} checks (the value oracles are the reference they are checked against). */
export type AuditedOracle = 'innerGradZ' | 'innerHvp' | 'innerCross' | 'outerGradZ' | 'outerGradX' | 'innerGradX' | 'outerHvp' | 'outerCross';

/** Options of {@link auditOracles}. */
export interface AuditOptions {
  /** Random points (z, x, v) ~ N(0, I) to check at. Default 3. */
  readonly points?: number;
  /** Seed of the {@link Rng} drawing points and directions. Default 1. */
  readonly seed?: number;
  /**
   * Relative finite-difference step: the step along a unit direction is h = eps·max(1, rms(y)) for the variable y
   * moved. Default {@link AUDIT_DEFAULTS}[precision].eps: 1e-6 (float64), 1e-2 (float32).
   */
  readonly eps?: number;
  /** Largest accepted relative error. Default {@link AUDIT_DEFAULTS}[precision].tolerance: 1e-6 (float64), 1e-2 (float32). */
  readonly tolerance?: number;
  /**
   * Directions per gradient or cross-product check: when the variable's dimension is at most this, every unit
   * vector (the full vector is checked), otherwise this many random unit directions. Default 6.
   */
  readonly directions?: number;
  /** Absolute floor of the relative-error denominator. Default {@link AUDIT_DEFAULTS}[precision].floor. */
  readonly floor?: number;
  /**
   * Sample indices used by every oracle (must be valid for both the inner and the outer samples). Default: the
   * full batches, or a seeded sorted subset of 1024 indices when a side has more samples.
   */
  readonly batch?: Int32Array;
}

/** The result of checking one oracle. */
export interface OracleAuditEntry {
  readonly name: AuditedOracle;
  /** What the oracle was compared against, in words. */
  readonly reference: string;
  /** Largest relative error over the points (Infinity if the oracle threw or returned a non-finite number). */
  readonly maxRelError: number;
  readonly ok: boolean;
  /** Index into {@link OracleAudit.points} of the point with the largest error (0 when all are equal). */
  readonly worstPoint: number;
  /** The oracle's exception, if it threw (for example tfjs's "Cannot compute gradient" at second order). */
  readonly error?: string;
}

/** A point the audit checked at (copies). */
export interface AuditPoint {
  readonly z: Float64Array;
  readonly x: Float64Array;
  readonly v: Float64Array;
}

/** What {@link auditOracles} found: data, for {@link formatAudit} or a logger. */
export interface OracleAudit {
  /** Every oracle within tolerance. */
  readonly ok: boolean;
  readonly problem: string;
  readonly precision: 'float64' | 'float32';
  readonly oracles: readonly OracleAuditEntry[];
  readonly points: readonly AuditPoint[];
  readonly seed: number;
  readonly eps: number;
  readonly tolerance: number;
  readonly floor: number;
}

/**
 * Defaults per arithmetic. Central differences have truncation error ~h²·|f'''|/6 and round-off error
 * ~u·|f|/h (u: unit roundoff of the values), so the best step is h ~ u^{1/3} and the attainable relative accuracy
 * ~u^{2/3}:
 * - float64 (u ≈ 1.1e-16): h = 1e-6 gives round-off ~1e-10·|f| and truncation ~1e-12·|f'''|, far below the
 *   tolerance 1e-6, which still catches any real bug (a wrong oracle is off by O(1), rarely by less than 1e-3).
 * - float32 (u ≈ 6e-8, and a mean over a batch accumulates more): h = 1e-2 keeps round-off at ~1e-5·|f|/|f'|
 *   and truncation at ~2e-5·|f'''|; agreement is then ~1e-4, so tolerance 1e-2 leaves a 100× margin, while a
 *   wrong second derivative (tfjs issue #3252) is off by several percent to over 100%.
 * `floor` keeps the relative error of (nearly) zero quantities meaningful; `noise` is the multiple of
 * u·|f|/h (the round-off of a central difference) also added to the floor, so nothing below the resolution of
 * the finite difference counts as disagreement.
 */
export const AUDIT_DEFAULTS = {
  float64: { eps: 1e-6, tolerance: 1e-6, floor: 1e-10, unitRoundoff: 2 ** -53 },
  float32: { eps: 1e-2, tolerance: 1e-2, floor: 1e-6, unitRoundoff: 2 ** -24 },
} as const;
/** Multiple of u·|f|/h (central-difference round-off; sums of many terms round more than once) in the floor. */
const NOISE_FACTOR = 30;
/** Largest default batch per side; bigger sample sets are audited on a seeded subset. */
const DEFAULT_MAX_BATCH = 1024;
const DEFAULT_POINTS = 3;
const DEFAULT_SEED = 1;
const DEFAULT_DIRECTIONS = 6;

const REFERENCES: Record<AuditedOracle, string> = {
  innerGradZ: 'central differences of innerValue in z',
  innerHvp: 'central differences of innerGradZ in z along v',
  innerCross: 'central differences of ⟨innerGradZ, v⟩ in x',
  outerGradZ: 'central differences of outerValue in z',
  outerGradX: 'central differences of outerValue in x',
  innerGradX: 'central differences of innerValue in x',
  outerHvp: 'central differences of outerGradZ in z along v',
  outerCross: 'central differences of ⟨outerGradZ, v⟩ in x',
};

function positiveInteger(value: unknown, field: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`auditOracles: options.${field} must be a positive integer, received ${String(value)}`);
  }
  return value;
}

function positiveNumber(value: unknown, field: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`auditOracles: options.${field} must be a positive finite number, received ${String(value)}`);
  }
  return value;
}

function defaultBatch(n: number, rng: Rng): Int32Array {
  if (n <= DEFAULT_MAX_BATCH) return Int32Array.from({ length: n }, (_, i) => i);
  return rng.permutation(n).subarray(0, DEFAULT_MAX_BATCH).sort();
}

const rms = (a: Float64Array) => Math.sqrt(a.reduce((s, e) => s + e * e, 0) / Math.max(a.length, 1));
const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, e, i) => s + e * b[i], 0);
const shifted = (y: Float64Array, h: number, u: Float64Array) => Float64Array.from(y, (e, i) => e + h * u[i]);

/** Unit vectors e_k when n ≤ count, else `count` random unit directions. */
function directionsFor(n: number, count: number, rng: Rng): Float64Array[] {
  if (n <= count) {
    return Array.from({ length: n }, (_, k) => {
      const e = new Float64Array(n);
      e[k] = 1;
      return e;
    });
  }
  return Array.from({ length: count }, () => {
    const u = rng.normals(new Float64Array(n));
    const s = Math.sqrt(dot(u, u));
    return u.map((e) => e / s);
  });
}

/**
 * ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, floor): norm-wise, so a single near-zero component cannot blow it up; non-finite
 * entries give Infinity.
 */
function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i]) || Number.isNaN(d)) return Infinity;
    diff = Math.max(diff, d);
  }
  return diff / Math.max(maxAbs(a), maxAbs(b), floor);
}

/**
 * Checks every derivative oracle of a {@link BilevelProblem} against central finite differences of the oracles
 * below it, at `points` random points (z, x, v) ~ N(0, I) drawn from `Rng.fromSeed(seed)`:
 *
 *   innerGradZ, outerGradZ:  ⟨∇_z φ(z, x), u⟩ ≈ [φ(z + hu, x) − φ(z − hu, x)] / 2h        (φ = innerValue, outerValue)
 *   outerGradX:              ⟨∇_x f(z, x), w⟩ ≈ [f(z, x + hw) − f(z, x − hw)] / 2h
 *   innerHvp:                ∇²_zz g·v ≈ ‖v‖·[∇_z g(z + hv̂, x) − ∇_z g(z − hv̂, x)] / 2h,   v̂ = v/‖v‖
 *   innerCross:              wᵀ(∇²_xz g·v) ≈ [⟨∇_z g(z, x + hw), v⟩ − ⟨∇_z g(z, x − hw), v⟩] / 2h
 *
 * over unit directions u, w (all of them when the dimension is at most `directions`, else that many random ones).
 * The error at a point is norm-wise relative, ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, floor), over the directions (or the HVP
 * components), the floor being the larger of `floor` and the round-off level of the difference; an oracle passes
 * when its largest error over the points is within `tolerance`. Defaults depend on `problem.precision`, see
 * {@link AUDIT_DEFAULTS}. An oracle that throws or returns NaN fails (its message is kept); the audit itself
 * never throws for a wrong oracle, only for invalid options.
 *
 * Why: tfjs's second derivatives are silently wrong for ops whose gradient reuses their output (tfjs issue #3252;
 * `log1p(exp(t))`, `tf.losses.sigmoidCrossEntropy`), so every autodiff problem should pass this before use.
 *
 * @example
 *   const report = auditOracles(problem, { points: 3, seed: 7 });
 *   if (!report.ok) throw new Error(formatAudit(report));
 */
export function auditOracles(problem: BilevelProblem, options: AuditOptions = {}): OracleAudit {
  const precision = problem.precision;
  if (precision !== 'float64' && precision !== 'float32') {
    throw new RangeError(`auditOracles: problem.precision must be "float64" or "float32", received ${String(precision)}`);
  }
  const defaults = AUDIT_DEFAULTS[precision];
  const nPoints = positiveInteger(options.points, 'points', DEFAULT_POINTS);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`auditOracles: options.seed must be a safe integer, received ${String(seed)}`);
  const eps = positiveNumber(options.eps, 'eps', defaults.eps);
  const tolerance = positiveNumber(options.tolerance, 'tolerance', defaults.tolerance);
  const floor = positiveNumber(options.floor, 'floor', defaults.floor);
  const nDirections = positiveInteger(options.directions, 'directions', DEFAULT_DIRECTIONS);
  const { dimZ, dimX } = problem;

  const rng = Rng.fromSeed(seed);
  const dirRng = rng.split();
  const batchRng = rng.split();
  let innerBatch: Int32Array;
  let outerBatch: Int32Array;
  if (options.batch !== undefined) {
    const b = options.batch;
    const limit = Math.min(problem.nInner, problem.nOuter);
    if (!(b instanceof Int32Array) || b.length === 0) {
      throw new RangeError(`auditOracles: options.batch must be a non-empty Int32Array of sample indices, received ${b instanceof Int32Array ? 'an empty one' : typeof b}`);
    }
    const bad = b.findIndex((i) => i < 0 || i >= limit);
    if (bad >= 0) {
      throw new RangeError(`auditOracles: options.batch[${bad}] = ${b[bad]} is outside 0..${limit - 1} (valid for both the ${problem.nInner} inner and ${problem.nOuter} outer samples)`);
    }
    innerBatch = b;
    outerBatch = b;
  } else {
    innerBatch = defaultBatch(problem.nInner, batchRng);
    outerBatch = defaultBatch(problem.nOuter, batchRng);
  }

  const points: AuditPoint[] = Array.from({ length: nPoints }, () => ({
    z: rng.normals(new Float64Array(dimZ)),
    x: rng.normals(new Float64Array(dimX)),
    v: rng.normals(new Float64Array(dimZ)),
  }));
  const noiseFloor = (scale: number, h: number) => Math.max(floor, (NOISE_FACTOR * defaults.unitRoundoff * scale) / h);
  const step = (y: Float64Array) => eps * Math.max(1, rms(y));

  /** Directional check of a gradient oracle against central differences of a value oracle in one variable. */
  const gradientCheck = (
    value: (y: Float64Array) => number,
    grad: (out: Float64Array) => void,
    y: Float64Array,
  ): number => {
    const g = new Float64Array(y.length);
    grad(g);
    const h = step(y);
    const a: number[] = [];
    const b: number[] = [];
    let scale = 0;
    for (const u of directionsFor(y.length, nDirections, dirRng)) {
      const fp = value(shifted(y, h, u));
      const fm = value(shifted(y, -h, u));
      scale = Math.max(scale, Math.abs(fp), Math.abs(fm));
      a.push(dot(g, u));
      b.push((fp - fm) / (2 * h));
    }
    return relError(a, b, noiseFloor(scale, h));
  };

  type GradZ = (z: Float64Array, x: Float64Array, out: Float64Array) => void;
  type Product = (z: Float64Array, x: Float64Array, v: Float64Array, out: Float64Array) => void;
  /** A Hessian-vector product against central differences of the z-gradient along v. */
  const hvpCheck = ({ z, x, v }: AuditPoint, gradZ: GradZ, hvp: Product): number => {
    const hv = new Float64Array(dimZ);
    hvp(z, x, v, hv);
    const vNorm = Math.sqrt(dot(v, v));
    if (vNorm === 0) return relError(hv, new Float64Array(dimZ), floor);
    const vHat = v.map((e) => e / vNorm);
    const h = step(z);
    const gp = new Float64Array(dimZ);
    const gm = new Float64Array(dimZ);
    gradZ(shifted(z, h, vHat), x, gp);
    gradZ(shifted(z, -h, vHat), x, gm);
    const fd = gp.map((e, i) => (vNorm * (e - gm[i])) / (2 * h));
    return relError(hv, fd, noiseFloor(vNorm * Math.max(maxAbs(gp), maxAbs(gm)), h));
  };
  /** A cross product ∇²_xz·v against central differences of ⟨∇_z, v⟩ in x along random directions. */
  const crossCheck = ({ z, x, v }: AuditPoint, gradZ: GradZ, cross: Product): number => {
    const c = new Float64Array(dimX);
    cross(z, x, v, c);
    const h = step(x);
    const g = new Float64Array(dimZ);
    const a: number[] = [];
    const b: number[] = [];
    let scale = 0;
    for (const w of directionsFor(dimX, nDirections, dirRng)) {
      gradZ(z, shifted(x, h, w), g);
      const sp = dot(g, v);
      scale = Math.max(scale, maxAbs(g));
      gradZ(z, shifted(x, -h, w), g);
      const sm = dot(g, v);
      scale = Math.max(scale, maxAbs(g));
      a.push(dot(c, w));
      b.push((sp - sm) / (2 * h));
    }
    return relError(a, b, noiseFloor(scale * Math.sqrt(dot(v, v)), h));
  };

  const checks = {
    innerGradZ: ({ z, x }) =>
      gradientCheck(
        (zz) => problem.innerValue(zz, x, innerBatch),
        (out) => problem.innerGradZ(z, x, innerBatch, out),
        z,
      ),
    outerGradZ: ({ z, x }) =>
      gradientCheck(
        (zz) => problem.outerValue(zz, x, outerBatch),
        (out) => problem.outerGradZ(z, x, outerBatch, out),
        z,
      ),
    outerGradX: ({ z, x }) =>
      gradientCheck(
        (xx) => problem.outerValue(z, xx, outerBatch),
        (out) => problem.outerGradX(z, x, outerBatch, out),
        x,
      ),
    innerHvp: (p) => hvpCheck(p, (z, x, out) => problem.innerGradZ(z, x, innerBatch, out), (z, x, v, out) => problem.innerHvp(z, x, v, innerBatch, out)),
    innerCross: (p) => crossCheck(p, (z, x, out) => problem.innerGradZ(z, x, innerBatch, out), (z, x, v, out) => problem.innerCross(z, x, v, innerBatch, out)),
  } as Record<AuditedOracle, (p: AuditPoint) => number>;
  // The optional oracles, when the problem has them (checked after the required ones).
  const { innerGradX, outerHvp, outerCross } = problem;
  if (innerGradX) {
    checks.innerGradX = ({ z, x }) =>
      gradientCheck(
        (xx) => problem.innerValue(z, xx, innerBatch),
        (out) => innerGradX.call(problem, z, x, innerBatch, out),
        x,
      );
  }
  if (outerHvp) {
    checks.outerHvp = (p) => hvpCheck(p, (z, x, out) => problem.outerGradZ(z, x, outerBatch, out), (z, x, v, out) => outerHvp.call(problem, z, x, v, outerBatch, out));
  }
  if (outerCross) {
    checks.outerCross = (p) => crossCheck(p, (z, x, out) => problem.outerGradZ(z, x, outerBatch, out), (z, x, v, out) => outerCross.call(problem, z, x, v, outerBatch, out));
  }

  const oracles: OracleAuditEntry[] = (Object.keys(checks) as AuditedOracle[]).map((name) => {
    let worst = -1;
    let worstPoint = 0;
    let error: string | undefined;
    for (let k = 0; k < points.length && error === undefined; k++) {
      let e: number;
      try {
        e = checks[name](points[k]);
      } catch (err) {
        error = err instanceof Error ? err.message.split('\n')[0] : String(err);
        e = Infinity;
      }
      if (Number.isNaN(e)) e = Infinity;
      if (e > worst) {
        worst = e;
        worstPoint = k;
      }
    }
    const entry: OracleAuditEntry = { name, reference: REFERENCES[name], maxRelError: worst, ok: worst <= tolerance, worstPoint };
    return error === undefined ? entry : { ...entry, error };
  });

  return {
    ok: oracles.every((o) => o.ok),
    problem: problem.name,
    precision,
    oracles,
    points,
    seed,
    eps,
    tolerance,
    floor,
  };
}
