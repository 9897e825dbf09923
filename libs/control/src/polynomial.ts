/**
 * Sparse multivariate polynomials over `n` variables with float64 coefficients: a map from exponent vectors
 * (α₁,…,α_n) to coefficients, p(x) = Σ_α p_α x^α with x^α = Π_i x_i^{α_i}. Immutable: every operation returns a
 * new polynomial; exact zeros are dropped.
 *
 * These are the certificates, the dynamics and the closed loops of the polynomial track of Wang, Zhan, Wang,
 * Huang, Wang, Yang, Zhu, "Joint differentiable optimization and verification for certified reinforcement
 * learning", ICCPS 2023, where Handelman's theorem turns "p ≥ 0 on a box" into linear equations on coefficients.
 *
 * @example
 * const x = Polynomial.variable(2, 0), y = Polynomial.variable(2, 1);
 * const p = x.mul(x).add(y.scale(3));         // x² + 3y
 * p.evaluate([2, 1]);                          // 7
 * p.partial(0).evaluate([2, 1]);               // 4
 */
export class Polynomial {
  private constructor(
    readonly nvars: number,
    private readonly map: ReadonlyMap<string, number>,
  ) {}

  /** The zero polynomial in `nvars` variables. */
  static zero(nvars: number): Polynomial {
    checkNvars('Polynomial.zero', nvars);
    return new Polynomial(nvars, new Map());
  }

  /** The constant `c`. */
  static constant(nvars: number, c: number): Polynomial {
    checkNvars('Polynomial.constant', nvars);
    return Polynomial.fromTerms(nvars, [[new Array<number>(nvars).fill(0), c]]);
  }

  /** The variable x_i (0-based). */
  static variable(nvars: number, i: number): Polynomial {
    checkNvars('Polynomial.variable', nvars);
    if (!Number.isInteger(i) || i < 0 || i >= nvars) {
      throw new RangeError(`Polynomial.variable: i must be an integer in [0, ${nvars}), received ${i}`);
    }
    const e = new Array<number>(nvars).fill(0);
    e[i] = 1;
    return Polynomial.fromTerms(nvars, [[e, 1]]);
  }

  /** Σ coef·x^exps over the given terms (repeated exponents are summed). */
  static fromTerms(nvars: number, terms: Iterable<readonly [readonly number[], number]>): Polynomial {
    checkNvars('Polynomial.fromTerms', nvars);
    const map = new Map<string, number>();
    for (const [e, c] of terms) {
      if (e.length !== nvars || e.some((k) => !Number.isInteger(k) || k < 0)) {
        throw new RangeError(`Polynomial.fromTerms: exponents must be ${nvars} non-negative integers, received [${e.join(', ')}]`);
      }
      if (!Number.isFinite(c)) throw new RangeError(`Polynomial.fromTerms: coefficient must be finite, received ${c}`);
      accumulate(map, e.join(','), c);
    }
    return new Polynomial(nvars, map);
  }

  /** The terms as [exponents, coefficient] pairs (graded order is not guaranteed). */
  terms(): Array<[number[], number]> {
    return [...this.map].map(([k, c]) => [parseKey(k, this.nvars), c]);
  }

  /** Number of non-zero terms. */
  get size(): number {
    return this.map.size;
  }

  /** The coefficient of x^exps (0 when absent). */
  coefficient(exps: readonly number[]): number {
    return this.map.get(exps.join(',')) ?? 0;
  }

  /** Total degree (−∞ for the zero polynomial). */
  degree(): number {
    let d = -Infinity;
    for (const k of this.map.keys()) d = Math.max(d, parseKey(k, this.nvars).reduce((a, b) => a + b, 0));
    return d;
  }

  /** Highest power of x_i that appears. */
  degreeIn(i: number): number {
    let d = 0;
    for (const k of this.map.keys()) d = Math.max(d, parseKey(k, this.nvars)[i]);
    return d;
  }

  add(q: Polynomial): Polynomial {
    this.same('add', q);
    const map = new Map(this.map);
    for (const [k, c] of q.map) accumulate(map, k, c);
    return new Polynomial(this.nvars, map);
  }

  sub(q: Polynomial): Polynomial {
    return this.add(q.scale(-1));
  }

  scale(s: number): Polynomial {
    const map = new Map<string, number>();
    if (s !== 0) for (const [k, c] of this.map) accumulate(map, k, c * s);
    return new Polynomial(this.nvars, map);
  }

  mul(q: Polynomial): Polynomial {
    this.same('mul', q);
    const map = new Map<string, number>();
    const a = this.terms();
    const b = q.terms();
    const e = new Array<number>(this.nvars);
    for (const [ea, ca] of a) {
      for (const [eb, cb] of b) {
        for (let i = 0; i < this.nvars; i++) e[i] = ea[i] + eb[i];
        accumulate(map, e.join(','), ca * cb);
      }
    }
    return new Polynomial(this.nvars, map);
  }

  /** p^k for an integer k ≥ 0 (p⁰ = 1), by repeated squaring. */
  pow(k: number): Polynomial {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`Polynomial.pow: k must be an integer ≥ 0, received ${k}`);
    let result = Polynomial.constant(this.nvars, 1);
    let base = this.scale(1);
    while (k > 0) {
      if (k & 1) result = result.mul(base);
      k >>= 1;
      if (k > 0) base = base.mul(base);
    }
    return result;
  }

  /** p(x). */
  evaluate(x: ArrayLike<number>): number {
    if (x.length !== this.nvars) {
      throw new RangeError(`Polynomial.evaluate: x must have length ${this.nvars}, received ${x.length}`);
    }
    let s = 0;
    for (const [k, c] of this.map) {
      let t = c;
      const e = parseKey(k, this.nvars);
      for (let i = 0; i < this.nvars; i++) if (e[i] > 0) t *= x[i] ** e[i];
      s += t;
    }
    return s;
  }

  /** ∂p/∂x_i. */
  partial(i: number): Polynomial {
    if (!Number.isInteger(i) || i < 0 || i >= this.nvars) {
      throw new RangeError(`Polynomial.partial: i must be an integer in [0, ${this.nvars}), received ${i}`);
    }
    const map = new Map<string, number>();
    for (const [k, c] of this.map) {
      const e = parseKey(k, this.nvars);
      if (e[i] === 0) continue;
      const ci = c * e[i];
      e[i] -= 1;
      accumulate(map, e.join(','), ci);
    }
    return new Polynomial(this.nvars, map);
  }

  /** ∇p = (∂p/∂x_1, …, ∂p/∂x_n). */
  gradient(): Polynomial[] {
    return Array.from({ length: this.nvars }, (_, i) => this.partial(i));
  }

  /** p with x_i replaced by the polynomial q (same variables): p(x_1, …, q(x), …, x_n). */
  substitute(i: number, q: Polynomial): Polynomial {
    this.same('substitute', q);
    if (!Number.isInteger(i) || i < 0 || i >= this.nvars) {
      throw new RangeError(`Polynomial.substitute: i must be an integer in [0, ${this.nvars}), received ${i}`);
    }
    const powers: Polynomial[] = [Polynomial.constant(this.nvars, 1)];
    let result = Polynomial.zero(this.nvars);
    for (const [k, c] of this.map) {
      const e = parseKey(k, this.nvars);
      const d = e[i];
      while (powers.length <= d) powers.push(powers[powers.length - 1].mul(q));
      e[i] = 0;
      result = result.add(Polynomial.fromTerms(this.nvars, [[e, c]]).mul(powers[d]));
    }
    return result;
  }

  /**
   * The same polynomial over `nvarsNew` variables: old variable i becomes new variable `map[i]`, or must be absent
   * (exponent 0 in every term) when `map[i]` is −1. Used to drop eliminated variables or embed in a larger space.
   */
  remap(nvarsNew: number, map: readonly number[]): Polynomial {
    if (map.length !== this.nvars) {
      throw new RangeError(`Polynomial.remap: map must have length ${this.nvars}, received ${map.length}`);
    }
    const terms: Array<[number[], number]> = [];
    for (const [e, c] of this.terms()) {
      const f = new Array<number>(nvarsNew).fill(0);
      for (let i = 0; i < this.nvars; i++) {
        if (e[i] === 0) continue;
        if (map[i] < 0) throw new RangeError(`Polynomial.remap: variable ${i} is dropped but appears with exponent ${e[i]}`);
        f[map[i]] += e[i];
      }
      terms.push([f, c]);
    }
    return Polynomial.fromTerms(nvarsNew, terms);
  }

  /** Sum of absolute coefficients (a bound on |p| over [−1, 1]^n). */
  l1(): number {
    let s = 0;
    for (const c of this.map.values()) s += Math.abs(c);
    return s;
  }

  toString(names?: readonly string[]): string {
    const nm = names ?? Array.from({ length: this.nvars }, (_, i) => `x${i}`);
    if (this.map.size === 0) return '0';
    return this.terms()
      .map(([e, c]) => {
        const mono = e.map((k, i) => (k === 0 ? '' : k === 1 ? nm[i] : `${nm[i]}^${k}`)).filter((s) => s).join('*');
        return mono ? `${c}*${mono}` : `${c}`;
      })
      .join(' + ');
  }

  private same(op: string, q: Polynomial): void {
    if (q.nvars !== this.nvars) {
      throw new RangeError(`Polynomial.${op}: both polynomials must have ${this.nvars} variables, received ${q.nvars}`);
    }
  }
}

/**
 * The exponent vectors of all monomials of total degree ≤ d in n variables, in graded order (degree 0 first, then
 * lexicographic with x_1 highest): C(n + d, d) of them.
 */
export function monomialBasis(n: number, d: number, minDegree = 0): number[][] {
  checkNvars('monomialBasis', n);
  if (!Number.isInteger(d) || d < 0) throw new RangeError(`monomialBasis: d must be an integer ≥ 0, received ${d}`);
  const out: number[][] = [];
  for (let deg = minDegree; deg <= d; deg++) {
    const rec = (i: number, left: number, e: number[]): void => {
      if (i === n - 1) {
        out.push([...e, left]);
        return;
      }
      for (let k = left; k >= 0; k--) rec(i + 1, left - k, [...e, k]);
    };
    if (n === 0) {
      if (deg === 0) out.push([]);
    } else rec(0, deg, []);
  }
  return out;
}

/** The monomial x^e as a polynomial. */
export function monomial(e: readonly number[], coef = 1): Polynomial {
  return Polynomial.fromTerms(e.length, [[e, coef]]);
}

function checkNvars(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: nvars must be an integer ≥ 0, received ${n}`);
}

function accumulate(map: Map<string, number>, key: string, c: number): void {
  const v = (map.get(key) ?? 0) + c;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}

function parseKey(k: string, n: number): number[] {
  if (n === 0) return [];
  return k.split(',').map(Number);
}
