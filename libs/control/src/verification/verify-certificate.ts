import { Rng } from '@bilevel/linalg';
import type { NodeId, StopSignal } from '@bilevel/verify';
import { Graph, checkedStopSignal, evaluate, throwIfStopped, verifyBranchAndBound } from '@bilevel/verify';
import type { Polynomial } from '../polynomial';
import type { Policy } from '../policy';
import type { Box, ControlSystem } from '../systems/control-system';
import { ballBox } from '../systems/control-system';
import { boxMinusInner } from '../certificate-lp';
import { checkedTerms } from '../systems/certificate-terms';
import { dynamicsNodes } from './dynamics-nodes';
import { policyNodes } from './policy-graph';
import { polynomialNode } from './polynomial-graph';

/**
 * Options of {@link verifyCertificate}: budgets and seed only. The terms of the conditions (λ_B, ε, r₀) are the
 * system's (`system.terms`), never the caller's: a verifier checks a claim against terms the claimant did not pick.
 */
export interface VerifyCertificateOptions {
  /** Barrier: B ≥ margin > 0 is proved on the unsafe set (a strict B > 0). Default 1e-6. */
  readonly margin?: number;
  /** Budget per condition: boxes bounded by branch and bound. Default 20,000. */
  readonly maxBoxes?: number;
  /** Budget per condition: wall-clock seconds. Default 30. */
  readonly maxSeconds?: number;
  /** Seed of the falsification samples (and of the dynamics agreement check). Default 0. */
  readonly seed?: number;
  /** Read before each box of the branch and bound: once aborted the verification throws an `AbortError`. */
  readonly signal?: StopSignal;
}

/** A state (and parameter vector) that violates a condition, certified by interval evaluation at the point. */
export interface CertificateCounterexample {
  readonly state: Float64Array;
  /** The parameters α at which it violates (pinned ones at their nominal value). */
  readonly params: Float64Array;
  /** The condition's left-hand side there (float): > 0 (> −margin for the unsafe condition) is a violation. */
  readonly value: number;
}

/** One condition's verdict. */
export interface ConditionVerification {
  /** 'inside': a sublevel set of V lies in the state space (verifyLyapunovDsos's region of attraction). */
  readonly name: 'initial' | 'unsafe' | 'derivative' | 'positive' | 'decrease' | 'inside';
  /** What was proved or refuted, "lhs ≤ 0". */
  readonly statement: string;
  /** The region of states and parameters it was checked on. */
  readonly region: string;
  readonly status: 'verified' | 'falsified' | 'unknown';
  /** Boxes bounded, summed over the region's boxes. */
  readonly boxes: number;
  readonly boxesVerified: number;
  readonly boxesInfeasible: number;
  /** Boxes left open when the budget ran out (status unknown). */
  readonly boxesUnresolved: number;
  readonly seconds: number;
  readonly counterexample: CertificateCounterexample | null;
}

/** What {@link verifyCertificate} returns. */
export interface CertificateVerification {
  /** True only when every condition is verified. */
  readonly verified: boolean;
  readonly status: 'verified' | 'falsified' | 'unknown';
  readonly kind: 'barrier' | 'lyapunov';
  /** The dynamics model the graph uses. */
  readonly model: string;
  readonly conditions: ConditionVerification[];
  readonly seconds: number;
}

/** Relative tolerance of the agreement between the graph dynamics and `system.dynamics` at sampled points. */
export const DYNAMICS_AGREEMENT_TOL = 1e-9;
/** Sampled points of that agreement check. */
export const DYNAMICS_AGREEMENT_POINTS = 32;

interface Built {
  graph: Graph;
  objective: NodeId;
  constraints: NodeId[];
}

const fmtBox = (lo: readonly number[], hi: readonly number[]): string => lo.map((l, i) => `[${+l.toPrecision(6)}, ${+hi[i].toPrecision(6)}]`).join(' × ');

/**
 * Sound re-verification of a polynomial certificate, independently of the LP that produced it (Wang, Zhan, Wang,
 * Huang, Wang, Yang, Zhu, ICCPS 2023, re-checked as their verification step does): the conditions are built as
 * one {@link Graph} per condition, policy → dynamics → certificate over the inputs (x, α) (the uncertain
 * parameters are box dimensions over their ranges), and each is proved by {@link verifyBranchAndBound} (float64,
 * outward rounding) on the region the LP certified:
 *
 *   barrier:   B(x) ≤ 0 on the initial ball (‖x − c‖² − r² ≤ 0 inside its bounding box);
 *              −B(x) + margin ≤ 0 on the unsafe ball (so B > 0 there);
 *              continuous:  ∇B(x)·f(x, π_θ(x); α) − λ_B B(x) ≤ 0 on the domain box, for all α in range;
 *              discrete:    B(x⁺) − (1 + Δt λ_B) B(x) ≤ 0 on the domain box, x⁺ = A_d x + B_d u;
 *   Lyapunov:  ε‖x‖² − V(x) ≤ 0 on the domain box outside (−r₀, r₀)ⁿ, or for a quadratic form on the faces of
 *              [−1, 1]ⁿ (they meet every ray from 0, so by homogeneity V ≥ ε‖x‖² everywhere, as the LP's
 *              diagonal dominance encodes);
 *              ∇V(x)·f(x, π_θ(x); α) + ε‖x‖² ≤ 0 on the domain box outside (−r₀, r₀)ⁿ (and inside the domain
 *              ball when `system.stateSpace` is 'ball', the paper's state space), for all α in range —
 *              for the pendulum with the true sine (the graph's sound sin), not the LP's Taylor polynomial.
 *
 * A region that is a union of boxes (domain minus the inner box: 2n boxes) is run box by box, each with what is
 * left of the condition's budget. Before anything, the graph dynamics are checked against `system.dynamics` at
 * {@link DYNAMICS_AGREEMENT_POINTS} seeded points (relative {@link DYNAMICS_AGREEMENT_TOL}), so the graph cannot
 * silently verify a different model. `verified` is a proof for the float-coefficient certificate and policy;
 * `falsified` carries a state where the condition fails (certified by intervals at the point); `unknown` means
 * the budget ran out.
 *
 * @example
 * const sol = new CertificateLp(PJ, pi, highs).solve(theta);
 * const r = verifyCertificate(PJ, pi, theta, sol.certificate); // PJ.terms: λ_B = −4
 * r.verified; // true: every condition proved
 */
export function verifyCertificate(
  system: ControlSystem,
  policy: Policy,
  theta: Float64Array,
  certificate: Polynomial,
  options: VerifyCertificateOptions = {},
): CertificateVerification {
  const fn = 'verifyCertificate';
  const { lambdaB, epsilon: eps, innerRadius: r0 } = checkedTerms(system);
  const margin = options.margin ?? 1e-6;
  const maxBoxes = options.maxBoxes ?? 20_000;
  const maxSeconds = options.maxSeconds ?? 30;
  const seed = options.seed ?? 0;
  if (!(margin > 0 && Number.isFinite(margin))) throw new RangeError(`${fn}: options.margin must be a finite number > 0, received ${margin}`);
  if (!Number.isInteger(maxBoxes) || maxBoxes < 1) throw new RangeError(`${fn}: options.maxBoxes must be an integer ≥ 1, received ${maxBoxes}`);
  if (!(maxSeconds > 0)) throw new RangeError(`${fn}: options.maxSeconds must be > 0, received ${maxSeconds}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: options.seed must be a safe integer, received ${seed}`);
  const signal = checkedStopSignal(fn, options.signal);
  if (certificate.nvars !== system.nx) {
    throw new RangeError(`${fn}: certificate must be a polynomial in ${system.nx} variables, received ${certificate.nvars}`);
  }
  if (policy.nx !== system.nx || policy.nu !== system.nu) {
    throw new RangeError(`${fn}: policy must have nx = ${system.nx}, nu = ${system.nu}, received nx = ${policy.nx}, nu = ${policy.nu}`);
  }
  const { nx } = system;
  const np = system.params.length;
  const kind = system.certificate;
  if (kind === 'barrier' && system.unsafe === null) throw new RangeError(`${fn}: barrier system '${system.name}' must have an unsafe set`);
  const t0 = performance.now();

  /** On a graph over the inputs (x, α): the state nodes and the closed loop's f (or x⁺) nodes. */
  const closedLoop = (g: Graph): { x: NodeId[]; dyn: ReturnType<typeof dynamicsNodes> } => {
    const inputs = g.inputs();
    const x = inputs.slice(0, nx);
    const u = policyNodes(g, policy, theta, x);
    return { x, dyn: dynamicsNodes(g, system, x, u, inputs.slice(nx)) };
  };
  const probe = closedLoop(new Graph(nx + np));
  const model = probe.dyn.model;
  checkAgreement(fn, system, policy, theta, seed);

  /** The full input box: states in `box`, used parameters over their range, the others pinned at nominal. */
  const inputBox = (box: Box, withParams: boolean): { lo: number[]; hi: number[] } => ({
    lo: [...box.lo, ...system.params.map((p, k) => (withParams && probe.dyn.usesParam[k] ? p.lo : p.nominal))],
    hi: [...box.hi, ...system.params.map((p, k) => (withParams && probe.dyn.usesParam[k] ? p.hi : p.nominal))],
  });
  const paramText = system.params
    .filter((_, k) => probe.dyn.usesParam[k])
    .map((p) => `${p.name} ∈ [${p.lo}, ${p.hi}]`)
    .join(', ');
  const sqNorm = (g: Graph, x: NodeId[], centre?: readonly number[]): NodeId => {
    const sq = x.map((xi, i) => g.pow(centre ? g.affine([xi], [1], -centre[i]) : xi, 2));
    return g.affine(sq, sq.map(() => 1), 0);
  };
  const lie = (g: Graph, x: NodeId[], f: NodeId[], powers: Map<string, NodeId>): NodeId => {
    const prods = certificate.gradient().map((gi, i) => g.mul(polynomialNode(g, gi, x, powers), f[i]));
    return g.affine(prods, prods.map(() => 1), 0);
  };

  const run = (
    name: ConditionVerification['name'],
    statement: string,
    region: string,
    boxes: readonly Box[],
    withParams: boolean,
    condMargin: number,
    build: () => Built,
  ): ConditionVerification => {
    const c0 = performance.now();
    let processed = 0;
    let ver = 0;
    let inf = 0;
    let unresolved = 0;
    let status: ConditionVerification['status'] = 'verified';
    let cex: CertificateCounterexample | null = null;
    for (let b = 0; b < boxes.length; b++) {
      throwIfStopped(signal);
      const left = maxSeconds - (performance.now() - c0) / 1000;
      if (processed >= maxBoxes || left <= 0) {
        status = 'unknown';
        unresolved += boxes.length - b;
        break;
      }
      const { graph, objective, constraints } = build();
      const r = verifyBranchAndBound(graph, {
        objective,
        constraints,
        box: inputBox(boxes[b], withParams),
        margin: condMargin,
        maxBoxes: maxBoxes - processed,
        maxSeconds: left,
        seed: seed + b,
        ...(signal ? { signal } : {}),
      });
      processed += r.stats.boxesProcessed;
      ver += r.stats.boxesVerified;
      inf += r.stats.boxesInfeasible;
      if (r.status === 'falsified') {
        status = 'falsified';
        cex = { state: r.counterexample.slice(0, nx), params: r.counterexample.slice(nx), value: r.value };
        break;
      }
      if (r.status === 'unknown') {
        status = 'unknown';
        unresolved += r.unresolvedBoxes.length;
      }
    }
    const seconds = (performance.now() - c0) / 1000;
    return { name, statement, region, status, boxes: processed, boxesVerified: ver, boxesInfeasible: inf, boxesUnresolved: unresolved, seconds, counterexample: cex };
  };

  const conditions: ConditionVerification[] = [];
  const domainText = fmtBox(system.domain.lo, system.domain.hi);
  if (kind === 'barrier') {
    const unsafe = system.unsafe!;
    for (const [name, ball, sign, m] of [
      ['initial', system.initial, 1, 0],
      ['unsafe', unsafe, -1, margin],
    ] as const) {
      const build = (): Built => {
        const g = new Graph(nx + np);
        const x = g.inputs().slice(0, nx);
        const B = polynomialNode(g, certificate, x);
        const inBall = g.affine([sqNorm(g, x, ball.centre)], [1], -ball.radius * ball.radius);
        return { graph: g, objective: sign === 1 ? B : g.scale(B, -1), constraints: [inBall] };
      };
      const statement = name === 'initial' ? 'B(x) ≤ 0' : `−B(x) + ${m} ≤ 0`;
      const region = `‖x − (${ball.centre.join(', ')})‖ ≤ ${ball.radius}`;
      conditions.push(run(name, statement, region, [ballBox(ball)], false, m, build));
      if (conditions[conditions.length - 1].status === 'falsified') break;
    }
    if (conditions.every((c) => c.status !== 'falsified')) {
      const build = (): Built => {
        const g = new Graph(nx + np);
        const { x, dyn } = closedLoop(g);
        const powers = new Map<string, NodeId>();
        const B = polynomialNode(g, certificate, x, powers);
        if (dyn.kind === 'successor') {
          const Bnext = polynomialNode(g, certificate, dyn.nodes);
          return { graph: g, objective: g.affine([Bnext, B], [1, -(1 + system.dt * lambdaB)], 0), constraints: [] };
        }
        return { graph: g, objective: g.affine([lie(g, x, dyn.nodes, powers), B], [1, -lambdaB], 0), constraints: [] };
      };
      const statement =
        probe.dyn.kind === 'successor' ? `B(x⁺) − (1 + Δt·(${lambdaB}))·B(x) ≤ 0, x⁺ = closed-loop map` : `∇B(x)·f(x, π(x); α) − (${lambdaB})·B(x) ≤ 0`;
      conditions.push(run('derivative', statement, `x ∈ ${domainText}${paramText ? `, ${paramText}` : ''}`, [system.domain], true, 0, build));
    }
  } else {
    const inner = { lo: system.domain.lo.map(() => -r0), hi: system.domain.hi.map(() => r0) };
    const pieces = boxMinusInner(system.domain, inner);
    const outside = `x ∈ ${domainText} outside (−${r0}, ${r0})^${nx}`;
    const quadraticForm = certificate.terms().every(([e]) => e.reduce((s, k) => s + k, 0) === 2);
    conditions.push(
      run('positive', `${eps}·‖x‖² − V(x) ≤ 0`, quadraticForm ? `the faces of [−1, 1]^${nx} (V a quadratic form: all x by homogeneity)` : outside, quadraticForm ? unitCubeFaces(nx) : pieces, false, 0, () => {
        const g = new Graph(nx + np);
        const x = g.inputs().slice(0, nx);
        return { graph: g, objective: g.affine([sqNorm(g, x), polynomialNode(g, certificate, x)], [eps, -1], 0), constraints: [] };
      }),
    );
    if (conditions[0].status !== 'falsified') {
      if (probe.dyn.kind !== 'vector-field') throw new RangeError(`${fn}: Lyapunov conditions need a continuous system, '${system.name}' is discrete`);
      // the state space: the domain ball where the system states its decrease there (the paper's ‖x‖ ≤ R), else the box
      const ball = system.stateSpace === 'ball' ? (system.domainBall ?? null) : null;
      const within = ball ? `${outside}, ‖x − (${ball.centre.join(', ')})‖ ≤ ${ball.radius}` : outside;
      conditions.push(
        run('decrease', `∇V(x)·f(x, π(x); α) + ${eps}·‖x‖² ≤ 0`, `${within}${paramText ? `, ${paramText}` : ''}`, pieces, true, 0, () => {
          const g = new Graph(nx + np);
          const { x, dyn } = closedLoop(g);
          const powers = new Map<string, NodeId>();
          const constraints = ball ? [g.affine([sqNorm(g, x, ball.centre)], [1], -ball.radius * ball.radius)] : [];
          return { graph: g, objective: g.affine([lie(g, x, dyn.nodes, powers), sqNorm(g, x)], [1, eps], 0), constraints };
        }),
      );
    }
  }
  const status = conditions.some((c) => c.status === 'falsified') ? 'falsified' : conditions.every((c) => c.status === 'verified') ? 'verified' : 'unknown';
  return { verified: status === 'verified', status, kind, model, conditions, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The 2n faces of the cube [−1, 1]ⁿ (one coordinate pinned at ±1): every x ≠ 0 is t·s with t > 0 and s on them, so
 * a form homogeneous of degree 2 (F(t·s) = t²F(s)) that is ≤ 0 there is ≤ 0 everywhere. Unlike the domain minus a
 * small box, they keep away from the origin, where a definite form is near 0 and bound propagation needs tiny boxes
 * (6-D attitude control: over 2,000 boxes left open, against a few dozen on the faces).
 */
export function unitCubeFaces(n: number): Box[] {
  const faces: Box[] = [];
  for (let i = 0; i < n; i++) {
    for (const v of [-1, 1]) faces.push({ lo: Array.from({ length: n }, (_, j) => (j === i ? v : -1)), hi: Array.from({ length: n }, (_, j) => (j === i ? v : 1)) });
  }
  return faces;
}

/** Throws when the graph closed loop disagrees with `system.dynamics` (x + Δt f for discrete systems) at seeded points. */
function checkAgreement(fn: string, sys: ControlSystem, policy: Policy, theta: Float64Array, seed: number): void {
  const { nx, nu } = sys;
  const np = sys.params.length;
  const g = new Graph(nx + np);
  const inputs = g.inputs();
  const x = inputs.slice(0, nx);
  const u = policyNodes(g, policy, theta, x);
  const dyn = dynamicsNodes(g, sys, x, u, inputs.slice(nx));
  const rng = Rng.fromSeed(seed).split();
  const pt = new Float64Array(nx + np);
  const uf = new Float64Array(nu);
  const f = new Float64Array(nx);
  for (let s = 0; s < DYNAMICS_AGREEMENT_POINTS; s++) {
    for (let i = 0; i < nx; i++) pt[i] = sys.domain.lo[i] + (sys.domain.hi[i] - sys.domain.lo[i]) * rng.float();
    sys.params.forEach((p, k) => (pt[nx + k] = dyn.usesParam[k] ? p.lo + (p.hi - p.lo) * rng.float() : p.nominal));
    const v = evaluate(g, pt);
    const xs = pt.subarray(0, nx);
    policy.act(theta, xs, uf);
    sys.dynamics(xs, uf, pt.subarray(nx), f);
    for (let i = 0; i < nx; i++) {
      const want = dyn.kind === 'successor' ? xs[i] + sys.dt * f[i] : f[i];
      const got = v[dyn.nodes[i]];
      if (!(Math.abs(got - want) <= DYNAMICS_AGREEMENT_TOL * (1 + Math.abs(want)))) {
        throw new RangeError(`${fn}: the graph dynamics of '${sys.name}' disagree with system.dynamics at x = [${Array.from(xs)}]: component ${i} is ${got}, expected ${want}`);
      }
    }
  }
}
