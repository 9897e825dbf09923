import type { StopSignal } from '@bilevel/verify';
import { throwIfStopped } from '@bilevel/verify';
import { Polynomial, monomialBasis } from './polynomial';
import { handelmanProducts } from './handelman';
import type { Ball, Box, ControlSystem } from './systems/control-system';
import { ballBox, paramVertices } from './systems/control-system';
import type { CertificateTerms } from './systems/certificate-terms';
import { checkedTerms } from './systems/certificate-terms';
import type { FeaturePolicy } from './policy';
import type { LpBasis, LpModel, LpSolver } from './lp-solver';

/** Options of {@link CertificateLp}. */
export interface CertificateLpOptions {
  /** Degree d of the certificate's monomial basis. Default 2. */
  readonly degree?: number;
  /** Handelman degree D of every condition; raised to the condition's own degree when lower. Default 0 (= that). */
  readonly handelmanDegree?: number;
  /** Box bound |β_i| ≤ betaBound that keeps the LP bounded. Default 1. */
  readonly betaBound?: number;
  /**
   * Start each re-solve from the previous solve's optimal basis (HiGHS model, setBasis), so the simplex only repairs
   * what the new θ changed. The model is passed to HiGHS as arrays (a CSR matrix; its θ-independent parts built
   * once, the θ-dependent ones as A₀ + Σ θ_p D_p for continuous systems) and rebuilt each time, so a solve depends on
   * (θ, that basis) alone, not on the history of earlier solves: a run resumed from {@link CertificateLp.state}
   * repeats the bits. Default true when the solver has `createModel`; false writes and solves CPLEX LP text.
   */
  readonly warmStart?: boolean;
  /**
   * Which conditions carry the slack c: 'all' (the paper's relaxation) or 'derivative' (the set conditions are
   * hard, so a constant B cannot satisfy them and c* measures how far B is from invariance). Default 'derivative'.
   */
  readonly slack?: 'all' | 'derivative';
  /**
   * Barrier only: B ≥ ε is also imposed on the shell of the domain box of relative thickness `shell` (2n boxes),
   * so {B ≤ 0} lies inside the domain and a trajectory can leave the domain only through B > 0: the derivative
   * condition, imposed on the domain, then makes {B ≤ 0} invariant. Default 0 (none): the certificate then proves
   * that no trajectory from the initial set reaches the unsafe set while it stays in the domain box.
   */
  readonly shell?: number;
  /**
   * Lyapunov only: impose the decrease on the domain ball `system.domainBall` (the paper's state space, e.g.
   * ‖x‖² ≤ 2 for attitude control) instead of the whole box: its constraint R² − ‖x − c‖² ≥ 0 joins each cell's
   * Handelman generators, so the conditions hold on cell ∩ ball. The box's corners lie √n times farther out
   * (√6 ≈ 2.4 in 6-D), where the cubic terms of a system dominate. Default false (the box).
   */
  readonly ballDomain?: boolean;
  /**
   * Lyapunov only: how the decrease condition p = −∇V·f − ε‖x‖² ≥ 0 is certified. 'handelman' (default): Handelman
   * products on the cells of `lyapunovCells`, outside the small box (−r₀, r₀)ⁿ. 'dsos': on the whole domain
   * ball ‖x‖ ≤ R (`system.domainBall`, centred at 0) as p + c·s = zᵀMz + σ·(R² − ‖x‖²), with z the monomials of
   * degree 1…h (2h ≥ deg p), M and σ's Gram matrix diagonally dominant (DSOS: non-negative combinations μ of z_a²
   * and (z_a ± z_b)², an LP; Ahmadi and Majumdar, 2019) and the slack weighted by s = Σ_a z_a² (p vanishes at 0, so
   * a constant slack could not enter). No cells, no excluded box: one block per parameter vertex, where the
   * Handelman cells cannot separate a condition whose minimum lies inside a cell (6-D attitude control: 12 slabs,
   * c* > 0 for controllers that a quadratic V certifies). c* ≤ 0 proves −∇V·f ≥ ε‖x‖² on the ball.
   */
  readonly decrease?: 'handelman' | 'dsos';
  /**
   * Lyapunov only: also require a sublevel set of V that contains the initial ball and lies inside the domain ball
   * (the region of attraction the paper claims): with the spectrum of Q bounded by diagonal dominance, Q − mI and
   * MI − Q diagonally dominant (m ≥ ε), and M·r² ≤ fraction·m·R² for the initial ball's radius r (centred at 0)
   * and the domain ball's R, max V on X₀ ≤ M r² < m R² ≤ min V on ‖x‖ = R. The value is the fraction (0 < f ≤ 1;
   * 0: off, the default), e.g. 0.98 as region-of-attraction.ts proves the level.
   */
  readonly regionOfAttraction?: number;
}

/**
 * The LP's resolved options with the system's terms (λ_B, ε, r₀ of `system.terms`: the conditions are always the
 * system's, so that what the LP certifies is what `verify` re-proves).
 */
export type CertificateLpSettings = Required<CertificateLpOptions> & Pick<CertificateTerms, 'lambdaB' | 'epsilon' | 'innerRadius'>;

/** What {@link CertificateLp.solve} returns. */
export interface CertificateSolution {
  /** HiGHS's model status. */
  readonly status: string;
  /** Optimal slack c* (≤ 0: the certificate's conditions hold without slack). */
  readonly cStar: number;
  /** Certificate coefficients β* on {@link CertificateLp.basis}. */
  readonly beta: Float64Array;
  /** ∂c* / ∂θ from the LP's primal and dual solution. */
  readonly dcdtheta: Float64Array;
  /** The certificate as a polynomial in x. */
  readonly certificate: Polynomial;
  readonly rows: number;
  readonly columns: number;
}

/** One "Σ_j β_j q_j(θ) + q₀ + c ≥ 0 on a box" condition, before θ is fixed. */
interface Block {
  readonly name: string;
  readonly box: Box;
  /** q_j for θ-independent blocks; null when q_j depends on θ (derivative blocks). */
  readonly fixed: readonly Polynomial[] | null;
  /** Derivative blocks: the vector field f(x, u; α_vertex) = f0 + Σ_a g_a u_a over x. */
  readonly f0?: readonly Polynomial[];
  readonly g?: readonly (readonly Polynomial[])[];
  /** Derivative blocks: q_j = −∇m_j·F + lam·m_j. */
  readonly lam?: number;
  readonly q0: Polynomial;
  /** Whether c enters this condition. */
  readonly slack: boolean;
  readonly degree: number;
  readonly products: readonly Polynomial[];
  /** Extra non-negative generators of the set (the ball constraint). */
  readonly extra?: readonly Polynomial[];
  /** The polynomial that multiplies the slack c (null: the constant 1). */
  readonly slackPoly?: Polynomial | null;
  /** Row monomial keys of this block. */
  readonly rowKeys: readonly string[];
}

/** A block as arrays (see CertificateLp.compile): rows from `row`, μ entries per row (CSR), the certificate columns. */
interface CompiledBlock {
  readonly block: Block;
  /** Index of its first row in the LP. */
  readonly row: number;
  readonly rows: number;
  readonly rhs: Float64Array;
  /** The slack c's coefficient in each row (the constant row's 1, or the block's slackPoly). */
  readonly slackVal: Float64Array;
  readonly muStart: Int32Array;
  /** μ index (0-based over all blocks) and coefficient of each entry. */
  readonly muCol: Int32Array;
  readonly muVal: Float64Array;
  /** Fixed blocks: A (rows × J, row-major). */
  fixed: Float64Array | null;
  /** Continuous derivative blocks: A₀ (rows × J) and D (rows × J × P): A(θ) = A₀ + Σ_p θ_p D[·, ·, p]. */
  a0: Float64Array | null;
  d: Float64Array | null;
  /** Adds a polynomial's coefficients row by row (by monomial). */
  readonly place: (p: Polynomial, fn: (r: number, c: number) => void) => void;
}

/**
 * The lower level of the polynomial track of Wang, Zhan, Wang, Huang, Wang, Yang, Zhu (ICCPS 2023): for a
 * policy π_θ linear in monomial features, the smallest slack c for which a polynomial certificate
 * B(x) = βᵀm(x) (monomials of degree ≤ d) satisfies, written as "p + c ≥ 0" on boxes,
 *
 *   barrier:   −B + c ≥ 0 on box(initial),   B − ε + c ≥ 0 on box(unsafe) (and on the domain's shell if asked),
 *              −(∇B·f(x, π_θ(x); α) − λ_B B) + c ≥ 0 on the domain box, for each vertex α of the parameter box;
 *              for a discrete system (x⁺ = x + Δt f exactly) the derivative condition is the sound discrete one,
 *              −(B(x⁺) − (1 + Δt λ_B) B(x)) + c ≥ 0 (so B(x) ≤ 0 ⇒ B(x⁺) ≤ 0 when 1 + Δt λ_B ≥ 0);
 *   Lyapunov:  V = xᵀQx with Q − εI diagonally dominant (so V ≥ ε‖x‖² everywhere; LP rows, no slack), and
 *              −∇V·f(x, π_θ(x); α) − ε‖x‖² + c ≥ 0 on the grid cells of the domain box outside (−r₀, r₀)ⁿ
 *              (Handelman products are > 0 inside a box, so a condition that vanishes at the origin cannot be
 *              certified on a box around it: the certificate shows decrease outside a small box, i.e. every
 *              trajectory in a sublevel set inside the domain reaches the small box).
 *
 * Each condition is p + c = Σ_k μ_k H_k with the Handelman products H_k of its box, μ ≥ 0, matched coefficient
 * by coefficient: the LP  min c  over (β, c, μ) s.t. A(θ)·(β, c, μ) = b, |β_i| ≤ betaBound, μ ≥ 0, solved by
 * HiGHS (from arrays when warm-started, from CPLEX LP text otherwise). The initial and unsafe conditions use the sets' bounding boxes with the ball
 * constraint r² − ‖x − c‖² ≥ 0 as an extra generator (their Handelman degree is d + 2 by default); the vertices of
 * α stand for the whole parameter box (f is affine in α for every system here). All of this is conservative, hence
 * sound: c* ≤ 0 proves the conditions on the sets themselves.
 *
 * Sensitivity (envelope theorem for LPs): with the optimal primal z* = (β*, c*, μ*) and the row duals y (HiGHS's
 * convention y_i = ∂c* / ∂b_i), perturbing A_ij by δ acts as b_i ← b_i − δ z*_j, so ∂c* / ∂A_ij = −y_i z*_j and
 *
 *   ∂c* / ∂θ_p = −Σ_i y_i Σ_j (∂A_ij/∂θ_p) β*_j,   ∂A_{m,j}/∂θ_{a,k} = −[(∇m_j · g_a) φ_k]_m  (coefficient of x^m),
 *
 * valid where the optimal basis is unique (non-degenerate); otherwise it is one directional derivative.
 * f must be control-affine, f = f₀(x; α) + Σ_a g_a(x; α) u_a, checked at construction. (Discrete systems: B(x⁺)
 * is quadratic in θ, and ∂A/∂θ = −Δt[(∇m_j)(x⁺)·g_a φ_k] at the current θ.)
 *
 * @example
 * const highs = await (await import('highs')).default();
 * const lp = new CertificateLp(PJ, new FeaturePolicy(2, 1), highs);
 * const { cStar, dcdtheta } = lp.solve(Float64Array.of(-2, -3));
 */
export class CertificateLp {
  /** Exponents of the certificate's monomials m_j. */
  readonly basis: readonly (readonly number[])[];
  private readonly blocks: Block[] = [];
  /** LP text of the θ-independent blocks (their row and μ numbering is fixed by the block order). */
  private readonly cache = new Map<Block, { lines: string[]; mu: number }>();
  private readonly mono: Polynomial[];
  private readonly betaBound: number;
  private readonly lyapunov: boolean;
  private readonly epsilon: number;
  /** The CPLEX LP text of the latest cold solve (warmStart false), for inspection; warm solves pass arrays. */
  lastText = '';
  /** The blocks compiled to arrays for the warm path (built at the first warm solve). */
  private compiled: CompiledBlock[] | null = null;
  /** The basis the latest solve ended at (where the next one starts) and the one it started from. */
  private lastBasis: LpBasis | null = null;
  private startBasis: LpBasis | null = null;
  private muCount = 0;
  private readonly warm: boolean;
  /** regionOfAttraction: M ≤ roaRatio·m (fraction·R²/r²); 0 when off. */
  private readonly roaRatio: number = 0;
  /** The resolved options (defaults filled in) and the system's terms. */
  readonly settings: CertificateLpSettings;

  constructor(
    readonly system: ControlSystem,
    readonly policy: FeaturePolicy,
    private readonly lp: LpSolver,
    options: CertificateLpOptions = {},
  ) {
    const fn = 'CertificateLp';
    const d = options.degree ?? 2;
    const { lambdaB, epsilon: eps, innerRadius: r0 } = checkedTerms(system);
    this.betaBound = options.betaBound ?? 1;
    const D0 = options.handelmanDegree ?? 0;
    const shell = options.shell ?? 0;
    const ballDomain = options.ballDomain ?? false;
    const decrease = options.decrease ?? 'handelman';
    const roa = options.regionOfAttraction ?? 0;
    if (!(roa >= 0 && roa <= 1)) throw new RangeError(`${fn}: options.regionOfAttraction must be in [0, 1], received ${roa}`);
    if (roa > 0) {
      const ball = system.domainBall;
      if (system.certificate !== 'lyapunov' || !ball || ball.centre.some((c) => c !== 0) || system.initial.centre.some((c) => c !== 0)) {
        throw new RangeError(`${fn}: options.regionOfAttraction needs a Lyapunov system with a domainBall and an initial ball centred at 0, '${system.name}' is not one`);
      }
      this.roaRatio = (roa * ball.radius * ball.radius) / (system.initial.radius * system.initial.radius);
    }
    if (decrease !== 'handelman' && decrease !== 'dsos') throw new RangeError(`${fn}: options.decrease must be 'handelman' or 'dsos', received '${String(decrease)}'`);
    if (decrease === 'dsos' && (system.certificate !== 'lyapunov' || !system.domainBall || system.domainBall.centre.some((c) => c !== 0))) {
      throw new RangeError(`${fn}: options.decrease 'dsos' needs a Lyapunov system with a domainBall centred at 0, '${system.name}' is not one`);
    }
    if (ballDomain && !system.domainBall) throw new RangeError(`${fn}: options.ballDomain needs a system with a domainBall, '${system.name}' has none`);
    if (!(shell >= 0 && shell < 0.5)) throw new RangeError(`${fn}: options.shell must be in [0, 0.5), received ${shell}`);
    const slackAll = (options.slack ?? 'derivative') === 'all';
    if (options.slack !== undefined && options.slack !== 'all' && options.slack !== 'derivative') {
      throw new RangeError(`${fn}: options.slack must be 'all' or 'derivative', received '${String(options.slack)}'`);
    }
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`${fn}: options.degree must be an integer ≥ 1, received ${d}`);
    if (!(this.betaBound > 0)) throw new RangeError(`${fn}: options.betaBound must be > 0, received ${this.betaBound}`);
    if (!Number.isInteger(D0) || D0 < 0) throw new RangeError(`${fn}: options.handelmanDegree must be an integer ≥ 0, received ${D0}`);
    this.warm = (options.warmStart ?? true) && typeof lp.createModel === 'function';
    this.settings = { warmStart: this.warm, degree: d, handelmanDegree: D0, shell, lambdaB, epsilon: eps, betaBound: this.betaBound, innerRadius: r0, slack: slackAll ? 'all' : 'derivative', ballDomain, decrease, regionOfAttraction: roa };
    const sys = system;
    if (sys.polynomial === null) throw new RangeError(`${fn}: system '${sys.name}' has no polynomial dynamics (${sys.polynomialNote})`);
    if (policy.nx !== sys.nx || policy.nu !== sys.nu) {
      throw new RangeError(`${fn}: policy must have nx = ${sys.nx}, nu = ${sys.nu}, received nx = ${policy.nx}, nu = ${policy.nu}`);
    }
    const { nx, nu } = sys;
    const np = sys.params.length;
    const N = nx + nu + np;
    const lyap = sys.certificate === 'lyapunov';
    if (lyap && d !== 2) throw new RangeError(`${fn}: options.degree must be 2 for a Lyapunov certificate (quadratic form), received ${d}`);
    this.lyapunov = lyap;
    this.epsilon = eps;
    this.basis = lyap ? monomialBasis(nx, 2, 2) : monomialBasis(nx, d);
    this.mono = this.basis.map((e) => Polynomial.fromTerms(nx, [[e, 1]]));
    const zero = Polynomial.zero(nx);
    const sqnorm = Array.from({ length: nx }, (_, i) => Polynomial.variable(nx, i).pow(2)).reduce((a, b) => a.add(b), zero);

    // Vertices stand for the whole parameter box only if f is affine in each α_k separately (multi-affine): the
    // conditions are then multi-affine in α and take their worst value at a vertex.
    for (let k = 0; k < np; k++) {
      if (sys.polynomial.some((fi) => fi.degreeIn(nx + nu + k) > 1)) {
        throw new RangeError(`${fn}: system '${sys.name}' must be affine in each parameter, but '${sys.params[k].name}' appears squared`);
      }
    }
    // f(x, u; α) at each vertex of the parameter box, split into f0 + Σ g_a u_a.
    const keepX = [...Array.from({ length: nx }, (_, i) => i), ...new Array<number>(nu + np).fill(-1)];
    const fields = paramVertices(sys).map((alpha) => {
      const atVertex = sys.polynomial!.map((fi) => {
        let p = fi;
        for (let k = 0; k < np; k++) p = p.substitute(nx + nu + k, Polynomial.constant(N, alpha[k]));
        return p;
      });
      const g = Array.from({ length: nu }, (_, a) =>
        atVertex.map((fi) => {
          const ga = fi.partial(nx + a);
          for (let b = 0; b < nu; b++) {
            if (ga.partial(nx + b).size !== 0) throw new RangeError(`${fn}: system '${sys.name}' must be control-affine in u`);
          }
          return ga.remap(nx, keepX);
        }),
      );
      const f0 = atVertex.map((fi) => {
        let p = fi;
        for (let a = 0; a < nu; a++) p = p.substitute(nx + a, Polynomial.zero(N));
        return p.remap(nx, keepX);
      });
      return { f0, g };
    });
    const polDeg = Math.max(...policy.exponents.map((e) => e.reduce((s, k) => s + k, 0)));
    const fieldDeg = Math.max(...fields.flatMap(({ f0, g }) => [...f0.map((p) => p.degree()), ...g.flat().map((p) => p.degree() + polDeg)]), 0);
    const derivDeg = sys.discrete ? d * Math.max(fieldDeg, 1) : Math.max(d - 1 + fieldDeg, d);

    const addFixed = (name: string, box: Box, q: Polynomial[], q0: Polynomial, extra: Polynomial[] = []): void => {
      const deg = Math.max(D0, d + 2, q0.degree());
      this.blocks.push(this.makeBlock({ name, box, fixed: q, q0, degree: deg, slack: slackAll, extra }));
    };
    const addDeriv = (name: string, box: Box, f0: readonly Polynomial[], g: readonly (readonly Polynomial[])[], lam: number, q0: Polynomial, extra: Polynomial[] = []): void => {
      const deg = Math.max(D0, derivDeg, q0.degree());
      this.blocks.push(this.makeBlock({ name, box, fixed: null, f0, g, lam, q0, degree: deg, slack: true, extra }));
    };

    if (!lyap) {
      if (sys.unsafe === null) throw new RangeError(`${fn}: barrier system '${sys.name}' must have an unsafe set`);
      addFixed('init', ballBox(sys.initial), this.mono.map((m) => m.scale(-1)), zero, [ballGenerator(sys.initial)]);
      addFixed('unsafe', ballBox(sys.unsafe), this.mono, Polynomial.constant(nx, -eps), [ballGenerator(sys.unsafe)]);
      const { lo, hi } = sys.domain;
      const inner = { lo: lo.map((l, i) => l + shell * (hi[i] - l)), hi: hi.map((h, i) => h - shell * (h - lo[i])) };
      if (shell > 0) boxMinusInner(sys.domain, inner).forEach((box, b) => addFixed(`shell${b}`, box, this.mono, Polynomial.constant(nx, -eps)));
      fields.forEach(({ f0, g }, v) => addDeriv(`lie${v}`, sys.domain, f0, g, lambdaB, zero));
    } else {
      const q0 = sqnorm.scale(-eps);
      if (decrease === 'dsos') {
        const h = Math.ceil(Math.max(derivDeg, 2) / 2);
        const { products, slackPoly } = dsosProducts(nx, h, ballGenerator(sys.domainBall!));
        fields.forEach(({ f0, g }, v) => {
          this.blocks.push(this.makeBlock({ name: `dec_${v}`, box: sys.domain, fixed: null, f0, g, lam: 0, q0, degree: 2 * h, slack: true, slackPoly }, products));
        });
      } else lyapunovCells(sys.domain, r0).forEach((box, b) => {
        fields.forEach(({ f0, g }, v) => addDeriv(`dec${b}_${v}`, box, f0, g, 0, q0, ballDomain ? [ballGenerator(sys.domainBall!)] : []));
      });
    }
  }

  private makeBlock(spec: Omit<Block, 'products' | 'rowKeys'>, given?: readonly Polynomial[]): Block {
    const products = given ?? handelmanProducts(spec.box, spec.degree, spec.extra ?? []);
    const rowKeys = monomialBasis(this.system.nx, spec.degree).map((e) => e.join(','));
    return { ...spec, products, rowKeys };
  }

  /**
   * Lyapunov positivity V(x) − ε‖x‖² ≥ 0 for all x, as an LP: V = xᵀQx (β_j the coefficients of x_i² and x_ix_k,
   * i.e. Q_ii and 2Q_ik) with Q − εI diagonally dominant, Q_ii − ε ≥ Σ_{k≠i} t_ik, t_ik ≥ ±Q_ik (Ahmadi and
   * Majumdar's DSOS, an LP inner approximation of positive semidefiniteness; Gershgorin makes it sound).
   */
  private diagonalDominanceRows(): string[] {
    const nx = this.system.nx;
    const idx = (i: number, k: number): number => this.basis.findIndex((e) => (i === k ? e[i] === 2 : e[i] === 1 && e[k] === 1));
    const rows: string[] = [];
    const roa = this.roaRatio > 0;
    for (let i = 0; i < nx; i++) {
      const terms = [`+ 1 b${idx(i, i)}`];
      for (let k = 0; k < nx; k++) if (k !== i) terms.push(`- 1 t${Math.min(i, k)}_${Math.max(i, k)}`);
      rows.push(roa ? ` dd${i}: ${terms.join(' ')} - 1 lm >= 0` : ` dd${i}: ${terms.join(' ')} >= ${fmtRhs(this.epsilon)}`);
      if (roa) {
        const upper = [`+ 1 lM`, `- 1 b${idx(i, i)}`];
        for (let k = 0; k < nx; k++) if (k !== i) upper.push(`- 1 t${Math.min(i, k)}_${Math.max(i, k)}`);
        rows.push(` ddu${i}: ${upper.join(' ')} >= 0`);
      }
    }
    if (roa) rows.push(` roa: + ${this.roaRatio} lm - 1 lM >= 0`);
    for (let i = 0; i < nx; i++) {
      for (let k = i + 1; k < nx; k++) {
        rows.push(` ddp${i}_${k}: + 1 t${i}_${k} - 0.5 b${idx(i, k)} >= 0`, ` ddm${i}_${k}: + 1 t${i}_${k} + 0.5 b${idx(i, k)} >= 0`);
      }
    }
    return rows;
  }

  /** q_j(θ) and ∂q_j/∂θ_p for a derivative block. */
  private derivTerms(block: Block, theta: Float64Array): { q: Polynomial[]; dq: Polynomial[][] } {
    const nx = this.system.nx;
    const pi = this.policy.polynomials(theta);
    const phi = this.policy.featurePolynomials();
    const K = this.policy.nFeatures;
    const F = block.f0!.map((fi, i) => block.g!.reduce((acc, ga, a) => acc.add(ga[i].mul(pi[a])), fi));
    const dt = this.system.dt;
    // discrete systems: the successor x⁺ = x + Δt F(x), and compose(p) = p(x⁺)
    const next = this.system.discrete ? F.map((fi, i) => Polynomial.variable(nx, i).add(fi.scale(dt))) : null;
    const powers: Polynomial[][] = next ? next.map((g) => [Polynomial.constant(nx, 1), g]) : [];
    const compose = (p: Polynomial): Polynomial => {
      let out = Polynomial.zero(nx);
      for (const [e, c] of p.terms()) {
        let t = Polynomial.constant(nx, c);
        e.forEach((k, i) => {
          while (powers[i].length <= k) powers[i].push(powers[i][powers[i].length - 1].mul(next![i]));
          if (k > 0) t = t.mul(powers[i][k]);
        });
        out = out.add(t);
      }
      return out;
    };
    const q: Polynomial[] = [];
    const dq: Polynomial[][] = [];
    for (const m of this.mono) {
      const grad = m.gradient();
      // continuous: q = −(∇m·F − λ m);  discrete: q = −(m(x⁺) − (1 + Δt λ) m(x))
      if (next) q.push(compose(m).scale(-1).add(m.scale(1 + dt * block.lam!)));
      else {
        let lie = Polynomial.zero(nx);
        for (let i = 0; i < nx; i++) if (grad[i].size) lie = lie.add(grad[i].mul(F[i]));
        q.push(lie.scale(-1).add(m.scale(block.lam!)));
      }
      // ∂q/∂θ_{a,k} = −(Σ_i s_i g_{a,i}) φ_k with s_i = ∂m/∂x_i (continuous) or Δt (∂m/∂x_i)(x⁺) (discrete)
      const slope = grad.map((gi) => (next ? compose(gi).scale(dt) : gi));
      const dqj: Polynomial[] = [];
      for (let a = 0; a < this.system.nu; a++) {
        let mg = Polynomial.zero(nx);
        for (let i = 0; i < nx; i++) if (slope[i].size) mg = mg.add(slope[i].mul(block.g![a][i]));
        for (let k = 0; k < K; k++) dqj.push(mg.mul(phi[k]).scale(-1));
      }
      dq.push(dqj);
    }
    return { q, dq };
  }

  /**
   * Solves the LP for policy parameters θ (with warm start: from the basis the previous solve ended at).
   * `options.signal` is read before each block of the LP is built and before HiGHS runs: once it is aborted the
   * solve throws an `AbortError` and the warm start ({@link state}) is as it was before the call.
   */
  solve(theta: Float64Array, options: { readonly signal?: StopSignal } = {}): CertificateSolution {
    const signal = options.signal;
    if (theta.length !== this.policy.nTheta) {
      throw new RangeError(`CertificateLp.solve: theta must have length ${this.policy.nTheta}, received ${theta.length}`);
    }
    if (this.warm) return this.solveArrays(theta, signal);
    const J = this.basis.length;
    const P = this.policy.nTheta;
    const lines: string[] = ['Minimize', ' obj: c', 'Subject To'];
    const dqRows: { row: number; coef: Float64Array }[] = []; // per row: ∂A_{row,j}/∂θ_p at [j·P + p]
    let row = 0;
    let mu = 0;
    for (const block of this.blocks) {
      throwIfStopped(signal);
      const cached = this.cache.get(block);
      if (cached) {
        lines.push(...cached.lines);
        row += block.rowKeys.length;
        mu += cached.mu;
        continue;
      }
      const blockLines: string[] = [];
      const mu0 = mu;
      let q: readonly Polynomial[];
      let dq: Polynomial[][] | null = null;
      if (block.fixed) q = block.fixed;
      else ({ q, dq } = this.derivTerms(block, theta));
      const rowOf = new Map<string, number>(block.rowKeys.map((k, r) => [k, r]));
      const place = (p: Polynomial, fn: (r: number, c: number) => void): void => {
        for (const [e, c] of p.terms()) {
          const r = rowOf.get(e.join(','));
          if (r === undefined) {
            throw new RangeError(`CertificateLp: block ${block.name} has a monomial of degree above its Handelman degree ${block.degree}`);
          }
          fn(r, c);
        }
      };
      const a = block.rowKeys.map(() => new Float64Array(J));
      q.forEach((qj, j) => place(qj, (r, c) => (a[r][j] += c)));
      if (dq) {
        const coefs = block.rowKeys.map(() => new Float64Array(J * P));
        dq.forEach((dqj, j) => dqj.forEach((p, pp) => place(p, (r, c) => (coefs[r][j * P + pp] += c))));
        coefs.forEach((coef, r) => dqRows.push({ row: row + r, coef }));
      }
      const terms: string[][] = a.map((ar) => Array.from(ar, (c, j) => (c === 0 ? '' : `${fmt(c)} b${j}`)).filter((t) => t));
      const rhs = new Float64Array(block.rowKeys.length);
      place(block.q0, (r, c) => (rhs[r] -= c));
      const constRow = rowOf.get(new Array<number>(this.system.nx).fill(0).join(','))!;
      if (block.slack && block.slackPoly) place(block.slackPoly, (r, c) => terms[r].push(`${fmt(c)} c`));
      else if (block.slack) terms[constRow].push('+ 1 c');
      for (const h of block.products) {
        place(h, (r, c) => terms[r].push(`${fmt(-c)} m${mu}`));
        mu++;
      }
      terms.forEach((t, r) => blockLines.push(` r${row + r}: ${chunk(t)} = ${fmtRhs(rhs[r])}`));
      lines.push(...blockLines);
      if (!dq) this.cache.set(block, { lines: blockLines, mu: mu - mu0 });
      row += block.rowKeys.length;
    }
    let status: string;
    let cStar = NaN;
    const beta = new Float64Array(J);
    let rowDual: ArrayLike<number> = [];
    if (this.lyapunov) lines.push(...this.diagonalDominanceRows());
    lines.push('Bounds');
    for (let j = 0; j < J; j++) lines.push(` ${fmtRhs(-this.betaBound)} <= b${j} <= ${fmtRhs(this.betaBound)}`);
    lines.push(' c free');
    if (this.lyapunov && this.roaRatio > 0) lines.push(` lm >= ${fmtRhs(this.epsilon)}`);
    lines.push('End');
    throwIfStopped(signal);
    this.lastText = lines.join('\n');
    this.muCount = mu;
    {
      try {
        const sol = this.lp.solve(this.lastText, { presolve: 'off', solver: 'simplex' });
        status = sol.Status;
        if (status === 'Optimal') {
          cStar = sol.ObjectiveValue;
          for (let j = 0; j < J; j++) beta[j] = sol.Columns[`b${j}`]?.Primal ?? 0;
          rowDual = sol.Rows.map((r) => r.Dual ?? NaN);
        }
      } catch (err) {
        status = `Solve error: ${(err as Error).message}`;
      }
    }
    return this.finish(status, cStar, beta, rowDual, dqRows, row, J + 1 + this.muCount);
  }

  /** c*, β and ∂c* / ∂θ from an optimal primal/dual pair (sensitivity rows: ∂A_{row,j}/∂θ_p at [j·P + p]). */
  private finish(
    status: string,
    cStar: number,
    beta: Float64Array,
    rowDual: ArrayLike<number>,
    dqRows: readonly { row: number; coef: Float64Array }[],
    row: number,
    columns: number,
  ): CertificateSolution {
    const J = this.basis.length;
    const P = this.policy.nTheta;
    const dcdtheta = new Float64Array(P);
    if (status !== 'Optimal') return { status, cStar: NaN, beta, dcdtheta, certificate: Polynomial.zero(this.system.nx), rows: row, columns };
    for (const { row: r, coef } of dqRows) {
      const y = rowDual[r];
      if (y === 0) continue;
      for (let j = 0; j < J; j++) {
        const bj = beta[j];
        if (bj === 0) continue;
        for (let p = 0; p < P; p++) dcdtheta[p] -= y * bj * coef[j * P + p];
      }
    }
    const certificate = this.mono.reduce((acc, m, j) => acc.add(m.scale(beta[j])), Polynomial.zero(this.system.nx));
    return { status, cStar, beta, dcdtheta, certificate, rows: row, columns };
  }

  /**
   * The blocks as arrays, once: per block its rows' right-hand sides, the Handelman products' entries (μ columns,
   * fixed), and the certificate columns' coefficients — fixed blocks as they are; derivative blocks of a continuous
   * system affine in θ, A(θ) = A₀ + Σ_p θ_p D_p (q_j is linear in f(x, π_θ(x)), which is affine in θ), so a solve only
   * adds P multiples of D; discrete systems (B(x⁺) is polynomial in θ) recompute their blocks per θ.
   */
  private compile(): CompiledBlock[] {
    const J = this.basis.length;
    const P = this.policy.nTheta;
    const zeroTheta = new Float64Array(P);
    const out: CompiledBlock[] = [];
    let row = 0;
    let mu = 0;
    for (const block of this.blocks) {
      const n = block.rowKeys.length;
      const rowOf = new Map<string, number>(block.rowKeys.map((k, r) => [k, r]));
      const place = (p: Polynomial, fn: (r: number, c: number) => void): void => {
        for (const [e, c] of p.terms()) {
          const r = rowOf.get(e.join(','));
          if (r === undefined) throw new RangeError(`CertificateLp: block ${block.name} has a monomial of degree above its Handelman degree ${block.degree}`);
          fn(r, c);
        }
      };
      const rhs = new Float64Array(n);
      place(block.q0, (r, c) => (rhs[r] -= c));
      const perRow: number[][] = Array.from({ length: n }, () => []);
      block.products.forEach((h, k) => place(h, (r, c) => perRow[r].push(mu + k, -c)));
      const muStart = new Int32Array(n + 1);
      perRow.forEach((e, r) => (muStart[r + 1] = muStart[r] + e.length / 2));
      const muCol = new Int32Array(muStart[n]);
      const muVal = new Float64Array(muStart[n]);
      perRow.forEach((e, r) => {
        for (let t = 0; t < e.length; t += 2) {
          muCol[muStart[r] + t / 2] = e[t];
          muVal[muStart[r] + t / 2] = e[t + 1];
        }
      });
      const slackVal = new Float64Array(n);
      if (block.slack && block.slackPoly) place(block.slackPoly, (r, c) => (slackVal[r] += c));
      else if (block.slack) slackVal[rowOf.get(new Array<number>(this.system.nx).fill(0).join(','))!] = 1;
      const compiled: CompiledBlock = { block, row, rows: n, rhs, slackVal, muStart, muCol, muVal, fixed: null, a0: null, d: null, place };
      const dense = (q: readonly Polynomial[]): Float64Array => {
        const a = new Float64Array(n * J);
        q.forEach((qj, j) => place(qj, (r, c) => (a[r * J + j] += c)));
        return a;
      };
      if (block.fixed) compiled.fixed = dense(block.fixed);
      else if (!this.system.discrete) {
        const { q, dq } = this.derivTerms(block, zeroTheta);
        compiled.a0 = dense(q);
        const d = new Float64Array(n * J * P);
        dq.forEach((dqj, j) => dqj.forEach((p, pp) => place(p, (r, c) => (d[(r * J + j) * P + pp] += c))));
        compiled.d = d;
      }
      out.push(compiled);
      row += n;
      mu += block.products.length;
    }
    this.muCount = mu;
    return out;
  }

  /**
   * The warm path of {@link solve}: the LP passed to HiGHS as arrays (a CSR matrix over the columns b_0…b_{J−1}, c,
   * μ_0…, then the diagonal-dominance t_ik of a Lyapunov LP), its simplex started from the previous optimal basis.
   * Same LP as the text of the cold path, without writing and parsing it.
   */
  private solveArrays(theta: Float64Array, signal: StopSignal | undefined): CertificateSolution {
    const compiled = (this.compiled ??= this.compile());
    const J = this.basis.length;
    const P = this.policy.nTheta;
    const nx = this.system.nx;
    const M = this.muCount;
    const pairs: [number, number][] = [];
    if (this.lyapunov) for (let i = 0; i < nx; i++) for (let k = i + 1; k < nx; k++) pairs.push([i, k]);
    const T = pairs.length;
    const roa = this.lyapunov && this.roaRatio > 0;
    const nCols = J + 1 + M + T + (roa ? 2 : 0);
    const blockRows = compiled.reduce((t, c) => t + c.rows, 0);
    const nRows = blockRows + (this.lyapunov ? nx + 2 * T : 0) + (roa ? nx + 1 : 0);
    const rowLower = new Float64Array(nRows);
    const rowUpper = new Float64Array(nRows);
    const starts = new Int32Array(nRows + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const put = (col: number, v: number): void => {
      idx.push(col);
      val.push(v);
    };
    const dqRows: { row: number; coef: Float64Array }[] = [];
    for (const c of compiled) {
      throwIfStopped(signal);
      let a: Float64Array;
      if (c.fixed) a = c.fixed;
      else if (c.a0 && c.d) {
        a = Float64Array.from(c.a0);
        const d = c.d;
        for (let rj = 0; rj < a.length; rj++) {
          let v = a[rj];
          for (let p = 0; p < P; p++) v += d[rj * P + p] * theta[p];
          a[rj] = v;
        }
        for (let r = 0; r < c.rows; r++) dqRows.push({ row: c.row + r, coef: d.subarray(r * J * P, (r + 1) * J * P) });
      } else {
        const { q, dq } = this.derivTerms(c.block, theta);
        a = new Float64Array(c.rows * J);
        q.forEach((qj, j) => c.place(qj, (r, v) => (a[r * J + j] += v)));
        const coefs = new Float64Array(c.rows * J * P);
        dq.forEach((dqj, j) => dqj.forEach((p, pp) => c.place(p, (r, v) => (coefs[(r * J + j) * P + pp] += v))));
        for (let r = 0; r < c.rows; r++) dqRows.push({ row: c.row + r, coef: coefs.subarray(r * J * P, (r + 1) * J * P) });
      }
      for (let r = 0; r < c.rows; r++) {
        const R = c.row + r;
        for (let j = 0; j < J; j++) {
          const v = a[r * J + j];
          if (v !== 0) put(j, v);
        }
        if (c.slackVal[r] !== 0) put(J, c.slackVal[r]);
        for (let t = c.muStart[r]; t < c.muStart[r + 1]; t++) put(J + 1 + c.muCol[t], c.muVal[t]);
        rowLower[R] = c.rhs[r];
        rowUpper[R] = c.rhs[r];
        starts[R + 1] = idx.length;
      }
    }
    if (this.lyapunov) {
      // Q − εI diagonally dominant: b_(i,i) − Σ_k t_ik ≥ ε, t_ik ∓ ½ b_(i,k) ≥ 0 (see diagonalDominanceRows)
      const bIndex = (i: number, k: number): number => this.basis.findIndex((e) => (i === k ? e[i] === 2 : e[i] === 1 && e[k] === 1));
      const tCol = (i: number, k: number): number => J + 1 + M + pairs.findIndex(([a, b]) => a === Math.min(i, k) && b === Math.max(i, k));
      let R = blockRows;
      const close = (lower: number) => {
        rowLower[R] = lower;
        rowUpper[R] = Infinity;
        starts[++R] = idx.length;
      };
      // regionOfAttraction: ≥ m instead of ≥ ε (m ≥ ε), M − b_(i,i) − Σ_k t_ik ≥ 0, roaRatio·m − M ≥ 0
      const mCol = J + 1 + M + T;
      const bigMCol = mCol + 1;
      for (let i = 0; i < nx; i++) {
        put(bIndex(i, i), 1);
        for (let k = 0; k < nx; k++) if (k !== i) put(tCol(i, k), -1);
        if (roa) {
          put(mCol, -1);
          close(0);
          put(bIndex(i, i), -1);
          for (let k = 0; k < nx; k++) if (k !== i) put(tCol(i, k), -1);
          put(bigMCol, 1);
          close(0);
        } else close(this.epsilon);
      }
      if (roa) {
        put(mCol, this.roaRatio);
        put(bigMCol, -1);
        close(0);
      }
      for (const [i, k] of pairs) {
        put(bIndex(i, k), -0.5);
        put(tCol(i, k), 1);
        close(0);
        put(bIndex(i, k), 0.5);
        put(tCol(i, k), 1);
        close(0);
      }
    }
    const colCost = new Float64Array(nCols);
    colCost[J] = 1;
    const colLower = new Float64Array(nCols);
    const colUpper = new Float64Array(nCols).fill(Infinity);
    for (let j = 0; j < J; j++) {
      colLower[j] = -this.betaBound;
      colUpper[j] = this.betaBound;
    }
    colLower[J] = -Infinity;
    if (roa) colLower[J + 1 + M + T] = this.epsilon;
    throwIfStopped(signal);
    const matrix = { format: 'csr' as const, numRows: nRows, numCols: nCols, starts, indices: Int32Array.from(idx), values: Float64Array.from(val) };
    let status: string;
    let cStar = NaN;
    const beta = new Float64Array(J);
    let rowDual: ArrayLike<number> = [];
    let model: LpModel | null = null;
    try {
      model = this.lp.createModel!({ numCols: nCols, numRows: nRows, colCost, colLower, colUpper, rowLower, rowUpper, matrix });
      model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex' });
      const start = this.lastBasis;
      if (start) model.setBasis(start);
      this.startBasis = start;
      const run = model.run();
      this.lastBasis = model.getBasis();
      status = run.modelStatus === 7 ? 'Optimal' : `HiGHS model status ${run.modelStatus}`;
      if (status === 'Optimal') {
        const sol = model.getSolution();
        cStar = model.getObjectiveValue();
        for (let j = 0; j < J; j++) beta[j] = sol.colValue[j];
        rowDual = sol.rowDual;
      }
    } catch (err) {
      status = `Solve error: ${(err as Error).message}`;
    } finally {
      model?.dispose();
    }
    return this.finish(status, cStar, beta, rowDual, dqRows, blockRows, J + 1 + M);
  }

  /**
   * What a resumed run needs to repeat this LP's latest solve and continue its sequence of warm starts to the bit:
   * the basis that solve started from (null: it was cold, or there is no warm start). Plain typed arrays.
   */
  state(): CertificateLpState {
    const b = this.startBasis;
    return { basis: b ? { colStatus: Int32Array.from(b.colStatus), rowStatus: Int32Array.from(b.rowStatus) } : null };
  }

  /**
   * Continues from a {@link CertificateLp.state}: the next solve starts from its basis. A resumed pipeline first
   * repeats the latest solve (same θ, same basis: the same bits), and the later ones follow on.
   */
  restoreState(state: CertificateLpState): void {
    const b = state?.basis;
    if (b !== null && (!(b?.colStatus instanceof Int32Array) || !(b.rowStatus instanceof Int32Array))) {
      throw new RangeError('CertificateLp.restoreState: state.basis must be null or { colStatus: Int32Array, rowStatus: Int32Array }');
    }
    this.lastBasis = b ? { colStatus: Int32Array.from(b.colStatus), rowStatus: Int32Array.from(b.rowStatus) } : null;
    this.startBasis = null;
  }

  /** Forgets the warm-start basis: the next solve starts cold. */
  dispose(): void {
    this.lastBasis = null;
    this.startBasis = null;
  }
}

/** See {@link CertificateLp.state}. */
export interface CertificateLpState {
  readonly basis: { readonly colStatus: Int32Array; readonly rowStatus: Int32Array } | null;
}

/**
 * The boxes on which the Lyapunov LP imposes its decrease condition: the cells of {@link gridMinusInner} up to 4
 * state dimensions (at most 4⁴ − 2⁴ = 240 cells), the 2n boxes of {@link boxMinusInner} above (the grid has 4ⁿ − 2ⁿ
 * cells: 4,032 in 6-D, about 850,000 LP rows for a quartic condition, against 12 boxes and 2,520 rows).
 */
export function lyapunovCells(box: Box, r0: number): Box[] {
  if (box.lo.length <= 4) return gridMinusInner(box, r0);
  return boxMinusInner(box, { lo: box.lo.map(() => -r0), hi: box.hi.map(() => r0) });
}

/**
 * The cells of a grid on the box (cut at −r₀, 0 and r₀ in every coordinate, where inside the box) that are not inside
 * [−r₀, r₀]ⁿ: small cells that avoid the coordinate planes keep the minima of the decrease condition at cell
 * corners, where Handelman's representation of low degree is tight.
 */
export function gridMinusInner(box: Box, r0: number): Box[] {
  const cuts = box.lo.map((lo, i) => [lo, ...[-r0, 0, r0].filter((c) => c > lo && c < box.hi[i]), box.hi[i]]);
  let cells: { lo: number[]; hi: number[] }[] = [{ lo: [], hi: [] }];
  cuts.forEach((cs) => {
    const next: { lo: number[]; hi: number[] }[] = [];
    for (const c of cells) for (let k = 0; k + 1 < cs.length; k++) next.push({ lo: [...c.lo, cs[k]], hi: [...c.hi, cs[k + 1]] });
    cells = next;
  });
  return cells.filter((c) => c.lo.some((l, i) => l >= r0 || c.hi[i] <= -r0));
}

/**
 * The generators of {@link CertificateLpOptions.decrease} 'dsos' in n variables: with z the monomials of degree
 * 1…h, z_a², (z_a + z_b)², (z_a − z_b)² (the extreme rays of the diagonally dominant Gram matrices: non-negative
 * combinations of them are the DSOS polynomials zᵀMz), and g·y_a², g·(y_a ± y_b)² with y the monomials of degree
 * 1…h−1 (σ·g, σ DSOS: non-negative where g ≥ 0); the slack's weight Σ_a z_a².
 */
export function dsosProducts(n: number, h: number, g: Polynomial): { products: Polynomial[]; slackPoly: Polynomial } {
  const gram = (deg: number, times: Polynomial | null): Polynomial[] => {
    const z = monomialBasis(n, deg, 1).map((e) => Polynomial.fromTerms(n, [[e, 1]]));
    const out: Polynomial[] = [];
    const push = (p: Polynomial) => out.push(times ? p.mul(times) : p);
    z.forEach((za, a) => {
      push(za.mul(za));
      for (let b = a + 1; b < z.length; b++) {
        push(za.add(z[b]).pow(2));
        push(za.sub(z[b]).pow(2));
      }
    });
    return out;
  };
  const products = [...gram(h, null), ...(h >= 2 ? gram(h - 1, g) : [])];
  const slackPoly = monomialBasis(n, h, 1).reduce((acc, e) => acc.add(Polynomial.fromTerms(n, [[e.map((k) => 2 * k), 1]])), Polynomial.zero(n));
  return { products, slackPoly };
}

/** r² − ‖x − c‖², non-negative exactly on the ball. */
function ballGenerator(ball: Ball): Polynomial {
  const n = ball.centre.length;
  let p = Polynomial.constant(n, ball.radius * ball.radius);
  for (let i = 0; i < n; i++) p = p.sub(Polynomial.variable(n, i).sub(Polynomial.constant(n, ball.centre[i])).pow(2));
  return p;
}

/**
 * The box minus an open inner box, as 2n closed boxes (coordinate by coordinate: below and above the inner box in
 * coordinate i, with the earlier coordinates already restricted to the inner box). Coordinates where the inner
 * box reaches the outer one contribute no box.
 */
export function boxMinusInner(box: Box, inner: Box): Box[] {
  const n = box.lo.length;
  const out: Box[] = [];
  const lo = [...box.lo];
  const hi = [...box.hi];
  for (let i = 0; i < n; i++) {
    if (!(box.lo[i] <= inner.lo[i] && inner.lo[i] < inner.hi[i] && inner.hi[i] <= box.hi[i])) {
      throw new RangeError(`boxMinusInner: inner box must lie inside the box, received [${inner.lo[i]}, ${inner.hi[i]}] in [${box.lo[i]}, ${box.hi[i]}] at ${i}`);
    }
    if (box.lo[i] < inner.lo[i]) out.push({ lo: [...lo.slice(0, i), box.lo[i], ...lo.slice(i + 1)], hi: [...hi.slice(0, i), inner.lo[i], ...hi.slice(i + 1)] });
    if (inner.hi[i] < box.hi[i]) out.push({ lo: [...lo.slice(0, i), inner.hi[i], ...lo.slice(i + 1)], hi: [...hi.slice(0, i), box.hi[i], ...hi.slice(i + 1)] });
    lo[i] = inner.lo[i];
    hi[i] = inner.hi[i];
  }
  return out;
}

function fmt(c: number): string {
  return c < 0 ? `- ${String(-c)}` : `+ ${String(c)}`;
}

function fmtRhs(c: number): string {
  return String(c);
}

/** Terms of one constraint, a few per line (the LP format allows a constraint to continue on the next line). */
function chunk(terms: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < terms.length; i += 8) out.push(terms.slice(i, i + 8).join(' '));
  return out.join('\n   ');
}
