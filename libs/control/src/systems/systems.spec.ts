// Each system's float64 dynamics against its polynomial form and its Jacobians against central differences, at
// seeded random states in the domain, inputs in [−3, 3] and parameters in their box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { SYSTEMS, getSystem } from './registry';
import { PENDULUM_SIN_REMAINDER } from './pendulum';
import { ballBox, paramVertices } from './control-system';
import type { ControlSystem } from './control-system';

const POINTS = 200;
const EXACT_REL = 1e-12; // PJ and lane keeping: the polynomial is the same expression, only summation order differs
const FD_H = 1e-6;
const FD_TOL = 1e-6; // central differences: O(h²)·|f'''| + rounding 1e-16/h ≈ 1e-10 relative, with margin

function draw(sys: ControlSystem, rng: Rng): { x: Float64Array; u: Float64Array; a: Float64Array } {
  const x = Float64Array.from(sys.domain.lo, (lo, i) => lo + (sys.domain.hi[i] - lo) * rng.float());
  const u = Float64Array.from({ length: sys.nu }, () => 6 * rng.float() - 3);
  const a = Float64Array.from(sys.params, (p) => p.lo + (p.hi - p.lo) * rng.float());
  return { x, u, a };
}

test('the registry knows the four systems and names the unknown ones', () => {
  assert.deepEqual(Object.keys(SYSTEMS).sort(), ['cartpole', 'lane-keeping', 'pendulum', 'pj']);
  assert.equal(getSystem('pj').name, 'pj');
  assert.throws(() => getSystem('acrobot'), /getSystem: name must be one of pj, pendulum, lane-keeping, cartpole, received 'acrobot'/);
});

test('sets lie in the domain box and dimensions agree', () => {
  for (const sys of Object.values(SYSTEMS)) {
    assert.equal(sys.stateNames.length, sys.nx);
    const inside = (b: { lo: readonly number[]; hi: readonly number[] }) =>
      b.lo.every((l, i) => l >= sys.domain.lo[i] - 1e-12) && b.hi.every((h, i) => h <= sys.domain.hi[i] + 1e-12);
    assert.ok(inside(ballBox(sys.initial)), `${sys.name} initial set`);
    if (sys.unsafe) assert.ok(inside(ballBox(sys.unsafe)), `${sys.name} unsafe set`);
    assert.equal(paramVertices(sys).length, 2 ** sys.params.length);
    if (sys.polynomial) assert.ok(sys.polynomial.every((p) => p.nvars === sys.nx + sys.nu + sys.params.length));
  }
});

test('PJ and lane keeping: polynomial form equals the float dynamics', () => {
  const rng = Rng.fromSeed(1);
  for (const sys of [getSystem('pj'), getSystem('lane-keeping')]) {
    const f = new Float64Array(sys.nx);
    for (let k = 0; k < POINTS; k++) {
      const { x, u, a } = draw(sys, rng);
      sys.dynamics(x, u, a, f);
      const v = [...x, ...u, ...a];
      sys.polynomial!.forEach((p, i) => {
        const pv = p.evaluate(v);
        assert.ok(Math.abs(pv - f[i]) <= EXACT_REL * (1 + Math.abs(f[i])), `${sys.name} f${i}: ${pv} vs ${f[i]}`);
      });
    }
  }
});

test('lane keeping: one Euler step is the discrete model x⁺ = A x + B u', () => {
  const sys = getSystem('lane-keeping');
  const x = [0.4, 2, 0.5, 0];
  const u = [0.3];
  const f = new Float64Array(4);
  sys.dynamics(x, u, [], f);
  // A x + B u computed by hand from the anchors' matrices: row 0 = 0.4 + 0.019·2 + 0.268·0.5 + 0.0077·0.3
  const expected0 = 0.4 + 0.038 + 0.134 + 0.00231;
  assert.ok(Math.abs(x[0] + sys.dt * f[0] - expected0) < 1e-12);
});

test('pendulum: the true sine lies inside the polynomial form for some w in range (the stated remainder)', () => {
  const sys = getSystem('pendulum');
  const rng = Rng.fromSeed(2);
  const f = new Float64Array(2);
  let worst = 0;
  for (let k = 0; k < 2000; k++) {
    const { x, u, a } = draw(sys, rng);
    a[1] = 0;
    sys.dynamics(x, u, a, f);
    const v = [...x, ...u, ...a];
    const at = (w: number) => sys.polynomial![1].evaluate([...v.slice(0, 4), w]);
    const lo = Math.min(at(sys.params[1].lo), at(sys.params[1].hi));
    const hi = Math.max(at(sys.params[1].lo), at(sys.params[1].hi));
    assert.ok(f[1] >= lo - 1e-12 && f[1] <= hi + 1e-12, `true ${f[1]} outside [${lo}, ${hi}] at phi = ${x[0]}`);
    if (Math.abs(x[0]) > 1e-3) worst = Math.max(worst, Math.abs(at(0) - f[1]) / (a[0] * Math.abs(x[0])));
  }
  assert.ok(worst <= PENDULUM_SIN_REMAINDER);
  assert.ok(worst > 0.3 * PENDULUM_SIN_REMAINDER, `the bound is not vacuous: the relative error reaches ${worst}`);
});

test('Jacobians of all four systems match central differences', () => {
  const rng = Rng.fromSeed(3);
  for (const sys of Object.values(SYSTEMS)) {
    const { nx, nu } = sys;
    const fx = new Float64Array(nx * nx);
    const fu = new Float64Array(nx * nu);
    const fp = new Float64Array(nx);
    const fm = new Float64Array(nx);
    for (let k = 0; k < 50; k++) {
      const { x, u, a } = draw(sys, rng);
      sys.jacobians(x, u, a, fx, fu);
      for (let j = 0; j < nx + nu; j++) {
        const xp = Float64Array.from(x);
        const xm = Float64Array.from(x);
        const up = Float64Array.from(u);
        const um = Float64Array.from(u);
        if (j < nx) {
          xp[j] += FD_H;
          xm[j] -= FD_H;
        } else {
          up[j - nx] += FD_H;
          um[j - nx] -= FD_H;
        }
        sys.dynamics(xp, up, a, fp);
        sys.dynamics(xm, um, a, fm);
        for (let i = 0; i < nx; i++) {
          const fd = (fp[i] - fm[i]) / (2 * FD_H);
          const an = j < nx ? fx[i * nx + j] : fu[i * nu + (j - nx)];
          assert.ok(Math.abs(fd - an) <= FD_TOL * (1 + Math.abs(fd)), `${sys.name} ∂f${i}/∂v${j}: ${an} vs ${fd}`);
        }
      }
    }
  }
});
