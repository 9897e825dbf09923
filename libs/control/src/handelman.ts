import { Polynomial, monomialBasis } from './polynomial';
import type { Box } from './systems/control-system';

/**
 * Handelman's products for a box: with the normalized generators ℓ_i = (x_i − lo_i)/(hi_i − lo_i) ≥ 0 and
 * h_i = (hi_i − x_i)/(hi_i − lo_i) ≥ 0 (each in [0, 1] on the box), all products Π_i ℓ_i^{a_i} h_i^{b_i} with
 * Σ_i (a_i + b_i) ≤ D, as polynomials in x: C(2n + D, D) of them.
 *
 * Handelman's theorem (Handelman, Pacific J. Math. 1988): a polynomial p strictly positive on a compact polytope
 * {g_k ≥ 0} is p = Σ μ_α Π g_k^{α_k} with finitely many μ_α ≥ 0. Conversely any such sum with μ ≥ 0 is ≥ 0 on the
 * box, which is the direction that makes an LP certificate sound; a fixed D makes it conservative.
 * `extra` generators g ≥ 0 known to hold on the set (e.g. r² − ‖x − c‖² for a ball inside the box) join the
 * products with their degree counted (Π … g^k has degree Σ(a_i + b_i) + k·deg g ≤ D): still sound, tighter.
 */
export function handelmanProducts(box: Box, degree: number, extra: readonly Polynomial[] = []): Polynomial[] {
  const n = box.lo.length;
  if (box.hi.length !== n) throw new RangeError(`handelmanProducts: box.lo and box.hi must have equal lengths, received ${n} and ${box.hi.length}`);
  for (let i = 0; i < n; i++) {
    if (!(box.hi[i] > box.lo[i])) {
      throw new RangeError(`handelmanProducts: box must have lo < hi in every coordinate, received [${box.lo[i]}, ${box.hi[i]}] at ${i}`);
    }
  }
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`handelmanProducts: degree must be an integer ≥ 0, received ${degree}`);
  const gens: Polynomial[] = [];
  for (let i = 0; i < n; i++) {
    const w = box.hi[i] - box.lo[i];
    const xi = Polynomial.variable(n, i);
    gens.push(xi.sub(Polynomial.constant(n, box.lo[i])).scale(1 / w));
    gens.push(Polynomial.constant(n, box.hi[i]).sub(xi).scale(1 / w));
  }
  for (const g of extra) {
    if (g.nvars !== n) throw new RangeError(`handelmanProducts: extra generators must have ${n} variables, received ${g.nvars}`);
    gens.push(g);
  }
  const degs = gens.map((g) => Math.max(g.degree(), 1));
  const powers = gens.map((g) => {
    const p = [Polynomial.constant(n, 1)];
    for (let k = 1; k <= degree; k++) p.push(p[k - 1].mul(g));
    return p;
  });
  return monomialBasis(gens.length, degree)
    .filter((e) => e.reduce((s, k, j) => s + k * degs[j], 0) <= degree)
    .map((e) => e.reduce((acc, k, j) => (k === 0 ? acc : acc.mul(powers[j][k])), Polynomial.constant(n, 1)));
}
