/**
 * Dense layers and MLPs as graph nodes: y_i = act(Σ_j W[i, j]·x_j + b_i), W row-major (rows = outputs).
 *
 * Example: `mlp(g, g.inputs(), [{ weights, bias, activation: 'tanh' }, { weights: w2, bias: b2 }])` returns the
 * output nodes of a two-layer network.
 */
import type { Graph, NodeId } from './expr-graph';

/** The activation of a dense layer (`none`: affine). */
export type Activation = 'relu' | 'leakyRelu' | 'tanh' | 'none';

/** One dense layer: its weights (row-major, rows = outputs), bias and activation. */
export interface DenseLayer {
  /** outputs × inputs, row-major. */
  readonly weights: Float64Array;
  /** One bias per output. */
  readonly bias: Float64Array;
  /** Default 'none'. */
  readonly activation?: Activation;
  /** Slope of leakyRelu below 0, default 0.01. */
  readonly alpha?: number;
}

/** Adds one dense layer y_i = act(Σ_j W[i, j]·x_j + b_i) on `inputs` to the graph and returns its output nodes. */
export function denseLayer(g: Graph, inputs: readonly NodeId[], layer: DenseLayer): NodeId[] {
  const nIn = inputs.length;
  const nOut = layer.bias.length;
  if (nIn === 0 || layer.weights.length !== nOut * nIn) {
    throw new RangeError(`denseLayer: weights must have length bias.length × inputs.length = ${nOut * nIn}, received ${layer.weights.length}`);
  }
  const act = layer.activation ?? 'none';
  const out: NodeId[] = [];
  for (let i = 0; i < nOut; i++) {
    const z = g.affine(inputs, layer.weights.subarray(i * nIn, (i + 1) * nIn), layer.bias[i]);
    switch (act) {
      case 'relu': out.push(g.relu(z)); break;
      case 'leakyRelu': out.push(g.leakyRelu(z, layer.alpha ?? 0.01)); break;
      case 'tanh': out.push(g.tanh(z)); break;
      case 'none': out.push(z); break;
      default: throw new RangeError(`denseLayer: activation must be relu, leakyRelu, tanh or none, received ${String(act)}`);
    }
  }
  return out;
}

/** Chains dense layers; returns the last layer's nodes. */
export function mlp(g: Graph, inputs: readonly NodeId[], layers: readonly DenseLayer[]): NodeId[] {
  let h: NodeId[] = [...inputs];
  for (const layer of layers) h = denseLayer(g, h, layer);
  return h;
}
