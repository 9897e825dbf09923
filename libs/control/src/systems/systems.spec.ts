// Each system's float64 dynamics against its polynomial form and its Jacobians against central differences, at
// seeded random states in the domain, inputs in [−3, 3] and parameters in their box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '@bilevel/linalg';
import { SYSTEMS, getSystem } from './registry';
import { PENDULUM_SIN_REMAINDER } from './pendulum';
import { LANE_KEEPING_A, LANE_KEEPING_B } from './lane-keeping';
import { LANE_KEEPING_PAPER_RANGES } from './lane-keeping-paper';
import { PJ_PAPER_RANGES } from './pj-paper';
import { ATTITUDE_PAPER_RANGES } from './attitude';
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

test('the registry knows the project variants and the paper systems, and names the unknown ones', () => {
  assert.deepEqual(Object.keys(SYSTEMS).sort(), ['attitude', 'cartpole', 'lane-keeping', 'lane-keeping-paper', 'lane-keeping-paper-lyapunov', 'pendulum', 'pendulum-paper', 'pj', 'pj-paper']);
  for (const [name, sys] of Object.entries(SYSTEMS)) assert.equal(sys.name, name);
  assert.throws(() => getSystem('acrobot'), /getSystem: name must be one of pj, pendulum, lane-keeping, cartpole, pj-paper, .*, received 'acrobot'/);
});

test('sets lie in the domain box and dimensions agree', () => {
  for (const sys of Object.values(SYSTEMS)) {
    assert.equal(sys.stateNames.length, sys.nx);
    const inside = (b: { lo: readonly number[]; hi: readonly number[] }) =>
      b.lo.every((l, i) => l >= sys.domain.lo[i] - 1e-12) && b.hi.every((h, i) => h <= sys.domain.hi[i] + 1e-12);
    assert.ok(inside(ballBox(sys.initial)), `${sys.name} initial set`);
    if (sys.unsafe) assert.ok(inside(ballBox(sys.unsafe)), `${sys.name} unsafe set`);
    assert.equal(paramVertices(sys).length, 2 ** sys.params.filter((p) => p.lo < p.hi).length);
    for (const p of sys.params) assert.ok(p.lo <= p.nominal && p.nominal <= p.hi, `${sys.name} ${p.name}: nominal in range`);
    if (sys.polynomial) assert.ok(sys.polynomial.every((p) => p.nvars === sys.nx + sys.nu + sys.params.length));
  }
});

test('systems with an exact polynomial form: it equals the float dynamics', () => {
  const rng = Rng.fromSeed(1);
  for (const sys of Object.values(SYSTEMS).filter((s) => s.polynomialNote.startsWith('exact'))) {
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

test('Jacobians of every system match central differences', () => {
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
          // plus the rounding of f itself divided by 2h (PJ-paper's x₁³ reaches 1e6 on its [−100, 100]² domain)
          const rounding = (4 * Number.EPSILON * Math.max(1, Math.abs(fp[i]), Math.abs(fm[i]))) / (2 * FD_H);
          assert.ok(Math.abs(fd - an) <= FD_TOL * (1 + Math.abs(fd)) + rounding, `${sys.name} ∂f${i}/∂v${j}: ${an} vs ${fd}`);
        }
      }
    }
  }
});

// The paper systems against the numbers of Wang et al. (ICCPS 2023, Sec. 5) and of the authors' simulators
// (SimonZhan-code/Certified-RL-LP: PJ_LP.py, pendulum_LP.py, LK_LP.py, AttControl_LP.py).
test('pj-paper: x ∈ [−100, 100]², the paper\'s sets, identified α = (1, 1/3), Δt 0.1, 100 steps; the paper range ±1.5', () => {
  const s = getSystem('pj-paper');
  assert.deepEqual([s.domain.lo, s.domain.hi], [[-100, -100], [100, 100]]);
  assert.deepEqual([s.initial, s.unsafe], [{ centre: [1.5, 0], radius: 0.5 }, { centre: [-0.8, -1], radius: 0.5 }]);
  assert.deepEqual(s.params.map((p) => [p.lo, p.nominal, p.hi]), [[1, 1, 1], [1 / 3, 1 / 3, 1 / 3]]);
  assert.deepEqual([s.dt, s.horizon, s.certificate], [0.1, 100, 'barrier']);
  assert.deepEqual(PJ_PAPER_RANGES, [[-1.5, 1.5], [-1.5, 1.5]]);
});

test('pendulum-paper: m = l = 1, d = 0.1, identified g = 10, domain φ² + ω² ≤ 2, initial set ≤ 1, Δt 0.05', () => {
  const s = getSystem('pendulum-paper');
  assert.deepEqual([s.domainBall, s.initial], [{ centre: [0, 0], radius: Math.SQRT2 }, { centre: [0, 0], radius: 1 }]);
  assert.deepEqual([s.params[0].lo, s.params[0].nominal, s.params[0].hi, s.dt, s.certificate], [10, 10, 10, 0.05, 'lyapunov']);
  const f = new Float64Array(2);
  s.dynamics([0.5, 0.2], [0.3], [10, 0], f);
  assert.ok(Math.abs(f[1] - (-10 * Math.sin(0.5) - 0.1 * 0.2 + 0.3)) < 1e-15);
});

test('lane-keeping-paper: the continuous model reproduces the simulator\'s discrete matrices (ZOH, Δt 0.02) to 3 digits', () => {
  // Arrange: x⁺ = e^{AΔt}x + (∫e^{As}ds)Bu by a 40-term Taylor series of the matrix exponential
  const s = getSystem('lane-keeping-paper');
  const A = new Float64Array(16);
  const B = new Float64Array(4);
  s.jacobians([0, 0, 0, 0], [0], [s.params[0].nominal, s.params[1].nominal], A, B);
  const mm = (X: Float64Array, Y: Float64Array) => Float64Array.from({ length: 16 }, (_, k) => [0, 1, 2, 3].reduce((acc, j) => acc + X[Math.floor(k / 4) * 4 + j] * Y[j * 4 + (k % 4)], 0));
  let term = Float64Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 1 : 0));
  const Ad = Float64Array.from(term);
  const S = Float64Array.from(term, (v) => v * s.dt); // ∫₀^Δt e^{As} ds = Σ A^k Δt^{k+1}/(k+1)!
  for (let k = 1; k < 40; k++) {
    term = mm(term, A).map((v) => (v * s.dt) / k);
    Ad.forEach((_, i) => (Ad[i] += term[i]));
    S.forEach((_, i) => (S[i] += (term[i] * s.dt) / (k + 1)));
  }
  const Bd = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].reduce((acc, j) => acc + S[i * 4 + j] * B[j], 0));
  // Act / Assert: against LANE_KEEPING_A / _B (the simulator's matrices, 3 significant digits)
  LANE_KEEPING_A.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(Ad[i * 4 + j] - v) < 2e-3, `A_d[${i}][${j}] = ${Ad[i * 4 + j]} vs ${v}`)));
  LANE_KEEPING_B.forEach((v, i) => assert.ok(Math.abs(Bd[i] - v) < 2e-3, `B_d[${i}] = ${Bd[i]} vs ${v}`));
  assert.deepEqual([s.initial, s.unsafe, s.domainBall], [{ centre: [0.4, 2, 0.5, 0], radius: 0.2 }, { centre: [2, 2, 0, 1], radius: 1 }, { centre: [0, 0, 0, 0], radius: 3 }]);
  assert.ok(LANE_KEEPING_PAPER_RANGES.every(([lo, hi], k) => lo <= s.params[k].nominal && s.params[k].nominal <= hi), 'identified α inside the paper\'s ranges [−15, 5], [−10, −1]');
  assert.equal(getSystem('lane-keeping-paper-lyapunov').certificate, 'lyapunov');
});

test('attitude: the paper\'s equations at a hand point, 6 states, 3 inputs, ‖x‖² ≤ 2, α = (0.25, 0.5) in (−1…2, −0.5…1.5)', () => {
  const s = getSystem('attitude');
  assert.deepEqual([s.nx, s.nu, s.dt, s.horizon, s.certificate, s.domainBall!.radius], [6, 3, 0.1, 100, 'lyapunov', Math.SQRT2]);
  const f = new Float64Array(6);
  // ω = (1, 2, 3), ψ = (0.1, 0.2, 0.3), u = (1, 1, 1): by hand from the paper's equations
  s.dynamics([1, 2, 3, 0.1, 0.2, 0.3], [1, 1, 1], [0.25, 0.5], f);
  const expected = [0.25 * (1 + 6), 0.5 * (1 - 9), 1 + 4, 0.5 * (2 * (0.02 - 0.3) + 3 * (0.03 + 0.2) + 1 * 1.01), 0.5 * (1 * (0.02 + 0.3) + 3 * (0.06 - 0.1) + 2 * 1.04), 0.5 * (1 * (0.03 - 0.2) + 2 * (0.06 + 0.1) + 3 * 1.09)];
  expected.forEach((v, i) => assert.ok(Math.abs(f[i] - v) < 1e-14, `f${i} = ${f[i]} vs ${v}`));
  assert.deepEqual(ATTITUDE_PAPER_RANGES, [[-1, 2], [-0.5, 1.5]]);
  assert.deepEqual(s.params.map((p) => p.nominal), [0.25, 0.5]);
});
