/**
 * Seeded random graphs for property tests of the bound propagators: MLPs (1–3 layers, ReLU / tanh / leaky ReLU)
 * and mixed expressions that use every node kind, with a random input box.
 */
import type { Rng } from '@bilevel/linalg';
import type { Box } from './box';
import type { Activation } from './dense-layer';
import { mlp } from './dense-layer';
import type { NodeId } from './expr-graph';
import { Graph } from './expr-graph';

/** A generated graph, the node to bound and the input box. */
export interface RandomGraph {
  readonly graph: Graph;
  readonly output: NodeId;
  readonly box: Box;
}

/** Uniform in [a, b). */
function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.float();
}

/** A box with centre in [−1, 1]ⁿ and half-widths in [0, maxHalfWidth]. */
export function randomBox(rng: Rng, n: number, maxHalfWidth = 1): Box {
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = uniform(rng, -1, 1);
    const r = uniform(rng, 0, maxHalfWidth);
    lo[i] = c - r;
    hi[i] = c + r;
  }
  return { lo, hi };
}

/** A random point of a box. */
export function randomPoint(rng: Rng, box: Box): Float64Array {
  return Float64Array.from(box.lo, (l, i) => Math.min(box.hi[i], l + rng.float() * (box.hi[i] - l)));
}

/**
 * An MLP with `nInputs` inputs, `hidden.length` hidden layers of the given widths with activation `act`, and one
 * linear output; weights N(0, 1/fan-in)·gain, biases N(0, 0.25).
 */
export function randomMlp(rng: Rng, nInputs: number, hidden: readonly number[], act: Activation, gain = 1.5): RandomGraph {
  const g = new Graph(nInputs);
  const widths = [nInputs, ...hidden, 1];
  const layers = widths.slice(1).map((w, k) => {
    const fanIn = widths[k];
    const weights = new Float64Array(w * fanIn);
    rng.normals(weights);
    for (let i = 0; i < weights.length; i++) weights[i] *= gain / Math.sqrt(fanIn);
    const bias = new Float64Array(w);
    rng.normals(bias);
    for (let i = 0; i < w; i++) bias[i] *= 0.5;
    return { weights, bias, activation: k === hidden.length ? ('none' as const) : act, alpha: 0.1 };
  });
  const [out] = mlp(g, g.inputs(), layers);
  g.output(out, 'f');
  return { graph: g, output: out, box: randomBox(rng, nInputs) };
}

/**
 * A random expression over `nInputs` inputs with `nOps` nodes drawn from every kind (add, sub, mul, scale, affine,
 * relu, leaky relu, tanh, exp, sin, cos, |·|, pow 2–3, clamp), arguments chosen among recent nodes; exp and pow are
 * applied to tanh-squashed arguments so values stay moderate.
 */
export function randomExpression(rng: Rng, nInputs: number, nOps: number): RandomGraph {
  const g = new Graph(nInputs);
  const pool: NodeId[] = g.inputs();
  const pick = (): NodeId => pool[pool.length - 1 - rng.int(0, Math.min(pool.length, 4) - 1)];
  for (let k = 0; k < nOps; k++) {
    const a = pick();
    const b = pick();
    let v: NodeId;
    switch (rng.int(0, 13)) {
      case 0: v = g.add(a, b); break;
      case 1: v = g.sub(a, b); break;
      case 2: v = g.mul(a, b); break;
      case 3: v = g.scale(a, uniform(rng, -2, 2)); break;
      case 4: v = g.affine([a, b], [uniform(rng, -2, 2), uniform(rng, -2, 2)], uniform(rng, -1, 1)); break;
      case 5: v = g.relu(g.affine([a], [1], uniform(rng, -0.5, 0.5))); break;
      case 6: v = g.leakyRelu(a, 0.2); break;
      case 7: v = g.tanh(a); break;
      case 8: v = g.exp(g.tanh(a)); break;
      case 9: v = g.sin(g.scale(a, 2)); break;
      case 10: v = g.cos(a); break;
      case 11: v = g.abs(a); break;
      case 12: v = g.pow(g.tanh(a), rng.int(2, 3)); break;
      default: v = g.clamp(a, -0.5, uniform(rng, -0.5, 1.5)); break;
    }
    pool.push(v);
  }
  const out = g.output(pool[pool.length - 1], 'f');
  return { graph: g, output: out, box: randomBox(rng, nInputs) };
}
