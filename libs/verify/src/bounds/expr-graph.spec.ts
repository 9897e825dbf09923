// The graph builder, float evaluation and dense layers: closed-form values and argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { denseLayer, mlp } from './dense-layer';
import { evaluate } from './evaluate';
import { Graph, nodeArgs } from './expr-graph';

test('evaluate: every node kind against its closed form', () => {
  const g = new Graph(2);
  const [x, y] = g.inputs();
  const nodes = {
    add: g.add(x, y),
    sub: g.sub(x, y),
    mul: g.mul(x, y),
    scale: g.scale(x, -3),
    affine: g.affine([x, y], [2, -1], 0.5),
    relu: g.relu(y),
    leaky: g.leakyRelu(y, 0.1),
    tanh: g.tanh(x),
    exp: g.exp(x),
    sin: g.sin(x),
    cos: g.cos(x),
    abs: g.abs(y),
    pow: g.pow(y, 3),
    clamp: g.clamp(x, -1, 1),
    c: g.constant(7),
  };
  const v = evaluate(g, [1.5, -2]);
  const expected = {
    add: -0.5, sub: 3.5, mul: -3, scale: -4.5, affine: 5.5, relu: 0, leaky: -0.2, tanh: Math.tanh(1.5),
    exp: Math.exp(1.5), sin: Math.sin(1.5), cos: Math.cos(1.5), abs: 2, pow: -8, clamp: 1, c: 7,
  };
  for (const [k, id] of Object.entries(nodes)) assert.equal(v[id], expected[k as keyof typeof expected], k);
  assert.deepEqual(nodeArgs(g.nodes[nodes.affine]), [x, y]);
});

test('several named outputs', () => {
  const g = new Graph(1);
  const x = g.input(0);
  g.output(g.sqr(x), 'B');
  g.output(g.add(x, g.constant(-1)), 'inSet');
  assert.deepEqual(g.outputs.map((o) => o.name), ['B', 'inSet']);
  assert.equal(evaluate(g, [3])[g.outputNode('B')], 9);
  assert.equal(evaluate(g, [3])[g.outputNode('inSet')], 2);
  assert.throws(() => g.output(x, 'B'), /Graph.output: name "B" is already used/);
  assert.throws(() => g.outputNode('C'), /no output "C"; outputs are B, inSet/);
});

test('dense layers and MLPs: y = act(W x + b), W row-major', () => {
  const g = new Graph(2);
  const h = denseLayer(g, g.inputs(), { weights: Float64Array.of(1, 2, -1, 1, 0, 3), bias: Float64Array.of(0, -1, 0.5), activation: 'relu' });
  const [out] = mlp(g, h, [{ weights: Float64Array.of(1, 1, 1), bias: Float64Array.of(-0.25), activation: 'tanh' }]);
  const v = evaluate(g, [1, -1]);
  // W x + b = (1·1 + 2·(−1), −1·1 + 1·(−1) − 1, 0 + 3·(−1) + 0.5) = (−1, −3, −2.5) → relu → 0
  assert.deepEqual(h.map((n) => v[n]), [0, 0, 0]);
  assert.equal(v[out], Math.tanh(-0.25));
  assert.throws(() => denseLayer(g, g.inputs(), { weights: Float64Array.of(1, 2, 3), bias: Float64Array.of(0, 0) }), /denseLayer: weights must have length bias.length × inputs.length = 4, received 3/);
});

test('builder errors name the method, the field and the value', () => {
  const g = new Graph(2);
  const x = g.input(0);
  assert.throws(() => new Graph(0), /Graph: nInputs must be a positive integer, received 0/);
  assert.throws(() => g.input(2), /Graph.input: index must be an integer in \[0, 2\), received 2/);
  assert.throws(() => g.add(x, 5), /Graph.add: b must be a node id in \[0, 1\), received 5/);
  assert.throws(() => g.constant(NaN), /Graph.constant: value must be a finite number, received NaN/);
  assert.throws(() => g.leakyRelu(x, 2), /Graph.leakyRelu: alpha must be in \[0, 1\], received 2/);
  assert.throws(() => g.pow(x, 0), /Graph.pow: k must be an integer in \[1, 64\], received 0/);
  assert.throws(() => g.clamp(x, 1, 0), /Graph.clamp: expected finite lo ≤ hi, received lo=1, hi=0/);
  assert.throws(() => g.affine([x], [1, 2]), /Graph.affine: args and coeffs must have the same positive length, received 1 and 2/);
  assert.throws(() => evaluate(g, [1]), /evaluate: x must have length 2, received 1/);
});
