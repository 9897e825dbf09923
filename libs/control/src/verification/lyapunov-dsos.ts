import { addDown, addUp, mulDown, mulUp } from '@bilevel/verify';
import type { LpSolver } from '../lp-solver';
import { dsosProducts } from '../certificate-lp';
import { Polynomial } from '../polynomial';
import type { FeaturePolicy } from '../policy';
import type { ControlSystem } from '../systems/control-system';
import { paramVertices } from '../systems/control-system';
import { checkedTerms } from '../systems/certificate-terms';

/** One proved (or not) statement of {@link verifyLyapunovDsos}. */
export interface DsosCondition {
  readonly name: 'positive' | 'inside' | 'initial' | 'decrease';
  readonly statement: string;
  readonly status: 'verified' | 'failed';
  /** The proved margin (≥ 0 when verified; < 0 by how much it fails): see each condition. */
  readonly margin: number;
}

/** What {@link verifyLyapunovDsos} returns. */
export interface LyapunovDsosVerification {
  /** Every condition verified: X₀ ⊂ {V ≤ level} ⊂ domain ball, and V decreases at rate ≥ ε‖x‖² on the ball. */
  readonly verified: boolean;
  /** The level c of the sublevel set (between the bounds: max V on X₀ ≤ c < min V on the sphere ‖x‖ = R). */
  readonly level: number;
  /** Rigorous bounds of Q's spectrum (Gershgorin, outward rounding). */
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  readonly conditions: DsosCondition[];
  /** Per parameter vertex: the multipliers' LP size. */
  readonly lpRows: number;
  readonly lpColumns: number;
  readonly seconds: number;
}

/** Relative bound of the rounding of a float sum of products whose exact terms' magnitudes add up to S: γ·S. */
const GAMMA = 1e-12;

/**
 * Sound re-verification of a quadratic Lyapunov function V(x) = xᵀQx for a polynomial closed loop on the domain ball
 * ‖x‖ ≤ R (`system.domainBall`, centred at 0), without branch and bound: the region of attraction of Wang et al.
 * (ICCPS 2023) in 6-D (attitude control), where boxes near the origin would have to be tiny.
 *
 *   positive:  λ_min(Q) ≥ ε (Gershgorin discs with outward rounding), so V ≥ ε‖x‖² everywhere;
 *   inside / initial:  λ_max(Q)·r² < λ_min(Q)·R², and the level c between them: X₀ = {‖x‖ ≤ r} ⊂ {V ≤ c} ⊂ ball;
 *   decrease:  p = −∇V·f(x, π_θ(x); α) − ε‖x‖² ≥ 0 on the whole ball, for each vertex α of the parameter box
 *              (f is affine in α). p is expanded as a polynomial (exactly as the system's polynomial dynamics, which
 *              must be 'exact'); the verifier solves its own LP, max c̄ s.t. p − c̄·s = Σ_k μ_k H_k, μ ≥ 0, with
 *              the DSOS + S-procedure generators H_k of `dsosProducts` (squares, and squares times R² − ‖x‖²)
 *              and s = Σ_a z_a² (z: monomials of degree 1…h); then, in rounded arithmetic, the residual
 *              r = p − c̄·s − Σ μ_k H_k with a bound ρ on Σ_m |r_m| (float error of every coefficient bounded by
 *              γ·(sum of the magnitudes of its terms)). Every monomial x^m of p (degree 2…2h) is z_a·z_b, so
 *              |x^m| ≤ s(x), and p ≥ (c̄ − ρ)·s ≥ 0 on the ball when c̄ > ρ.
 *
 * Hence every trajectory from X₀ stays in {V ≤ c} and V decreases at rate ≥ ε‖x‖² there: it converges to 0 (no
 * excluded box). The LP's multipliers are the verifier's own, not the certificate file's.
 *
 * @example
 * const r = verifyLyapunovDsos(ATTITUDE, policy, theta, V, await (await import('highs')).default());
 * r.verified; r.conditions.find((c) => c.name === 'decrease')!.margin; // c̄ − ρ
 */
export function verifyLyapunovDsos(system: ControlSystem, policy: FeaturePolicy, theta: Float64Array, V: Polynomial, lp: Pick<LpSolver, 'solve'>): LyapunovDsosVerification {
  const fn = 'verifyLyapunovDsos';
  const t0 = performance.now();
  const { nx, nu } = system;
  const np = system.params.length;
  const N = nx + nu + np;
  const ball = system.domainBall;
  if (system.certificate !== 'lyapunov' || !ball || ball.centre.some((c) => c !== 0) || system.initial.centre.some((c) => c !== 0)) {
    throw new RangeError(`${fn}: needs a Lyapunov system with a domain ball and an initial ball centred at 0, '${system.name}' is not one`);
  }
  if (system.polynomial === null || !system.polynomialNote.startsWith('exact')) {
    throw new RangeError(`${fn}: system '${system.name}' must have exact polynomial dynamics, it has: ${system.polynomialNote}`);
  }
  if (V.nvars !== nx || !V.terms().every(([e]) => e.reduce((s, k) => s + k, 0) === 2)) {
    throw new RangeError(`${fn}: V must be a quadratic form (every monomial of degree 2) in ${nx} variables`);
  }
  if (policy.nx !== nx || policy.nu !== nu || theta.length !== policy.nTheta) {
    throw new RangeError(`${fn}: policy and theta must match the system (nx = ${nx}, nu = ${nu}, ${policy.nTheta} parameters)`);
  }
  const { epsilon: eps } = checkedTerms(system);
  const conditions: DsosCondition[] = [];

  // Q's spectrum by Gershgorin discs, rounded outward
  const Q = Array.from({ length: nx }, () => new Float64Array(nx));
  for (const [e, c] of V.terms()) {
    const idx = e.flatMap((k, i) => new Array<number>(k).fill(i));
    if (idx[0] === idx[1]) Q[idx[0]][idx[0]] = c;
    else Q[idx[0]][idx[1]] = Q[idx[1]][idx[0]] = c / 2; // halving is exact
  }
  let lambdaMin = Infinity;
  let lambdaMax = -Infinity;
  for (let i = 0; i < nx; i++) {
    let radius = 0;
    for (let k = 0; k < nx; k++) if (k !== i) radius = addUp(radius, Math.abs(Q[i][k]));
    lambdaMin = Math.min(lambdaMin, addDown(Q[i][i], -radius));
    lambdaMax = Math.max(lambdaMax, addUp(Q[i][i], radius));
  }
  conditions.push({ name: 'positive', statement: `V(x) ≥ ${eps}·‖x‖² for all x (λ_min(Q) ≥ ${lambdaMin} by Gershgorin)`, status: lambdaMin >= eps ? 'verified' : 'failed', margin: addDown(lambdaMin, -eps) });
  const r2 = mulUp(system.initial.radius, system.initial.radius);
  const R2 = mulDown(ball.radius, ball.radius);
  const initialMax = mulUp(lambdaMax, r2);
  const sphereMin = mulDown(Math.max(lambdaMin, 0), R2);
  const level = initialMax;
  conditions.push({ name: 'initial', statement: `V(x) ≤ ${level} on ‖x‖ ≤ ${system.initial.radius} (λ_max(Q) ≤ ${lambdaMax})`, status: 'verified', margin: 0 });
  conditions.push({ name: 'inside', statement: `V(x) ≥ ${sphereMin} > ${level} on ‖x‖ = ${ball.radius}: {V ≤ ${level}} lies in the ball`, status: sphereMin > level ? 'verified' : 'failed', margin: sphereMin - level });

  // decrease: p = −∇V·F − ε‖x‖² with |p| (the magnitudes of its terms) alongside
  const keepX = [...Array.from({ length: nx }, (_, i) => i), ...new Array<number>(nu + np).fill(-1)];
  const embed = Array.from({ length: nx }, (_, i) => i);
  const abs = (p: Polynomial): Polynomial => Polynomial.fromTerms(p.nvars, p.terms().map(([e, c]) => [e, Math.abs(c)] as const));
  const pi = policy.polynomials(theta).map((p) => p.remap(N, embed));
  const piAbs = pi.map(abs);
  const h = 2;
  const g = Polynomial.constant(nx, mulUp(ball.radius, ball.radius)).sub(Array.from({ length: nx }, (_, i) => Polynomial.variable(nx, i).pow(2)).reduce((a, b) => a.add(b)));
  const { products, slackPoly } = dsosProducts(nx, h, g);
  const rowKeys = new Map<string, number>();
  const key = (e: readonly number[]) => e.join(',');
  let margin = Infinity;
  let lpRows = 0;
  let lpColumns = 0;
  let failure = '';
  for (const alpha of paramVertices(system)) {
    const closed = (abs_: boolean): Polynomial[] =>
      system.polynomial!.map((fi) => {
        let p = abs_ ? abs(fi) : fi;
        for (let k = 0; k < np; k++) p = p.substitute(nx + nu + k, Polynomial.constant(N, abs_ ? Math.abs(alpha[k]) : alpha[k]));
        for (let a = 0; a < nu; a++) p = p.substitute(nx + a, abs_ ? piAbs[a] : pi[a]);
        return p.remap(nx, keepX);
      });
    const F = closed(false);
    const Fabs = closed(true);
    const grad = V.gradient();
    const gradAbs = abs(V).gradient();
    let p = Polynomial.zero(nx);
    let pAbs = Polynomial.zero(nx);
    for (let i = 0; i < nx; i++) {
      p = p.sub(grad[i].mul(F[i]));
      pAbs = pAbs.add(gradAbs[i].mul(Fabs[i]));
    }
    for (let i = 0; i < nx; i++) {
      const sq = Polynomial.variable(nx, i).pow(2);
      p = p.sub(sq.scale(eps));
      pAbs = pAbs.add(sq.scale(eps));
    }
    if (p.degree() > 2 * h || p.terms().some(([e, c]) => c !== 0 && e.reduce((s, k) => s + k, 0) < 2)) {
      failure = `p has degree ${p.degree()} or terms of degree < 2: the DSOS form of degree 2…${2 * h} cannot hold it`;
      margin = -Infinity;
      break;
    }
    // the verifier's LP: max c̄ s.t. p − c̄·s − Σ μ_k H_k = 0 coefficient by coefficient, μ ≥ 0
    const monos = new Set<string>();
    for (const q of [p, slackPoly, ...products]) for (const [e] of q.terms()) monos.add(key(e));
    rowKeys.clear();
    [...monos].forEach((m, r) => rowKeys.set(m, r));
    const rows: string[][] = Array.from({ length: rowKeys.size }, () => []);
    const rhs = new Float64Array(rowKeys.size);
    for (const [e, c] of p.terms()) rhs[rowKeys.get(key(e))!] = c;
    for (const [e, c] of slackPoly.terms()) rows[rowKeys.get(key(e))!].push(`${c < 0 ? '-' : '+'} ${Math.abs(c)} c`);
    products.forEach((H, k) => {
      for (const [e, c] of H.terms()) rows[rowKeys.get(key(e))!].push(`${c < 0 ? '-' : '+'} ${Math.abs(c)} m${k}`);
    });
    const text = ['Maximize', ' obj: c', 'Subject To', ...rows.map((t, r) => ` r${r}: ${t.length ? t.join(' ') : '0 c'} = ${rhs[r]}`), 'Bounds', ' c free', 'End'].join('\n');
    const sol = lp.solve(text, { presolve: 'off', solver: 'simplex' });
    lpRows = rowKeys.size;
    lpColumns = products.length + 1;
    if (sol.Status !== 'Optimal') {
      failure = `the multipliers' LP ended ${sol.Status}`;
      margin = -Infinity;
      break;
    }
    const cols = sol.Columns;
    const cBar = cols.c?.Primal ?? 0;
    const mu = products.map((_, k) => Math.max(0, cols[`m${k}`]?.Primal ?? 0));
    // residual r = p − c̄ s − Σ μ H, each coefficient with its rounding bound
    const value = new Float64Array(rowKeys.size);
    const magnitude = new Float64Array(rowKeys.size);
    for (const [e, c] of p.terms()) value[rowKeys.get(key(e))!] += c;
    for (const [e, c] of pAbs.terms()) magnitude[rowKeys.get(key(e))!] += c;
    for (const [e, c] of slackPoly.terms()) {
      const r = rowKeys.get(key(e))!;
      value[r] -= cBar * c;
      magnitude[r] += Math.abs(cBar * c);
    }
    products.forEach((H, k) => {
      if (mu[k] === 0) return;
      for (const [e, c] of H.terms()) {
        const r = rowKeys.get(key(e))!;
        value[r] -= mu[k] * c;
        magnitude[r] += Math.abs(mu[k] * c);
      }
    });
    let rho = 0;
    for (let r = 0; r < value.length; r++) rho = addUp(rho, addUp(Math.abs(value[r]), mulUp(GAMMA, mulUp(magnitude[r], 2))));
    margin = Math.min(margin, addDown(cBar, -rho));
  }
  conditions.push({
    name: 'decrease',
    statement: `∇V(x)·f(x, π(x); α) + ${eps}·‖x‖² ≤ 0 on ‖x‖ ≤ ${ball.radius}${np ? ' at every vertex of the parameter box' : ''} (p ≥ (c̄ − ρ)·Σ z_a², margin c̄ − ρ)${failure ? `: ${failure}` : ''}`,
    status: margin > 0 ? 'verified' : 'failed',
    margin,
  });
  return { verified: conditions.every((c) => c.status === 'verified'), level, lambdaMin, lambdaMax, conditions, lpRows, lpColumns, seconds: (performance.now() - t0) / 1000 };
}
