import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { PJ } from '../systems/pj';
import { FeaturePolicy } from '../policy';
import { sampleBall } from '../rollout';
import { BarrierMlp } from './barrier-mlp';
import { successors } from './barrier-loss';
import { barrierConditions } from './closed-loop-graph';
import { neuralTraining } from './neural-training';
import type { NeuralTrainingOptions } from './neural-training';
import { verifyBarrier } from './verify-barrier';

/** The neural track's own box for PJ (PJ.terms.neural): large enough that S = {B ≤ 0} can stay inside. */
const DOMAIN = PJ.terms.neural!.domain;
const FAST: NeuralTrainingOptions = { margin: 0.1, verifyEvery: 3, verifyCells: 12, maxBoxes: 20000 };
/** A damped linear controller u = −4x₁ − 3x₂ that keeps PJ's initial ball away from the unsafe ball. */
const THETA_SAFE = Float64Array.of(-4, -3);
const SAMPLES = 2000;

test('neuralTraining: a barrier for PJ under a fixed linear policy is verified by branch and bound, and sampling agrees', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [8] });
  const run = neuralTraining(PJ, pi, b, { ...FAST, trainPolicy: false });
  let s = run.init(THETA_SAFE, b.init(Rng.fromSeed(0)));
  while (!s.done && s.iteration < 9) s = run.step(s);
  assert.equal(s.outcome, 'certified', `not certified after ${s.iteration} steps`);
  const v = s.diagnostics!.verification!;
  assert.deepEqual(v.conditions.map((c) => [c.name, c.result.status]), [['initial', 'verified'], ['unsafe', 'verified'], ['decrease', 'verified'], ['stay', 'verified']]);
  assert.ok(v.boxes > 0 && s.verifyBoxes >= v.boxes);
  // independent sampled check of the four conditions (float evaluation, parameters drawn from their box)
  const rng = Rng.fromSeed(11);
  for (const x of sampleBall(PJ.initial.centre, PJ.initial.radius, SAMPLES, rng)) assert.ok(b.forward(s.psi, x) <= 0);
  for (const x of sampleBall(PJ.unsafe!.centre, PJ.unsafe!.radius, SAMPLES, rng)) assert.ok(b.forward(s.psi, x) > 0);
  const pts = Array.from({ length: SAMPLES }, () => Float64Array.of(-3 + 6 * rng.float(), -3 + 6 * rng.float(), 0.9 + 0.2 * rng.float(), 0.3 + 0.07 * rng.float()));
  const next = successors(PJ, pi, THETA_SAFE, pts, false).next;
  let inside = 0;
  pts.forEach((p, n) => {
    const bx = b.forward(s.psi, p.subarray(0, 2));
    if (bx > 0) return;
    inside++;
    assert.ok(b.forward(s.psi, next[n]) <= 0.9 * bx, `decrease at ${p}`);
    assert.ok(next[n].every((v2, i) => v2 >= DOMAIN.lo[i] && v2 <= DOMAIN.hi[i]), `stay at ${p}`);
  });
  assert.ok(inside > 20, `too few sampled states in S: ${inside}`);
});

test('neuralTraining: counterexamples join the training set, the policy moves, and a seed replays bit for bit', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [8] });
  const opts: NeuralTrainingOptions = { ...FAST, verifyEvery: 1, firstLowerSteps: 20, lowerSteps: 20, maxBoxes: 400, seed: 5 };
  const go = () => {
    const run = neuralTraining(PJ, pi, b, opts);
    let s = run.init(Float64Array.of(-2, -2), b.init(Rng.fromSeed(1)));
    const sizes = [s.set.initial.length + s.set.unsafe.length + s.set.domain.length + s.set.shell.length];
    for (let k = 0; k < 2; k++) {
      s = run.step(s);
      sizes.push(s.diagnostics!.trainingSetSize);
    }
    return { s, sizes };
  };
  const a = go();
  const c = go();
  assert.equal(a.s.outcome, 'running');
  assert.equal(a.s.verifications, 2);
  assert.ok(a.sizes[2] > a.sizes[0], `training set did not grow: ${a.sizes}`);
  assert.notDeepEqual(Array.from(a.s.theta), [-2, -2]);
  assert.deepEqual(Array.from(a.s.theta), Array.from(c.s.theta));
  assert.deepEqual(Array.from(a.s.psi), Array.from(c.s.psi));
  assert.deepEqual(a.sizes, c.sizes);
});

test('verifyBarrier: a counterexample it reports violates its condition; a tiny budget leaves the cells open', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [4] });
  const psi = b.init(Rng.fromSeed(3));
  for (let k = 0; k < psi.length; k++) psi[k] = 0;
  psi[psi.length - 1] = 1; // B ≡ 1: the initial condition B ≤ 0 fails everywhere on X₀
  const conds = barrierConditions(PJ, pi, THETA_SAFE, b, psi);
  const v = verifyBarrier(conds, { cells: 2 });
  assert.equal(v.certified, false);
  assert.equal(v.conditions.length, 1);
  const r = v.conditions[0].result;
  assert.equal(r.status, 'falsified');
  if (r.status === 'falsified') assert.ok(Math.hypot(r.counterexample[0] - 1.5, r.counterexample[1]) <= 0.5 + 1e-12);
  const small = new BarrierMlp(2, { hidden: [4] });
  const psi2 = small.init(Rng.fromSeed(4));
  const open = verifyBarrier(barrierConditions(PJ, pi, THETA_SAFE, small, psi2).slice(2, 3), { maxBoxes: 1, cells: 3 });
  if (open.conditions[0].result.status === 'unknown') assert.ok(open.conditions[0].result.unresolvedBoxes.length >= 1);
  else assert.equal(open.conditions[0].result.status, 'falsified');
});

test('neuralTraining: options are validated, naming the field and the value', () => {
  const pi = new FeaturePolicy(2, 1);
  const b = new BarrierMlp(2, { hidden: [4] });
  assert.throws(() => neuralTraining(PJ, pi, b, { lowerSteps: -1 }), /neuralTraining: options.lowerSteps must be an integer ≥ 0, received -1/);
  assert.throws(() => neuralTraining(PJ, pi, b, { upper: 'implicit' as 'frozen' }), /options.upper must be 'unrolled' or 'frozen', received 'implicit'/);
  // the box and the decay are the system's terms (PJ.terms.neural), checked there
  assert.throws(() => neuralTraining({ ...PJ, terms: { ...PJ.terms, neural: { ...PJ.terms.neural!, domain: { lo: [1, 0], hi: [0, 1] } } } }, pi, b), /terms.neural.domain must be a box of dimension 2 with finite lo < hi/);
  assert.throws(() => neuralTraining({ ...PJ, terms: { ...PJ.terms, neural: { ...PJ.terms.neural!, decay: 1.5 } } }, pi, b), /terms.neural.decay must be in \[0, 1\], received 1.5/);
  assert.throws(() => neuralTraining(PJ, pi, new BarrierMlp(3)), /barrier must take 2 states, received 3/);
  assert.throws(() => neuralTraining(PJ, pi, b).init(new Float64Array(3), b.init(Rng.fromSeed(0))), /theta0 must have length 2, received 3/);
});
