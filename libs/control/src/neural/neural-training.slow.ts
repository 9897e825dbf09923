// The neural track's "Done when": PJ (linear policy trained jointly from u = −2x₁ − 2x₂) and the inverted pendulum
// (an MLP policy 2-8-1 tanh, squashed to |u| ≤ 15, trained jointly from random weights), each with a 2-8-1 tanh
// barrier, certified by branch and bound on the composed graph policy → dynamics → barrier with the uncertain
// parameters as box dimensions; then confirmed by sampling the four conditions and by closed-loop rollouts.
// Observed on one core: PJ 23 outer steps, ~11 s, 8 verifications, 3,942 boxes; pendulum 17 steps, ~13 s,
// 6 verifications, 3,123 boxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { PJ } from '../systems/pj';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import { rollout, sampleBall, sampleInitialStates } from '../rollout';
import type { ControlSystem } from '../systems/control-system';
import type { Policy } from '../policy';
import { BarrierMlp } from './barrier-mlp';
import { successors } from './barrier-loss';
import { INVERTED_PENDULUM, invertedPendulumGraph } from './inverted-pendulum';
import { neuralTraining } from './neural-training';
import type { NeuralTrainingOptions } from './neural-training';

const MAX_STEPS = 60;
const SAMPLES = 20000;
const DECAY = 0.1;

function confirm(sys: ControlSystem, pi: Policy, theta: Float64Array, b: BarrierMlp, psi: Float64Array, domain: { lo: readonly number[]; hi: readonly number[] }): number {
  const rng = Rng.fromSeed(99);
  for (const x of sampleBall(sys.initial.centre, sys.initial.radius, SAMPLES, rng)) assert.ok(b.forward(psi, x) <= 0, 'initial');
  for (const x of sampleBall(sys.unsafe!.centre, sys.unsafe!.radius, SAMPLES, rng)) assert.ok(b.forward(psi, x) > 0, 'unsafe');
  const pts = Array.from({ length: SAMPLES }, () =>
    Float64Array.from([...domain.lo.map((l, i) => l + rng.float() * (domain.hi[i] - l)), ...sys.params.map((p) => p.lo + rng.float() * (p.hi - p.lo))]),
  );
  const next = successors(sys, pi, theta, pts, false).next;
  let inside = 0;
  pts.forEach((p, n) => {
    const bx = b.forward(psi, p.subarray(0, sys.nx));
    if (bx > 0) return;
    inside++;
    assert.ok(b.forward(psi, next[n]) <= (1 - DECAY) * bx, 'decrease');
    assert.ok(next[n].every((v, i) => v >= domain.lo[i] && v <= domain.hi[i]), 'stay');
  });
  for (const x0 of sampleInitialStates(sys, 20, rng)) {
    const tr = rollout(sys, pi, theta, x0);
    for (let t = 0; t <= sys.horizon; t++) {
      const x = tr.xs.subarray(t * sys.nx, (t + 1) * sys.nx);
      assert.ok(Math.hypot(...x.map((v, i) => v - sys.unsafe!.centre[i])) > sys.unsafe!.radius, 'a rollout enters the unsafe ball');
    }
  }
  return inside;
}

const CASES: { name: string; sys: ControlSystem; policy: () => { pi: Policy; theta0: Float64Array }; options: NeuralTrainingOptions }[] = [
  {
    name: 'PJ (linear policy)',
    sys: PJ,
    policy: () => ({ pi: new FeaturePolicy(2, 1), theta0: Float64Array.of(-2, -2) }),
    options: { margin: 0.1, lambda0: 50, lambdaGrowth: 1.2, verifyEvery: 3, verifyCells: 12 },
  },
  {
    name: 'inverted pendulum (MLP policy)',
    sys: INVERTED_PENDULUM,
    policy: () => {
      const pi = new MlpPolicy(2, 1, { hidden: [8], squash: 15 });
      return { pi, theta0: pi.init(Rng.fromSeed(1)) };
    },
    options: { dynamicsGraph: invertedPendulumGraph, margin: 0.1, lambda0: 1, lambdaGrowth: 1.2, verifyEvery: 3, verifyCells: 12 },
  },
];

for (const c of CASES) {
  test(`neural track: ${c.name} is certified by branch and bound, and sampling and rollouts agree`, (t) => {
    const { pi, theta0 } = c.policy();
    const b = new BarrierMlp(c.sys.nx, { hidden: [8] });
    const run = neuralTraining(c.sys, pi, b, c.options);
    let s = run.init(theta0, b.init(Rng.fromSeed(0)));
    const t0 = performance.now();
    while (!s.done && s.iteration < MAX_STEPS) s = run.step(s);
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(s.outcome, 'certified', `${c.name}: ${s.outcome} after ${s.iteration} steps`);
    const v = s.diagnostics!.verification!;
    assert.ok(v.conditions.every((r) => r.result.status === 'verified'));
    const inside = confirm(c.sys, pi, s.theta, b, s.psi, c.sys.terms.neural!.domain);
    t.diagnostic(
      `${c.name}: certified at step ${s.iteration} in ${seconds.toFixed(1)} s; ${s.verifications} verifications, ${s.verifyBoxes} boxes, ` +
        `${s.verifySeconds.toFixed(1)} s verifying; last: ${v.conditions.map((r) => `${r.name} ${r.result.stats.boxesProcessed}`).join(', ')} boxes; ` +
        `training set ${s.diagnostics!.trainingSetSize}; ${inside} of ${SAMPLES} sampled states in S`,
    );
  });
}
