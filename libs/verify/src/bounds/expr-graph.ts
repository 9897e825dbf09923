/**
 * A computation graph over scalar nodes, small enough to be bounded soundly and rich enough to express
 * policy → dynamics → certificate: inputs, constants, + − ×, scaling, affine combinations (dense layers), ReLU,
 * leaky ReLU, tanh, exp, sin, cos, |·|, reciprocals 1/y (hence division), integer powers and clamps. Nodes are numbered in creation order, so every
 * node's arguments come before it (a topological order for free); a node id is a plain number.
 *
 * Example, the hand example of anchors.md (../shared/docs, "Certified control"):
 * ```ts
 * const g = new Graph(2);
 * const [x1, x2] = [g.input(0), g.input(1)];
 * const f = g.sub(g.relu(g.sub(x1, x2)), g.relu(g.affine([x1, x2], [2, -1], 0)));
 * g.output(f, 'f');
 * evaluate(g, Float64Array.of(1, 0))[f]; // relu(1) − relu(2) = −1
 * ```
 */

/** A node id: the index of the node in its graph. */
export type NodeId = number;

/** A node of a {@link Graph}: an input, a constant, or an operation on earlier nodes. */
export type GraphNode =
  | { readonly op: 'input'; readonly index: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'add' | 'sub' | 'mul'; readonly a: NodeId; readonly b: NodeId }
  | { readonly op: 'scale'; readonly a: NodeId; readonly c: number }
  /** Σ_i coeffs[i]·args[i] + bias: one neuron of a dense layer. */
  | { readonly op: 'affine'; readonly args: Int32Array; readonly coeffs: Float64Array; readonly bias: number }
  | { readonly op: 'relu' | 'tanh' | 'exp' | 'sin' | 'cos' | 'abs' | 'recip'; readonly a: NodeId }
  | { readonly op: 'leakyRelu'; readonly a: NodeId; readonly alpha: number }
  | { readonly op: 'pow'; readonly a: NodeId; readonly k: number }
  | { readonly op: 'clamp'; readonly a: NodeId; readonly lo: number; readonly hi: number };

/** The unary ops whose value depends on one argument through a nonlinear function. */
export type UnaryOp = 'relu' | 'leakyRelu' | 'tanh' | 'exp' | 'sin' | 'cos' | 'abs' | 'recip' | 'pow' | 'clamp';

/** A named output of a graph. */
export interface GraphOutput {
  readonly name: string;
  readonly node: NodeId;
}

/** Builder and container of a scalar computation graph with `nInputs` inputs. */
export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly outputs: GraphOutput[] = [];

  constructor(readonly nInputs: number) {
    if (!Number.isInteger(nInputs) || nInputs < 1) {
      throw new RangeError(`Graph: nInputs must be a positive integer, received ${String(nInputs)}`);
    }
  }

  get size(): number {
    return this.nodes.length;
  }

  private push(node: GraphNode): NodeId {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  private check(fn: string, field: string, id: NodeId): NodeId {
    if (!Number.isInteger(id) || id < 0 || id >= this.nodes.length) {
      throw new RangeError(`Graph.${fn}: ${field} must be a node id in [0, ${this.nodes.length}), received ${String(id)}`);
    }
    return id;
  }

  private finite(fn: string, field: string, v: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`Graph.${fn}: ${field} must be a finite number, received ${String(v)}`);
    return v;
  }

  input(index: number): NodeId {
    if (!Number.isInteger(index) || index < 0 || index >= this.nInputs) {
      throw new RangeError(`Graph.input: index must be an integer in [0, ${this.nInputs}), received ${String(index)}`);
    }
    return this.push({ op: 'input', index });
  }

  /** All inputs as nodes, in order. */
  inputs(): NodeId[] {
    return Array.from({ length: this.nInputs }, (_, i) => this.input(i));
  }

  constant(value: number): NodeId {
    return this.push({ op: 'const', value: this.finite('constant', 'value', value) });
  }

  add(a: NodeId, b: NodeId): NodeId {
    return this.push({ op: 'add', a: this.check('add', 'a', a), b: this.check('add', 'b', b) });
  }

  sub(a: NodeId, b: NodeId): NodeId {
    return this.push({ op: 'sub', a: this.check('sub', 'a', a), b: this.check('sub', 'b', b) });
  }

  mul(a: NodeId, b: NodeId): NodeId {
    return this.push({ op: 'mul', a: this.check('mul', 'a', a), b: this.check('mul', 'b', b) });
  }

  /** c·a. */
  scale(a: NodeId, c: number): NodeId {
    return this.push({ op: 'scale', a: this.check('scale', 'a', a), c: this.finite('scale', 'c', c) });
  }

  /** Σ coeffs[i]·args[i] + bias. */
  affine(args: readonly NodeId[], coeffs: ArrayLike<number>, bias = 0): NodeId {
    if (args.length !== coeffs.length || args.length === 0) {
      throw new RangeError(`Graph.affine: args and coeffs must have the same positive length, received ${args.length} and ${coeffs.length}`);
    }
    const ids = Int32Array.from(args, (id, i) => this.check('affine', `args[${i}]`, id));
    const c = Float64Array.from(coeffs, (v, i) => this.finite('affine', `coeffs[${i}]`, v));
    return this.push({ op: 'affine', args: ids, coeffs: c, bias: this.finite('affine', 'bias', bias) });
  }

  relu(a: NodeId): NodeId {
    return this.push({ op: 'relu', a: this.check('relu', 'a', a) });
  }

  /** x for x ≥ 0, αx below, 0 ≤ α ≤ 1. */
  leakyRelu(a: NodeId, alpha: number): NodeId {
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`Graph.leakyRelu: alpha must be in [0, 1], received ${String(alpha)}`);
    return this.push({ op: 'leakyRelu', a: this.check('leakyRelu', 'a', a), alpha });
  }

  tanh(a: NodeId): NodeId {
    return this.push({ op: 'tanh', a: this.check('tanh', 'a', a) });
  }

  exp(a: NodeId): NodeId {
    return this.push({ op: 'exp', a: this.check('exp', 'a', a) });
  }

  sin(a: NodeId): NodeId {
    return this.push({ op: 'sin', a: this.check('sin', 'a', a) });
  }

  cos(a: NodeId): NodeId {
    return this.push({ op: 'cos', a: this.check('cos', 'a', a) });
  }

  abs(a: NodeId): NodeId {
    return this.push({ op: 'abs', a: this.check('abs', 'a', a) });
  }

  /**
   * 1/a. Bounded soundly where a's interval excludes 0 (outward-rounded interval, CROWN's chord and tangent lines);
   * an interval holding or touching 0 gives (−∞, ∞), which is sound and proves nothing.
   */
  recip(a: NodeId): NodeId {
    return this.push({ op: 'recip', a: this.check('recip', 'a', a) });
  }

  /** a/b, as a·(1/b) (see {@link Graph.recip}). */
  div(a: NodeId, b: NodeId): NodeId {
    this.check('div', 'a', a);
    return this.mul(a, this.recip(this.check('div', 'b', b)));
  }

  /** a^k for an integer 1 ≤ k ≤ 64. */
  pow(a: NodeId, k: number): NodeId {
    if (!Number.isInteger(k) || k < 1 || k > 64) throw new RangeError(`Graph.pow: k must be an integer in [1, 64], received ${String(k)}`);
    return this.push({ op: 'pow', a: this.check('pow', 'a', a), k });
  }

  sqr(a: NodeId): NodeId {
    return this.pow(a, 2);
  }

  /** min(max(a, lo), hi). */
  clamp(a: NodeId, lo: number, hi: number): NodeId {
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
      throw new RangeError(`Graph.clamp: expected finite lo ≤ hi, received lo=${String(lo)}, hi=${String(hi)}`);
    }
    return this.push({ op: 'clamp', a: this.check('clamp', 'a', a), lo, hi });
  }

  /** Registers `node` as an output called `name` (names must be unique); returns the node. */
  output(node: NodeId, name = `out${this.outputs.length}`): NodeId {
    this.check('output', 'node', node);
    if (this.outputs.some((o) => o.name === name)) throw new RangeError(`Graph.output: name "${name}" is already used`);
    this.outputs.push({ name, node });
    return node;
  }

  /** The node of the output called `name`. */
  outputNode(name: string): NodeId {
    const o = this.outputs.find((x) => x.name === name);
    if (!o) throw new RangeError(`Graph.outputNode: no output "${name}"; outputs are ${this.outputs.map((x) => x.name).join(', ') || 'none'}`);
    return o.node;
  }
}

/** The arguments of a node (empty for inputs and constants). */
export function nodeArgs(node: GraphNode): readonly NodeId[] {
  switch (node.op) {
    case 'input':
    case 'const':
      return [];
    case 'add':
    case 'sub':
    case 'mul':
      return [node.a, node.b];
    case 'affine':
      return Array.from(node.args);
    default:
      return [node.a];
  }
}
