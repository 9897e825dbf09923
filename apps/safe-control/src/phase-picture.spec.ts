// The picture for a > 2-D system states its projection; a Lyapunov function is drawn at the level that encloses
// the initial set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeaturePolicy, Polynomial, getSystem } from '@bilevel/control';
import { closedLoop } from './closed-loop';
import { phasePicture } from './phase-picture';

test('lane keeping (4-D): the projection is stated in the result and the subtitle', async () => {
  const sys = getSystem('lane-keeping');
  const pi = new FeaturePolicy(4, 1);
  const trajectories = closedLoop(sys, pi, new Float64Array(4), 3, 0);
  const b = Polynomial.fromTerms(4, [[[1, 0, 0, 0], 1], [[0, 0, 0, 0], -1]]); // B = y − 1: the line y = 1
  const p = await phasePicture({ system: sys, trajectories, certificate: b, title: 't', subtitle: ['s'] });
  assert.equal(p.projection, "projection on (y, vy); certificate sliced at psi = 0.5, r = 0 (the initial set's centre)");
  assert.ok(p.svg.includes('projection on (y, vy)'));
  assert.match(p.svg, /contour_marks/);
});

test('pendulum (Lyapunov): the drawn level is the largest V on the initial set', async () => {
  const sys = getSystem('pendulum');
  const pi = new FeaturePolicy(2, 1);
  const v = Polynomial.fromTerms(2, [[[2, 0], 1], [[0, 2], 1]]); // V = φ² + ω², initial set: the unit disc
  const p = await phasePicture({ system: sys, trajectories: closedLoop(sys, pi, new Float64Array(2), 2, 0), certificate: v, title: 't', subtitle: [] });
  assert.equal(p.projection, null);
  // max of V over 2,000 points uniform in the unit disc lies just below 1 (the largest radius² of 2,000 draws)
  const label = /V\(x\) = ([\d.]+) \(max on initial set\)/.exec(p.svg);
  assert.ok(label, 'the level is in the legend');
  assert.ok(Number(label[1]) > 0.99 && Number(label[1]) <= 1, label[1]);
});
