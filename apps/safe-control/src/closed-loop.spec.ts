// Closed-loop rollouts: the unsafe flag against a direct distance check, and a diverging rollout cut short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeaturePolicy, getSystem, rollout } from '@bilevel/control';
import { closedLoop } from './closed-loop';

test('the first unsafe step is the first state within the unsafe ball, found by an independent scan', () => {
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1, { constant: true });
  const theta = Float64Array.of(-7.07, -6.52, -3.46); // about what 200 SVG steps reach: trajectories cross the unsafe ball
  const trs = closedLoop(sys, pi, theta, 12, 5);
  assert.equal(trs.length, 12);
  let flagged = 0;
  for (const t of trs) {
    const xs = rollout(sys, pi, theta, t.x0).xs;
    let first = -1;
    for (let k = 0; k <= sys.horizon && first < 0; k++) if (Math.hypot(xs[2 * k] + 0.8, xs[2 * k + 1] + 1) <= 0.5) first = k;
    assert.equal(t.unsafeStep, first);
    if (first >= 0) flagged++;
  }
  assert.ok(flagged > 0, 'the test policy must produce at least one unsafe trajectory');
});

test('a diverging rollout is cut before its first huge or non-finite state', () => {
  const sys = getSystem('pj');
  const pi = new FeaturePolicy(2, 1);
  const [t] = closedLoop(sys, pi, Float64Array.of(5, 5), 1, 0); // positive feedback: x1³ escapes in finite time
  const steps = t.xs.length / 2;
  assert.ok(steps >= 1 && steps < sys.horizon + 1);
  assert.ok(t.xs.every((v) => Number.isFinite(v) && Math.abs(v) <= 1e6));
});
