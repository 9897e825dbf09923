// The fused batchNorm2d node against the composite it replaces (batchNorm, then ·γ + β) on the same recording
// inputs: value, gradient and Hessian-vector products agree to rounding, for a batched and a fixed x, with every
// subset of live directions; and it passes the finite-difference audit in every input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { Tape } from './tape';
import type { TapeVar } from './tape';
import { auditOp, checkTape } from './check-tape';
import { FD_TOL, sampleData } from '../fixtures/tape-cases';

/** Relative agreement of the fused node with the composite: both are the same arithmetic up to summation order. */
const AGREE = 1e-11;
const BATCH = Int32Array.of(4, 0, 2);
const C = 3;

interface Net {
  readonly tape: Tape;
  readonly inputs: readonly TapeVar[];
  readonly out: TapeVar;
}

/** s = Σ tanh(bn(x))·q with x = data ⊙ w (batched) or w itself (fixed), bn fused or composite. */
function build(fused: boolean, batched: boolean): Net {
  const t = new Tape({ maxBatch: 4 });
  const w = t.input(batched ? [C, 2, 3] : [2, C, 2, 3], 'w');
  const gamma = t.input([C, 1, 1], 'gamma');
  const beta = t.input([C, 1, 1], 'beta');
  const x = batched ? t.mul(t.gatherRows(sampleData(C * 6), [C, 2, 3]), w) : w;
  const y = fused ? t.batchNorm2d(x, gamma, beta) : t.add(t.mul(t.batchNorm(x, [0, 2, 3]), gamma), beta);
  const q = t.input([C, 2, 3], 'q');
  const s = t.sum(t.mul(t.tanh(y), q));
  const out = batched ? t.scale(s, 1 / 3) : s;
  t.output(out);
  return { tape: t, inputs: [w, gamma, beta, q], out };
}

function point(net: Net, seed: number): Float64Array[] {
  const rng = Rng.fromSeed(seed);
  return net.inputs.map((u) => Float64Array.from({ length: u.size }, () => rng.normal()));
}

const relErr = (a: Float64Array, b: Float64Array) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    n = Math.max(n, Math.abs(b[i]));
  }
  return d / Math.max(n, 1e-300);
};

for (const batched of [true, false]) {
  test(`batchNorm2d (${batched ? 'batched' : 'fixed'} x) gives the composite's value, gradient and HVPs in every direction subset`, () => {
    const fused = build(true, batched);
    const comp = build(false, batched);
    const p = point(fused, 11);
    const dir = point(fused, 12);
    const names = ['w', 'gamma', 'beta', 'q'];
    for (const net of [fused, comp]) net.inputs.forEach((u, i) => u.val.set(p[i]));
    const value = (net: Net) => {
      net.tape.plan({ order: 0 }).run(BATCH);
      return net.out.val[0];
    };
    assert.ok(Math.abs(value(fused) - value(comp)) <= AGREE * Math.abs(value(comp)), `value ${value(fused)} vs ${value(comp)}`);
    const grads = (net: Net) => {
      net.tape.plan({ order: 1, wrt: [...net.inputs] }).run(BATCH);
      return net.inputs.map((u) => u.bar.slice());
    };
    const gf = grads(fused);
    const gc = grads(comp);
    gf.forEach((g, i) => assert.ok(relErr(g, gc[i]) <= AGREE, `gradient in ${names[i]}: ${relErr(g, gc[i])}`));
    // every non-empty subset of (w, gamma, beta) as the live directions, q live too in half of them
    for (let mask = 1; mask < 16; mask++) {
      const hvp = (net: Net) => {
        const direction = net.inputs.filter((_, i) => (mask & (1 << i)) !== 0);
        net.inputs.forEach((u, i) => u.dot.set(dir[i]));
        net.tape.plan({ order: 2, wrt: [...net.inputs], direction }).run(BATCH);
        return net.inputs.map((u) => u.bdot.slice());
      };
      const hf = hvp(fused);
      const hc = hvp(comp);
      hf.forEach((h, i) => assert.ok(relErr(h, hc[i]) <= AGREE, `HVP mask ${mask}, block ${names[i]}: ${relErr(h, hc[i])}`));
    }
  });
}

test('batchNorm2d: every first and second derivative matches central differences (batched x)', () => {
  const net = build(true, true);
  const r = checkTape(net.tape, net.inputs, point(net, 5), { batch: BATCH, seed: 6 });
  const worst = r.entries.reduce((m, e) => (e.error > m.error ? e : m));
  assert.ok(r.gradient <= FD_TOL && r.second <= FD_TOL, `worst ${worst.order} ${worst.wrt} / ${worst.direction}: ${worst.error}`);
});

test('batchNorm2d passes the op audit and refuses operands of the wrong shape in one line each', () => {
  const audit = auditOp('batchNorm2d', [[2, 2, 2, 2], [2], [2]], (t, x, g, b) => t.batchNorm2d(x, g, b), { seed: 3 });
  assert.ok(audit.ok, `gradient ${audit.gradient}, second ${audit.second}`);
  const t = new Tape();
  const x = t.input([2, 3, 2, 2], 'x');
  const g = t.input([3], 'g');
  assert.throws(() => t.batchNorm2d(t.input([2, 3, 4], 'v'), g, g), /Tape\.batchNorm2d: x must be 4-D \[batch, channels, height, width\], received shape \[2, 3, 4\]/);
  assert.throws(() => t.batchNorm2d(x, t.input([2], 'g2'), g), /Tape\.batchNorm2d: gamma must have shape \[3\] or \[3, 1, 1\]/);
  assert.throws(() => t.batchNorm2d(x, g, t.input([3, 2], 'b2')), /Tape\.batchNorm2d: beta must have shape \[3\] or \[3, 1, 1\]/);
  assert.throws(() => t.batchNorm2d(x, g, g, { eps: 0 }), /Tape\.batchNorm2d: options\.eps must be a positive number, received 0/);
});
