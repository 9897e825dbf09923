// Branch and bound: the barrier-like example (verified with the constraint radius 0.5, falsified with 1.5), margins,
// planted violations in networks, `verified` never contradicted by 10,000 samples, budgets, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { verifyBranchAndBound } from './branch-and-bound';
import type { BranchAndBoundResult } from './branch-and-bound';
import { evaluate } from './evaluate';
import { Graph } from './expr-graph';
import { intervalBounds } from './interval-bounds';
import { randomMlp, randomPoint } from './random-graph';

const BOX = { lo: [-2, -2], hi: [2, 2] };

/** f(x) = x₁² + x₂² − 1 and g(x) = x₁² + x₂² − r². */
function barrier(r: number) {
  const g = new Graph(2);
  const [x1, x2] = g.inputs();
  const s = g.add(g.sqr(x1), g.sqr(x2));
  const f = g.output(g.add(s, g.constant(-1)), 'f');
  const h = g.output(g.add(s, g.constant(-r * r)), 'g');
  return { g, f, h };
}

function withoutTime(r: BranchAndBoundResult) {
  return { ...r, stats: { ...r.stats, seconds: 0 } };
}

test('barrier example: x₁² + x₂² − 1 ≤ 0 wherever x₁² + x₂² ≤ 0.25 is verified', (t) => {
  const { g, f, h } = barrier(0.5);
  for (const split of ['sensitivity', 'widest'] as const) {
    const res = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, split });
    t.diagnostic(`${split}: ${res.status}, ${JSON.stringify({ ...res.stats, seconds: undefined })}`);
    assert.equal(res.status, 'verified');
    assert.ok(res.stats.boxesVerified > 0 && res.stats.boxesInfeasible > 0, 'both pruning rules are used');
  }
});

test('barrier example with constraint radius 1.5 is falsified with a true counterexample', () => {
  const { g, f, h } = barrier(1.5);
  const res = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX });
  assert.equal(res.status, 'falsified');
  if (res.status !== 'falsified') return;
  const [x1, x2] = res.counterexample;
  const r2 = x1 * x1 + x2 * x2;
  assert.ok(r2 > 1 && r2 <= 2.25, `r² = ${r2} must be in (1, 2.25]`);
  assert.ok(x1 >= -2 && x1 <= 2 && x2 >= -2 && x2 <= 2);
  const enclosure = intervalBounds(g, { lo: res.counterexample, hi: res.counterexample });
  assert.ok(enclosure[f].lo > 0 && enclosure[h].hi <= 0, 'certified by outward-rounded evaluation');
  assert.equal(res.value, evaluate(g, res.counterexample)[f]);
});

test('a thin violation (constraint radius 1.02: f ≤ 0.0404 on a ring of 0.8% of the box) is found, not pruned', (t) => {
  const { g, f, h } = barrier(1.02);
  const res = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX });
  t.diagnostic(`radius 1.02: ${res.status} after ${res.stats.boxesProcessed} boxes`);
  assert.equal(res.status, 'falsified');
  if (res.status === 'falsified') {
    const r2 = res.counterexample[0] ** 2 + res.counterexample[1] ** 2;
    assert.ok(r2 > 1 && r2 <= 1.02 ** 2, `r² = ${r2}`);
  }
  // centres only (no samples, no ascent): the ring must survive pruning until a box centre falls in it
  const centres = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, samplesPerBox: 0, ascentSteps: 0 });
  t.diagnostic(`radius 1.02, centres only: ${centres.status} after ${centres.stats.boxesProcessed} boxes`);
  assert.equal(centres.status, 'falsified');
});

test('a spike f = 0.03 − 30·|x − (0.3, 0.7)|² (positive on a disc of radius 0.032, max 0.03) is falsified, never verified', (t) => {
  const g = new Graph(2);
  const [x1, x2] = g.inputs();
  const r2 = g.add(g.sqr(g.affine([x1], [1], -0.3)), g.sqr(g.affine([x2], [1], -0.7)));
  const f = g.output(g.affine([r2], [-30], 0.03), 'spike');
  for (const opts of [{}, { samplesPerBox: 0, ascentSteps: 0 }]) {
    const res = verifyBranchAndBound(g, { objective: f, box: BOX, ...opts });
    t.diagnostic(`spike ${JSON.stringify(opts)}: ${res.status} after ${res.stats.boxesProcessed} boxes`);
    assert.equal(res.status, 'falsified');
  }
});

test('margin: f ≤ −0.5 holds on the radius-0.5 disc (max −0.75), f ≤ −0.8 does not', () => {
  const { g, f, h } = barrier(0.5);
  assert.equal(verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, margin: 0.5 }).status, 'verified');
  const res = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, margin: 0.8 });
  assert.equal(res.status, 'falsified');
  if (res.status === 'falsified') assert.ok(res.value > -0.8 && res.constraintValues[0] <= 0);
});

test('an impossible budget gives unknown with the open boxes, and the same seed gives the same run', () => {
  const { g, f, h } = barrier(0.5);
  const one = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, maxBoxes: 1 });
  assert.equal(one.status, 'unknown');
  if (one.status === 'unknown') {
    assert.equal(one.unresolvedBoxes.length, 1);
    assert.deepEqual(Array.from(one.unresolvedBoxes[0].box.lo), [-2, -2]);
    assert.ok(one.unresolvedBoxes[0].upperBound > 0);
  }
  const shallow = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, maxDepth: 2 });
  assert.equal(shallow.status, 'unknown', 'depth 2 is not enough');
  const a = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, seed: 3 });
  const b = verifyBranchAndBound(g, { objective: f, constraints: [h], box: BOX, seed: 3 });
  assert.deepEqual(withoutTime(a), withoutTime(b));
});

/** Threshold offset from the sampled maximum, relative to the interval width of the output on the box. */
const GAP = 0.01;
/** Samples drawn to contradict a `verified` result. */
const CONTRADICTION_SAMPLES = 10_000;

test('random relu/tanh networks: a verified bound is never contradicted by 10,000 samples; a planted violation is falsified', (t) => {
  const rng = Rng.fromSeed(6010);
  let verifiedCount = 0;
  let falsifiedCount = 0;
  for (let k = 0; k < 6; k++) {
    const act = k % 2 === 0 ? ('relu' as const) : ('tanh' as const);
    const net = randomMlp(rng, 2, [8, 8], act);
    const { graph, output } = net;
    const box = { lo: Float64Array.of(-2, -2), hi: Float64Array.of(2, 2) };
    // sampled maximum, then a threshold a little above it (likely true) and one below it (false by construction)
    let maxSeen = -Infinity;
    let argmax: Float64Array = Float64Array.from(box.lo);
    for (let s = 0; s < 500; s++) {
      const x = randomPoint(rng, box);
      const v = evaluate(graph, x)[output];
      if (v > maxSeen) [maxSeen, argmax] = [v, x];
    }
    const ib = intervalBounds(graph, box)[output];
    const gap = GAP * (ib.hi - ib.lo) + 1e-6;
    // f(x) − c ≤ 0 as a graph output
    const above = graph.affine([output], [1], -(maxSeen + gap));
    const below = graph.affine([output], [1], -(maxSeen - gap));
    const ok = verifyBranchAndBound(graph, { objective: above, box, seed: k, maxBoxes: 4000 });
    t.diagnostic(`net ${k} (${act}): threshold max+gap → ${ok.status}, ${ok.stats.boxesProcessed} boxes, depth ${ok.stats.maxDepth}`);
    if (ok.status === 'verified') {
      verifiedCount++;
      for (let s = 0; s < CONTRADICTION_SAMPLES; s++) {
        const x = randomPoint(rng, box);
        const v = evaluate(graph, x)[above];
        assert.ok(v <= 0, `verified, yet f(${Array.from(x)}) − c = ${v} > 0`);
      }
    }
    const bad = verifyBranchAndBound(graph, { objective: below, box, seed: k });
    assert.equal(bad.status, 'falsified', `planted violation at ${Array.from(argmax)} must be found`);
    if (bad.status === 'falsified') {
      falsifiedCount++;
      const cx = bad.counterexample;
      assert.ok(cx.every((v, i) => v >= box.lo[i] && v <= box.hi[i]));
      assert.ok(intervalBounds(graph, { lo: cx, hi: cx })[below].lo > 0, 'a true counterexample');
    }
  }
  assert.ok(verifiedCount >= 4, `most thresholds above the sampled max verify (${verifiedCount} of 6)`);
  assert.equal(falsifiedCount, 6);
});

test('options are validated with the field and the value', () => {
  const { g, f } = barrier(0.5);
  assert.throws(() => verifyBranchAndBound(g, { objective: 99, box: BOX }), /verifyBranchAndBound: objective must be a node id in \[0, \d+\), received 99/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box: BOX, margin: -1 }), /margin must be a finite number ≥ 0, received -1/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box: BOX, maxBoxes: 0 }), /maxBoxes must be a positive integer, received 0/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box: BOX, split: 'random' as never }), /split must be 'widest' or 'sensitivity', received random/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box: { lo: [0], hi: [1] } }), /box must have lo and hi of length 2/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box: BOX, budget: 3 } as never), /unknown option "budget"/);
});

/**
 * Damped pendulum (anchors.md: φ̈ = −(g/l) sin φ − d φ̇ + u, d = 0.1, Δt = 0.05; g/l = 9.81 here), policy
 * u = −20φ − 6φ̇, one Euler step x' = x + Δt·(φ̇, φ̈); V(x) = xᵀPx with P ≈ the solution of AᵀPA − P = −I for the linearization (scaled so
 * P₁₁ = 1, rounded). Decrease condition: V(x') − ρ·V(x) ≤ 0 on 0.05 ≤ V(x) ≤ 1.
 */
function pendulumDecrease(rho: number) {
  const dt = 0.05;
  const P = [1, 0.032, 0.0365];
  const g = new Graph(2);
  const [phi, om] = g.inputs();
  const u = g.affine([phi, om], [-20, -6], 0);
  const acc = g.affine([g.sin(phi), om, u], [-9.81, -0.1, 1], 0);
  const phi1 = g.affine([phi, om], [1, dt], 0);
  const om1 = g.affine([om, acc], [1, dt], 0);
  const V = (a: number, b: number) => g.affine([g.sqr(a), g.mul(a, b), g.sqr(b)], [P[0], 2 * P[1], P[2]], 0);
  const v0 = V(phi, om);
  const dec = g.output(g.affine([V(phi1, om1), v0], [1, -rho], 0), 'decrease');
  const inLevel = g.output(g.affine([v0], [1], -1), 'V ≤ 1');
  const outside = g.output(g.affine([v0], [-1], 0.05), 'V ≥ 0.05');
  // the box holds the whole sublevel set V ≤ 1 (|φ| ≤ 1.02, |φ̇| ≤ 5.31)
  return { g, dec, constraints: [inLevel, outside], box: { lo: [-1.1, -5.5], hi: [1.1, 5.5] } };
}

test('composed policy → pendulum dynamics (sin) → quadratic certificate: decrease by 1% verified, by 10% falsified', (t) => {
  const { g, dec, constraints, box } = pendulumDecrease(0.99);
  const res = verifyBranchAndBound(g, { objective: dec, constraints, box });
  t.diagnostic(`pendulum ρ = 0.99: ${res.status}, ${JSON.stringify({ ...res.stats, seconds: undefined })}`);
  assert.equal(res.status, 'verified');
  const rng = Rng.fromSeed(6011);
  const b = { lo: Float64Array.from(box.lo), hi: Float64Array.from(box.hi) };
  for (let s = 0; s < CONTRADICTION_SAMPLES; s++) {
    const v = evaluate(g, randomPoint(rng, b));
    if (constraints.every((c) => v[c] <= 0)) assert.ok(v[dec] <= 0, `sampled decrease violation ${v[dec]}`);
  }
  const strong = pendulumDecrease(0.9);
  const bad = verifyBranchAndBound(strong.g, { objective: strong.dec, constraints: strong.constraints, box: strong.box });
  assert.equal(bad.status, 'falsified');
});

/** A stop signal that turns aborted at its `after`-th read, and counts the reads. */
function stopAfter(after: number) {
  const s = {
    reads: 0,
    get aborted() {
      this.reads++;
      return this.reads >= after;
    },
  };
  return s;
}

test('a stop signal is read once per box: the run throws an AbortError at the next box, deterministically', () => {
  // the barrier example with little room: x₁² + x₂² − 0.27 ≤ 0 wherever x₁² + x₂² ≤ 0.25, which takes many boxes
  const g = new Graph(2);
  const [x1, x2] = g.inputs();
  const sq = g.add(g.sqr(x1), g.sqr(x2));
  const f = g.output(g.add(sq, g.constant(-0.27)), 'f');
  const h = g.output(g.add(sq, g.constant(-0.25)), 'g');
  const box = { lo: [-2, -2], hi: [2, 2] };
  const full = verifyBranchAndBound(g, { objective: f, constraints: [h], box, maxBoxes: 200_000 });
  assert.ok(full.stats.boxesProcessed > 50, `the unstopped run bounds ${full.stats.boxesProcessed} boxes`);

  const signal = stopAfter(10);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, constraints: [h], box, maxBoxes: 200_000, signal }), (err: Error) => err.name === 'AbortError');
  assert.equal(signal.reads, 10, 'read once before the root and once per split, and not after the stop');

  const controller = new AbortController();
  controller.abort(new Error('custom reason'));
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box, signal: controller.signal }), /custom reason/);
  assert.throws(() => verifyBranchAndBound(g, { objective: f, box, signal: 3 as never }), /verifyBranchAndBound: signal must be an AbortSignal or an object with an 'aborted' property, received number/);
});
