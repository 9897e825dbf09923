import type { Graph, NodeId, DenseLayer } from '@bilevel/verify';
import { mlp } from '@bilevel/verify';
import type { Policy } from '../policy';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { polynomialNode } from './polynomial-graph';

/**
 * The policy u = π_θ(x) as {@link Graph} nodes over state nodes x, for the sound verifier:
 *
 *   FeaturePolicy:  u_a = Σ_k θ_{a,k} φ_k(x), built from {@link FeaturePolicy.polynomials} by {@link polynomialNode};
 *   MlpPolicy:      z_{l+1} = σ(W_l z_l + b_l) (σ = tanh or relu), u = W_L z_L + b_L, or s·tanh(W_L z_L + b_L) when
 *                   squashed, with W_l (row-major, out × in) then b_l read layer by layer from the flat θ, the
 *                   layout documented in mlp-policy.ts.
 *
 * Returns the nu output nodes. Other Policy implementations have no graph form and are rejected.
 *
 * @example
 * const g = new Graph(2);
 * const [u] = policyNodes(g, new FeaturePolicy(2, 1), Float64Array.of(-1, -2), g.inputs()); // u = −x₁ − 2x₂
 */
export function policyNodes(g: Graph, policy: Policy, theta: Float64Array, x: readonly NodeId[]): NodeId[] {
  const fn = 'policyNodes';
  if (x.length !== policy.nx) throw new RangeError(`${fn}: x must have length policy.nx = ${policy.nx}, received ${x.length}`);
  if (theta.length !== policy.nTheta) throw new RangeError(`${fn}: theta must have length ${policy.nTheta}, received ${theta.length}`);
  if (!theta.every(Number.isFinite)) throw new RangeError(`${fn}: theta must be finite`);
  if (policy instanceof FeaturePolicy) {
    const powers = new Map<string, NodeId>();
    return policy.polynomials(theta).map((p) => polynomialNode(g, p, x, powers));
  }
  if (policy instanceof MlpPolicy) {
    const sizes = policy.sizes;
    const L = sizes.length - 1;
    const layers: DenseLayer[] = [];
    let off = 0;
    for (let l = 0; l < L; l++) {
      const nin = sizes[l];
      const nout = sizes[l + 1];
      const weights = theta.slice(off, off + nin * nout);
      off += nin * nout;
      const bias = theta.slice(off, off + nout);
      off += nout;
      layers.push({ weights, bias, activation: l < L - 1 ? policy.activation : 'none' });
    }
    const out = mlp(g, x, layers);
    const s = policy.squash;
    return s === null ? out : out.map((z) => g.scale(g.tanh(z), s));
  }
  throw new RangeError(`${fn}: policy must be a FeaturePolicy or an MlpPolicy, received ${policy.constructor?.name ?? typeof policy}`);
}
