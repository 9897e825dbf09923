// Issue 23, item 1: `verify` takes the terms of every condition (λ_B, ε, the excluded neighbourhood) from the system
// the user names, never from the certificate file. The audit's three crafted files are rebuilt here: each states
// terms under which a false claim passes. A file that states terms other than the system's is refused (exit 2, one
// line naming the field, the file's value and the system's); the same certificate without stated terms is checked
// against the system's terms and is NOT CERTIFIED (exit 3). Each test also shows that the claim is false (a
// trajectory that reaches the unsafe set inside the box; an unstable closed loop; a state outside |x| < 0.1 where V
// does not decrease), so that a verdict of CERTIFIED would be wrong, not merely unexpected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANE_KEEPING, LANE_KEEPING_A, LANE_KEEPING_B, PENDULUM } from '@bilevel/control';
import { cli } from './in-process-cli';
import { EXIT } from './exit-codes';

const root = mkdtempSync(join(tmpdir(), 'safe-control-crafted-'));
const SAMPLES = '5000';

interface Term {
  readonly exponents: readonly number[];
  readonly coefficient: number;
}

/** Writes policy.json (a linear feature policy u = Σ θ_i x_i) and certificate.json; `conditions` omitted when null. */
function craft(name: string, system: string, nx: number, theta: readonly number[], terms: readonly Term[], conditions: Record<string, number> | null): { policy: string; certificate: string } {
  const policy = join(root, `${name}-policy.json`);
  const certificate = join(root, `${name}-certificate.json`);
  const features = Array.from({ length: nx }, (_, i) => `x${i + 1}`);
  writeFileSync(policy, JSON.stringify({ format: 'safe-control.policy', version: 1, system, kind: 'feature', nx, nu: 1, degree: 1, constant: false, features, theta }));
  const kind = system === 'pendulum' ? 'lyapunov' : 'barrier';
  writeFileSync(
    certificate,
    JSON.stringify({ format: 'safe-control.certificate', version: 1, system, kind: 'polynomial', certificate: kind, nx, ...(conditions ? { conditions } : {}), cStar: -1, text: 'crafted', terms }),
  );
  return { policy, certificate };
}

const verify = (system: string, files: { policy: string; certificate: string }, out?: string) =>
  cli(['verify', '--system', system, '--policy', files.policy, '--certificate', files.certificate, '--samples', SAMPLES, ...(out ? ['--out', out] : [])]);

/**
 * A lane-keeping barrier B(x) = wᵀx + b and a linear gain K such that wᵀ(A + BK) = c·wᵀ with c = 1 + Δt·λ_B < 0:
 * then B(x⁺) − c·B(x) = (1 − c)·b ≤ 0 holds on the whole box, B ≤ 0 on X₀ and B > 0 on Xᵤ, and the file's
 * "condition" holds, yet with c < 0 it says nothing (B(x) ≤ 0 allows B(x⁺) > 0).
 */
function laneKeepingAttack(lambdaB: number, w: readonly number[]): { theta: number[]; terms: Term[]; c: number } {
  const c = 1 + LANE_KEEPING.dt * lambdaB;
  const A = LANE_KEEPING_A;
  const Bd = LANE_KEEPING_B;
  const wB = w.reduce((s, wi, i) => s + wi * Bd[i], 0);
  const theta = [0, 1, 2, 3].map((j) => -w.reduce((s, wi, i) => s + wi * (A[i][j] - (i === j ? c : 0)), 0) / wB);
  const norm = Math.hypot(...w);
  const dot = (p: readonly number[]) => p.reduce((s, v, i) => s + v * w[i], 0);
  const bMax = -dot(LANE_KEEPING.initial.centre) - norm * LANE_KEEPING.initial.radius; // B ≤ 0 on X₀
  const bMin = -dot(LANE_KEEPING.unsafe!.centre) + norm * LANE_KEEPING.unsafe!.radius; // B > 0 on Xᵤ
  assert.ok(bMin < bMax && bMax < 0, `no room for b: (${bMin}, ${bMax}]`);
  const b = (bMin + bMax) / 2;
  const unit = (i: number) => [0, 1, 2, 3].map((k) => (k === i ? 1 : 0));
  return { theta, terms: [{ exponents: [0, 0, 0, 0], coefficient: b }, ...w.map((wi, i) => ({ exponents: unit(i), coefficient: wi }))], c };
}

/** The step at which x⁺ = A x + B θᵀx from x0 first enters Xᵤ while every state before stays in the box, or −1. */
function laneKeepingEntry(theta: readonly number[], x0: readonly number[]): number {
  let x = [...x0];
  const { lo, hi } = LANE_KEEPING.domain;
  for (let k = 1; k <= 100; k++) {
    if (x.some((v, i) => v < lo[i] || v > hi[i])) return -1;
    const u = theta.reduce((s, t, j) => s + t * x[j], 0);
    x = LANE_KEEPING_A.map((row, i) => row.reduce((s, a, j) => s + a * x[j], 0) + LANE_KEEPING_B[i] * u);
    if (Math.hypot(...x.map((v, i) => v - LANE_KEEPING.unsafe!.centre[i])) <= LANE_KEEPING.unsafe!.radius) return k;
  }
  return -1;
}

/** Directions w of the crafted barriers and a state on the boundary of X₀ whose trajectory shows the claim false. */
const LANE_ATTACKS = [
  { lambdaB: -103.657, w: [0.5016045546436257, 0.6375878045004362, -0.4092558026141331, 0.41759352286613033], x0: [0.23614509991337687, 1.8925066046578811, 0.5329617932193257, -0.022588976585762168] },
  { lambdaB: -150, w: [0.3281950211330091, 0.10306059440054374, -0.7568420106655753, 0.5557487857629556], x0: [0.29411605443583555, 2.114950777078578, 0.502504556086375, 0.12477434079010942] },
];

for (const { lambdaB, w, x0 } of LANE_ATTACKS) {
  test(`crafted lane keeping with lambdaB = ${lambdaB} (decay factor < 0): refused as stated, NOT CERTIFIED under the system's terms`, async () => {
    const { theta, terms, c } = laneKeepingAttack(lambdaB, w);
    assert.ok(c < 0, `decay factor ${c}`);
    // the claim is false: a trajectory from X₀ reaches Xᵤ without leaving the box
    assert.ok(Math.abs(Math.hypot(...x0.map((v, i) => v - LANE_KEEPING.initial.centre[i])) - LANE_KEEPING.initial.radius) < 1e-9, 'x0 on the boundary of X₀');
    const step = laneKeepingEntry(theta, x0);
    assert.ok(step > 0, 'the closed loop enters the unsafe set inside the box');
    const stated = craft(`lane${lambdaB}`, 'lane-keeping', 4, theta, terms, { lambdaB, epsilon: 0.01, innerRadius: 0.1 });
    const r = await verify('lane-keeping', stated);
    assert.equal(r.code, EXIT.badInput, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /CERTIFIED/);
    assert.match(r.stderr, new RegExp(`certificate\\.json: conditions\\.lambdaB is ${String(lambdaB).replace('.', '\\.')} in the file, but the system 'lane-keeping' defines -4`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const bare = craft(`lane${lambdaB}-bare`, 'lane-keeping', 4, theta, terms, null);
    const out = join(root, `lane${lambdaB}-verdict`);
    const v = await verify('lane-keeping', bare, out);
    assert.equal(v.code, EXIT.notCertified, v.stdout + v.stderr);
    assert.match(v.stdout, /lane-keeping: NOT CERTIFIED/);
    const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8'));
    assert.equal(verdict.certified, false);
    assert.equal(verdict.violated, 'derivative');
  });
}

test('crafted pendulum with V ≡ 0 and epsilon = 0 (an unstable closed loop): refused as stated, NOT CERTIFIED under the system terms', async () => {
  // u = 30.04 φ + 5 ω: at g = 9 the linearization has eigenvalues −2.75 and 7.65
  const theta = [30.04, 5];
  const trace = theta[1] - 0.1;
  const det = -(theta[0] - 9);
  const eig = [(trace - Math.sqrt(trace * trace - 4 * det)) / 2, (trace + Math.sqrt(trace * trace - 4 * det)) / 2];
  assert.ok(Math.abs(eig[0] + 2.75) < 0.01 && Math.abs(eig[1] - 7.65) < 0.01, `eigenvalues ${eig}`);
  const zero: Term[] = [{ exponents: [2, 0], coefficient: 0 }, { exponents: [1, 1], coefficient: 0 }, { exponents: [0, 2], coefficient: 0 }];
  const r = await verify('pendulum', craft('pend-zero', 'pendulum', 2, theta, zero, { lambdaB: -4, epsilon: 0, innerRadius: 0.1 }));
  assert.equal(r.code, EXIT.badInput, r.stdout + r.stderr);
  assert.match(r.stderr, /conditions\.epsilon is 0 in the file, but the system 'pendulum' defines 0\.01/);
  const v = await verify('pendulum', craft('pend-zero-bare', 'pendulum', 2, theta, zero, null));
  assert.equal(v.code, EXIT.notCertified, v.stdout + v.stderr);
  assert.match(v.stdout, /pendulum: NOT CERTIFIED .*(positive|decrease) condition violated/);
});

test('crafted pendulum with innerRadius = 1.41 (decrease claimed outside |x| < 0.1): refused as stated, NOT CERTIFIED under the system terms', async () => {
  // V = xᵀPx decreases on the rim |x|∞ ≥ 1.41 of the domain box but not everywhere outside |x|∞ < 0.1
  const theta = [3.356647448780315, -4.942109449739619];
  const P = [0.5932956452450229, 0.5199096330999908, 1.1212035115441323];
  const V: Term[] = [{ exponents: [2, 0], coefficient: P[0] }, { exponents: [1, 1], coefficient: 2 * P[1] }, { exponents: [0, 2], coefficient: P[2] }];
  const x = [-0.9899494936611666, 0.6128258770283412];
  const g = 9;
  const f = [x[1], -g * Math.sin(x[0]) - 0.1 * x[1] + theta[0] * x[0] + theta[1] * x[1]];
  const vdot = 2 * ((P[0] * x[0] + P[1] * x[1]) * f[0] + (P[1] * x[0] + P[2] * x[1]) * f[1]);
  assert.ok(vdot + 0.01 * (x[0] ** 2 + x[1] ** 2) > 0, `the README's claim fails at ${x}: dV/dt = ${vdot}`);
  assert.ok(Math.max(...x.map(Math.abs)) >= 0.1 && PENDULUM.params[0].lo <= g);
  const r = await verify('pendulum', craft('pend-r0', 'pendulum', 2, theta, V, { lambdaB: -4, epsilon: 0.01, innerRadius: 1.41 }));
  assert.equal(r.code, EXIT.badInput, r.stdout + r.stderr);
  assert.match(r.stderr, /conditions\.innerRadius is 1\.41 in the file, but the system 'pendulum' defines 0\.1/);
  const v = await verify('pendulum', craft('pend-r0-bare', 'pendulum', 2, theta, V, null));
  assert.equal(v.code, EXIT.notCertified, v.stdout + v.stderr);
  assert.match(v.stdout, /pendulum: NOT CERTIFIED .*decrease condition violated/);
});
