/**
 * Interval bound propagation (IBP): one forward pass of {@link Graph} in interval arithmetic over an input box,
 * node by node. Every node's interval contains all values the node takes on the box (each interval operation is
 * sound with outward rounding, see ./interval), but correlations are lost: relu(x₁−x₂) − relu(2x₁−x₂) on
 * x₁ ∈ [−1, 2], x₂ ∈ [−2, 1] gets [−6, 4] against a true range [−2, 1] (anchors.md, "Certified control").
 */
import type { Box } from './box';
import { checkedBox } from './box';
import type { Graph, GraphNode } from './expr-graph';
import type { Interval } from './interval';
import * as I from './interval';

/** The interval of one node from the intervals of the nodes before it (`bounds[j]` for j < this node). */
export function nodeInterval(node: GraphNode, bounds: readonly Interval[], box: Box): Interval {
  switch (node.op) {
    case 'input': return { lo: box.lo[node.index], hi: box.hi[node.index] };
    case 'const': return { lo: node.value, hi: node.value };
    case 'add': return I.add(bounds[node.a], bounds[node.b]);
    case 'sub': return I.sub(bounds[node.a], bounds[node.b]);
    case 'mul': return node.a === node.b ? I.sqr(bounds[node.a]) : I.mul(bounds[node.a], bounds[node.b]);
    case 'scale': return I.scale(bounds[node.a], node.c);
    case 'affine': {
      let acc: Interval = { lo: node.bias, hi: node.bias };
      for (let j = 0; j < node.args.length; j++) acc = I.add(acc, I.scale(bounds[node.args[j]], node.coeffs[j]));
      return acc;
    }
    case 'relu': return I.relu(bounds[node.a]);
    case 'leakyRelu': return I.leakyRelu(bounds[node.a], node.alpha);
    case 'tanh': return I.tanh(bounds[node.a]);
    case 'exp': return I.exp(bounds[node.a]);
    case 'sin': return I.sin(bounds[node.a]);
    case 'cos': return I.cos(bounds[node.a]);
    case 'abs': return I.abs(bounds[node.a]);
    case 'recip': return I.recip(bounds[node.a]);
    case 'pow': return I.powInt(bounds[node.a], node.k);
    case 'clamp': return I.clamp(bounds[node.a], node.lo, node.hi);
  }
}

/** Intervals of every node of `graph` over `box` (index by node id). */
export function intervalBounds(graph: Graph, box: Box): Interval[] {
  const b = checkedBox('intervalBounds', 'box', box, graph.nInputs);
  const out: Interval[] = [];
  for (const node of graph.nodes) out.push(nodeInterval(node, out, b));
  return out;
}
