/**
 * Plain float64 evaluation of a {@link Graph} at a point: the value of every node, in node order (index the result
 * by a node id). Not rounded outward: use it for sampling and falsification, and the bound propagators for proofs.
 */
import type { Graph } from './expr-graph';

/** The value of every node of `graph` at the point `x` (plain float64, not rounded outward). */
export function evaluate(graph: Graph, x: ArrayLike<number>): Float64Array {
  if (x.length !== graph.nInputs) throw new RangeError(`evaluate: x must have length ${graph.nInputs}, received ${x.length}`);
  const v = new Float64Array(graph.nodes.length);
  graph.nodes.forEach((n, i) => {
    switch (n.op) {
      case 'input': v[i] = x[n.index]; break;
      case 'const': v[i] = n.value; break;
      case 'add': v[i] = v[n.a] + v[n.b]; break;
      case 'sub': v[i] = v[n.a] - v[n.b]; break;
      case 'mul': v[i] = v[n.a] * v[n.b]; break;
      case 'scale': v[i] = n.c * v[n.a]; break;
      case 'affine': {
        let s = n.bias;
        for (let j = 0; j < n.args.length; j++) s += n.coeffs[j] * v[n.args[j]];
        v[i] = s;
        break;
      }
      case 'relu': v[i] = v[n.a] > 0 ? v[n.a] : 0; break;
      case 'leakyRelu': v[i] = v[n.a] >= 0 ? v[n.a] : n.alpha * v[n.a]; break;
      case 'tanh': v[i] = Math.tanh(v[n.a]); break;
      case 'exp': v[i] = Math.exp(v[n.a]); break;
      case 'sin': v[i] = Math.sin(v[n.a]); break;
      case 'cos': v[i] = Math.cos(v[n.a]); break;
      case 'abs': v[i] = Math.abs(v[n.a]); break;
      case 'recip': v[i] = 1 / v[n.a]; break;
      case 'pow': v[i] = v[n.a] ** n.k; break;
      case 'clamp': v[i] = Math.min(Math.max(v[n.a], n.lo), n.hi); break;
    }
  });
  return v;
}
