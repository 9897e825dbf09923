// The terms of the certificate conditions are part of each system and checked there: every condition builder reads
// them through checkedTerms, so a vacuous form (decay factor 1 + Δt·λ_B outside [0, 1], ε ≤ 0, an excluded box that
// fills the domain, a neural box that misses X₀) cannot be built, whoever asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import loadHighs from 'highs';
import { Rng } from '@bilevel/linalg';
import { SYSTEMS } from './registry';
import { LANE_KEEPING } from './lane-keeping';
import { PENDULUM } from './pendulum';
import { PJ } from './pj';
import { INVERTED_PENDULUM } from '../neural/inverted-pendulum';
import type { ControlSystem } from './control-system';
import type { CertificateTerms } from './certificate-terms';
import { checkedTerms } from './certificate-terms';
import { certifiedProperty } from './certified-property';
import { FeaturePolicy } from '../policy';
import { Polynomial } from '../polynomial';
import { CertificateLp } from '../certificate-lp';
import { sampledCertificateCheck } from '../certificate-check';
import { verifyCertificate } from '../verification/verify-certificate';

const withTerms = (sys: ControlSystem, terms: Partial<CertificateTerms>): ControlSystem => ({ ...sys, terms: { ...sys.terms, ...terms } });

test('every system states terms that say something: decay factor in [0, 1], ε > 0, r₀ inside the domain', () => {
  for (const sys of [...Object.values(SYSTEMS), INVERTED_PENDULUM]) {
    const t = checkedTerms(sys);
    const factor = 1 + sys.dt * t.lambdaB;
    assert.ok(factor >= 0 && factor <= 1, `${sys.name}: factor ${factor}`);
    assert.ok(t.epsilon > 0, sys.name);
  }
  assert.deepEqual([PJ.terms.lambdaB, PJ.terms.epsilon, PENDULUM.terms.innerRadius], [-4, 0.01, 0.1]);
});

test('vacuous terms are refused by checkedTerms and by every condition builder (LP, sampled check, sound verifier)', async () => {
  const highs = await loadHighs();
  const cases: Array<[string, ControlSystem, RegExp]> = [
    // the audit's lane-keeping file: 1 + 0.02·(−103.657) = −1.07
    ['negative decay factor', withTerms(LANE_KEEPING, { lambdaB: -103.657 }), /system 'lane-keeping': terms.lambdaB must make the decay factor 1 \+ Δt·λ_B lie in \[0, 1\] .* received -103.657 \(factor -1.07314/],
    ['factor above 1', withTerms(PJ, { lambdaB: 1 }), /system 'pj': terms.lambdaB must make the decay factor .* received 1 \(factor 1.1\)/],
    ['ε = 0', withTerms(PENDULUM, { epsilon: 0 }), /system 'pendulum': terms.epsilon must be a finite number > 0, received 0/],
    ['excluded box fills the domain', withTerms(PENDULUM, { innerRadius: 1.5 }), /system 'pendulum': terms.innerRadius must leave the box \(−r₀, r₀\)\^2 strictly inside the domain, received 1.5/],
    ['r₀ not finite', withTerms(PENDULUM, { innerRadius: NaN }), /terms.innerRadius must be a finite number > 0, received NaN/],
  ];
  for (const [name, sys, message] of cases) {
    const pi = new FeaturePolicy(sys.nx, sys.nu);
    const theta = new Float64Array(pi.nTheta);
    const cert = Polynomial.variable(sys.nx, 0);
    assert.throws(() => checkedTerms(sys), message, `${name}: checkedTerms`);
    assert.throws(() => new CertificateLp(sys, pi, highs), message, `${name}: CertificateLp`);
    assert.throws(() => sampledCertificateCheck(sys, pi, theta, cert, Rng.fromSeed(0), { samples: 10 }), message, `${name}: sampledCertificateCheck`);
    assert.throws(() => verifyCertificate(sys, pi, theta, cert), message, `${name}: verifyCertificate`);
  }
});

test('certifiedProperty states in words what a certificate proves, with the system own sets and terms', () => {
  assert.equal(
    certifiedProperty(LANE_KEEPING, 'polynomial'),
    "no trajectory of the closed loop x⁺ = x + 0.02·f(x, π(x)) (the system's discrete map) from X₀ = {‖x − (0.4, 2, 0.5, 0)‖ ≤ 0.2} reaches " +
      'Xᵤ = {‖x − (2, 2, 0, 1)‖ ≤ 1} while it stays in the box [-3, 3]^4: B ≤ 0 on X₀, B > 0 on Xᵤ and B(x⁺) ≤ 0.92·B(x) on the box',
  );
  assert.match(certifiedProperty(PENDULUM, 'polynomial'), /^every trajectory .* stays in it and reaches the box \|x_i\| < 0.1, for every g ∈ \[9, 10.5\]: V ≥ 0.01·‖x‖²/);
  assert.doesNotMatch(certifiedProperty(PENDULUM, 'polynomial'), /w ∈/, 'the polynomial form’s remainder parameter is not a parameter of the system');
  assert.match(certifiedProperty(PJ, 'polynomial'), /while it stays in the box \[-2, 2\]\^2, for every a1 ∈ \[0.9, 1.1\], a2 ∈ \[0.3, 0.37\]: .* ∇B·f ≤ -4·B/);
  assert.match(certifiedProperty(PJ, 'neural'), /ever reaches Xᵤ .* D = \[-3, 3\]\^2, contains X₀, has B ≥ 0.000001 on Xᵤ and is forward invariant \(B\(x⁺\) ≤ 0.9·B\(x\), x⁺ ∈ D\)$/);
  assert.throws(() => certifiedProperty(PENDULUM, 'neural'), /system 'pendulum' defines no neural barrier terms/);
});
