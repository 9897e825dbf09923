import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '@bilevel/linalg';
import { Graph, evaluate } from '@bilevel/verify';
import { PJ } from '../systems/pj';
import { Polynomial } from '../polynomial';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { BarrierMlp } from './barrier-mlp';
import { successors } from './barrier-loss';
import { barrierConditions, polynomialNode } from './closed-loop-graph';
import { INVERTED_PENDULUM, invertedPendulumGraph } from './inverted-pendulum';
import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import type { DynamicsGraphBuilder } from './closed-loop-graph';

/** The graph and the float code evaluate the same operations in a different order: a few ulps of O(10) values. */
const AGREE_TOL = 1e-12;
const FC = { seed: 7, numRuns: 30 };

function checkAgreement(sys: ControlSystem, policy: Policy, theta: Float64Array, dyn: DynamicsGraphBuilder | undefined, seed: number): void {
  const barrier = new BarrierMlp(sys.nx, { hidden: [5] });
  const psi = barrier.init(Rng.fromSeed(seed));
  const conds = barrierConditions(sys, policy, theta, barrier, psi, { dynamicsGraph: dyn });
  const { decay, domain } = sys.terms.neural!;
  assert.deepEqual(conds.map((c) => c.name), ['initial', 'unsafe', 'decrease', 'stay']);
  const rng = Rng.fromSeed(seed + 1);
  const dec = conds[2];
  const stay = conds[3];
  for (let k = 0; k < 20; k++) {
    const p = Float64Array.from(dec.box.lo, (l, i) => l + rng.float() * (dec.box.hi[i] - l));
    const v = evaluate(dec.graph, p);
    const xp = successors(sys, policy, theta, [p], false).next[0];
    const bx = barrier.forward(psi, p.subarray(0, sys.nx));
    const bxp = barrier.forward(psi, xp);
    assert.ok(Math.abs(v[dec.objective] - (bxp - (1 - decay) * bx)) < AGREE_TOL, `decrease objective at ${p}`);
    assert.ok(Math.abs(v[dec.constraints[0]] - bx) < AGREE_TOL);
    let worst = -Infinity;
    for (let i = 0; i < sys.nx; i++) worst = Math.max(worst, xp[i] - domain.hi[i], domain.lo[i] - xp[i]);
    assert.ok(Math.abs(evaluate(stay.graph, p)[stay.objective] - worst) < AGREE_TOL, `stay objective at ${p}`);
    const x = p.subarray(0, sys.nx);
    const init = conds[0];
    const vi = evaluate(init.graph, x);
    assert.ok(Math.abs(vi[init.objective] - bx) < AGREE_TOL);
    const r2 = sys.initial.centre.reduce((s, c, i) => s + (x[i] - c) ** 2, 0) - sys.initial.radius ** 2;
    assert.ok(Math.abs(vi[init.constraints[0]] - r2) < AGREE_TOL);
    const uns = conds[1];
    assert.ok(Math.abs(evaluate(uns.graph, x)[uns.objective] + bx) < AGREE_TOL);
  }
}

test('barrierConditions: PJ with a linear policy, the graph computes the float closed loop (x⁺, B, the ball, max excess)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -5, max: 0, noNaN: true }), fc.double({ min: -5, max: 0, noNaN: true }), (seed, a, b) => {
      checkAgreement(PJ, new FeaturePolicy(2, 1), Float64Array.of(a, b), undefined, seed);
    }),
    FC,
  );
});

test('barrierConditions: inverted pendulum with a squashed MLP policy and the sine in the graph', () => {
  const pi = new MlpPolicy(2, 1, { hidden: [6], squash: 5 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
      checkAgreement(INVERTED_PENDULUM, pi, pi.init(Rng.fromSeed(seed)), invertedPendulumGraph, seed);
    }),
    FC,
  );
});

test('polynomialNode: the graph of a polynomial evaluates to Polynomial.evaluate (PJ dynamics with a constant term)', () => {
  const p = PJ.polynomial![1].add(PJ.polynomial![0].scale(-2)).add(PJ.polynomial![0].pow(2)).add(Polynomial.constant(5, 0.5));
  const g = new Graph(5);
  const n = polynomialNode(g, p, g.inputs());
  const x = Float64Array.of(0.7, -1.2, 0.4, 1.05, 0.33);
  assert.ok(Math.abs(evaluate(g, x)[n] - p.evaluate(x)) < AGREE_TOL);
});

test('barrierConditions: inputs are validated', () => {
  const b = new BarrierMlp(2, { hidden: [3] });
  const psi = b.init(Rng.fromSeed(0));
  const pi = new FeaturePolicy(2, 1);
  assert.throws(() => barrierConditions(INVERTED_PENDULUM, pi, new Float64Array(2), b, psi), /has no polynomial form; pass options.dynamicsGraph/);
  const withNeural = (neural: Record<string, unknown> | null) => ({ ...PJ, terms: { ...PJ.terms, neural: neural === null ? null : { ...PJ.terms.neural!, ...neural } } }) as ControlSystem;
  // the terms are the system's: vacuous ones cannot be built
  assert.throws(() => barrierConditions(withNeural({ decay: 2 }), pi, new Float64Array(2), b, psi), /terms.neural.decay must be in \[0, 1\], received 2/);
  assert.throws(() => barrierConditions(withNeural({ unsafeMargin: 0 }), pi, new Float64Array(2), b, psi), /terms.neural.unsafeMargin must be a finite number > 0, received 0/);
  assert.throws(() => barrierConditions(withNeural({ domain: { lo: [1.2, -1], hi: [3, 1] } }), pi, new Float64Array(2), b, psi), /terms.neural.domain must be a box of dimension 2 .* that contains the initial ball/);
  assert.throws(() => barrierConditions(withNeural(null), pi, new Float64Array(2), b, psi), /system 'pj' defines no neural barrier terms/);
  assert.throws(() => barrierConditions(PJ, pi, new Float64Array(2), new BarrierMlp(3), psi), /barrier must take 2 states, received 3/);
});
