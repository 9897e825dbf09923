// dynamicsNodes against system.dynamics: the graph's f (continuous) or x⁺ (discrete, compared with x + Δt f) at
// random states, inputs and parameters in range; the pendulum's graph uses the true sine, so it must agree with the
// float dynamics to rounding (REL 1e-9; lane keeping's difference quotient f = ((A − I)x + Bu)/Δt rounds at ~1e-14
// relative, times 1/Δt = 50). The cart-pole (rational dynamics) has no graph form and is rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Graph, evaluate } from '@bilevel/verify';
import { getSystem } from '../systems/registry';
import { dynamicsNodes } from './dynamics-nodes';

const REL = 1e-9;
const PARAMS = { seed: 5, numRuns: 100 };

for (const name of ['pj', 'pendulum', 'lane-keeping']) {
  test(`${name}: graph dynamics = system.dynamics`, () => {
    const sys = getSystem(name);
    const { nx, nu } = sys;
    const np = sys.params.length;
    const g = new Graph(nx + nu + np);
    const v = g.inputs();
    const dyn = dynamicsNodes(g, sys, v.slice(0, nx), v.slice(nx, nx + nu), v.slice(nx + nu));
    assert.equal(dyn.kind, sys.discrete ? 'successor' : 'vector-field');
    const unit = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: nx + nu + np, maxLength: nx + nu + np });
    fc.assert(
      fc.property(unit, (t) => {
        const x = sys.domain.lo.map((lo, i) => lo + t[i] * (sys.domain.hi[i] - lo));
        const u = t.slice(nx, nx + nu).map((s) => 10 * (2 * s - 1));
        const a = sys.params.map((p, k) => (dyn.usesParam[k] ? p.lo + t[nx + nu + k] * (p.hi - p.lo) : p.nominal));
        const vals = evaluate(g, [...x, ...u, ...a]);
        const f = new Float64Array(nx);
        sys.dynamics(x, u, a, f);
        for (let i = 0; i < nx; i++) {
          const want = dyn.kind === 'successor' ? x[i] + sys.dt * f[i] : f[i];
          assert.ok(Math.abs(vals[dyn.nodes[i]] - want) <= REL * (1 + Math.abs(want)), `${name} component ${i}: ${vals[dyn.nodes[i]]} vs ${want}`);
        }
      }),
      PARAMS,
    );
  });
}

test('pendulum: the graph holds the true sine (a sin node), and leaves the Taylor remainder parameter unused', () => {
  const sys = getSystem('pendulum');
  const g = new Graph(4);
  const v = g.inputs();
  const dyn = dynamicsNodes(g, sys, v.slice(0, 2), [g.constant(0)], v.slice(2));
  assert.ok(g.nodes.some((n) => n.op === 'sin'));
  assert.deepEqual(dyn.usesParam, [true, false]);
});

test('cart-pole and wrong arities are rejected', () => {
  const g = new Graph(6);
  const v = g.inputs();
  assert.throws(() => dynamicsNodes(g, getSystem('cartpole'), v.slice(0, 4), [v[4]], [v[5]]), /dynamicsNodes: system 'cartpole' has no graph dynamics/);
  assert.throws(() => dynamicsNodes(g, getSystem('pj'), v.slice(0, 3), [v[4]], [v[5]]), /expected 2 state, 1 input and 2 parameter nodes for 'pj', received 3, 1, 1/);
});
