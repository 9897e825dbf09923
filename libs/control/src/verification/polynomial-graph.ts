import type { Graph, NodeId } from '@bilevel/verify';
import type { Polynomial } from '../polynomial';

/**
 * A polynomial p(v) = Σ_α p_α v^α as {@link Graph} nodes over given variable nodes v_i: each monomial
 * v^α = Π_i v_i^{α_i} is a product (`mul`) of integer powers (`pow`, or the node itself for α_i = 1), and the sum
 * is one `affine` node Σ_α p_α·m_α + p_0, so the verifier's outward-rounded bounds cover p's float coefficients
 * exactly as stored. `powers` caches v_i^k across calls on the same graph (pass the same map to share monomials
 * between, e.g., B and ∇B).
 *
 * @example
 * const g = new Graph(2);
 * const p = Polynomial.variable(2, 0).pow(2).add(Polynomial.constant(2, 1)); // x² + 1
 * const node = polynomialNode(g, p, g.inputs());                             // evaluate(g, [3, 0])[node] = 10
 */
export function polynomialNode(g: Graph, p: Polynomial, vars: readonly NodeId[], powers: Map<string, NodeId> = new Map()): NodeId {
  if (vars.length !== p.nvars) {
    throw new RangeError(`polynomialNode: vars must have length p.nvars = ${p.nvars}, received ${vars.length}`);
  }
  const power = (i: number, k: number): NodeId => {
    if (k === 1) return vars[i];
    const key = `${vars[i]}^${k}`;
    let id = powers.get(key);
    if (id === undefined) {
      id = g.pow(vars[i], k);
      powers.set(key, id);
    }
    return id;
  };
  const monos: NodeId[] = [];
  const coefs: number[] = [];
  let constant = 0;
  for (const [e, c] of p.terms()) {
    let m: NodeId | null = null;
    e.forEach((k, i) => {
      if (k === 0) return;
      const f = power(i, k);
      m = m === null ? f : g.mul(m, f);
    });
    if (m === null) constant += c;
    else {
      monos.push(m);
      coefs.push(c);
    }
  }
  return monos.length === 0 ? g.constant(constant) : g.affine(monos, coefs, constant);
}
