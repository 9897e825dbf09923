import { Graph, mlp } from '@bilevel/verify';
import type { DenseLayer, NodeId } from '@bilevel/verify';
import type { Ball, ControlSystem } from '../systems/control-system';
import { neuralBarrierTerms } from '../systems/certificate-terms';
import type { Polynomial } from '../polynomial';
import type { Policy } from '../policy';
import { FeaturePolicy } from '../policy';
import { MlpPolicy } from '../mlp-policy';
import type { BarrierMlp } from './barrier-mlp';

/** Builds f(x, u; α) as graph nodes (one per state) from the nodes of x, u and α. */
export type DynamicsGraphBuilder = (g: Graph, x: readonly NodeId[], u: readonly NodeId[], alpha: readonly NodeId[]) => NodeId[];

/** One property for `verifyBranchAndBound`: ∀ inputs in `box` with all constraints ≤ 0, objective ≤ −margin. */
export interface BarrierCondition {
  readonly name: 'initial' | 'unsafe' | 'decrease' | 'stay';
  readonly graph: Graph;
  readonly objective: NodeId;
  readonly constraints: readonly NodeId[];
  readonly box: { readonly lo: number[]; readonly hi: number[] };
  readonly margin: number;
  /** The leading box dimensions that are states (the rest are uncertain parameters). */
  readonly stateDims: number;
}

/**
 * Options of {@link barrierConditions}: how f is built. The terms of the conditions (the box D, the decay a, the
 * margin ε of B ≥ ε on Xᵤ) are the system's (`sys.terms.neural`), never the caller's.
 */
export interface BarrierConditionsOptions {
  /** f as graph nodes. Default: from the system's polynomial form (throws when it has none). */
  readonly dynamicsGraph?: DynamicsGraphBuilder;
  /**
   * Extra bounded inputs appended after α in the decrease / stay graphs (passed to dynamicsGraph with α): enclosures
   * of terms the graph cannot express exactly, e.g. a reciprocal. Default none.
   */
  readonly extraParams?: readonly { readonly lo: number; readonly hi: number }[];
}

/** Σ_k c_k Π_i v_i^{e_ki} as graph nodes, over the variable nodes `vars` (one per polynomial variable). */
export function polynomialNode(g: Graph, p: Polynomial, vars: readonly NodeId[]): NodeId {
  if (vars.length !== p.nvars) throw new RangeError(`polynomialNode: vars must have length ${p.nvars}, received ${vars.length}`);
  let bias = 0;
  const args: NodeId[] = [];
  const coeffs: number[] = [];
  for (const [e, c] of p.terms()) {
    const factors: NodeId[] = [];
    e.forEach((k, i) => {
      if (k > 0) factors.push(k === 1 ? vars[i] : g.pow(vars[i], k));
    });
    if (factors.length === 0) {
      bias += c;
      continue;
    }
    args.push(factors.reduce((a, b) => g.mul(a, b)));
    coeffs.push(c);
  }
  return args.length === 0 ? g.constant(bias) : g.affine(args, coeffs, bias);
}

/** The dynamics builder of a system with a polynomial form over (x, u, α). */
export function polynomialDynamics(sys: ControlSystem): DynamicsGraphBuilder {
  const polys = sys.polynomial;
  if (polys === null) throw new RangeError(`polynomialDynamics: system '${sys.name}' has no polynomial form; pass options.dynamicsGraph`);
  return (g, x, u, alpha) => polys.map((p) => polynomialNode(g, p, [...x, ...u, ...alpha]));
}

/** The dense layers of an MlpPolicy's flat θ (layer by layer, W_l row-major then b_l; see MlpPolicy). */
export function mlpPolicyLayers(policy: MlpPolicy, theta: Float64Array): DenseLayer[] {
  const out: DenseLayer[] = [];
  const L = policy.sizes.length - 1;
  let off = 0;
  for (let l = 0; l < L; l++) {
    const nin = policy.sizes[l];
    const nout = policy.sizes[l + 1];
    const weights = theta.slice(off, off + nin * nout);
    off += nin * nout;
    const bias = theta.slice(off, off + nout);
    off += nout;
    const hidden = l < L - 1;
    out.push({ weights, bias, activation: hidden ? policy.activation : policy.squash === null ? 'none' : 'tanh' });
  }
  return out;
}

/** u = π_θ(x) as graph nodes, for a FeaturePolicy (monomial features) or an MlpPolicy. */
export function policyNodes(g: Graph, policy: Policy, theta: Float64Array, x: readonly NodeId[]): NodeId[] {
  if (policy instanceof FeaturePolicy) {
    const feats = policy.exponents.map((e) => {
      const fs: NodeId[] = [];
      e.forEach((k, i) => {
        if (k > 0) fs.push(k === 1 ? x[i] : g.pow(x[i], k));
      });
      return fs.length === 0 ? g.constant(1) : fs.reduce((a, b) => g.mul(a, b));
    });
    const K = policy.nFeatures;
    return Array.from({ length: policy.nu }, (_, a) => g.affine(feats, theta.subarray(a * K, (a + 1) * K), 0));
  }
  if (policy instanceof MlpPolicy) {
    const out = mlp(g, x, mlpPolicyLayers(policy, theta));
    return policy.squash === null ? out : out.map((n) => g.scale(n, policy.squash!));
  }
  throw new RangeError('policyNodes: policy must be a FeaturePolicy or an MlpPolicy');
}

/** ‖x − c‖² − r² as a node (≤ 0 exactly on the ball). */
function ballConstraint(g: Graph, x: readonly NodeId[], ball: Ball): NodeId {
  const sq = x.map((xi, i) => g.sqr(g.affine([xi], [1], -ball.centre[i])));
  return g.affine(sq, sq.map(() => 1), -ball.radius * ball.radius);
}

/**
 * The four conditions that make the neural barrier B_ψ a safety certificate of the Euler closed loop
 * x⁺ = x + Δt f(x, π_θ(x); α) for every α in the parameter box (α is an extra box dimension):
 *
 *   initial:  ∀x ∈ X₀:                         B(x) ≤ 0
 *   unsafe:   ∀x ∈ Xᵤ:                         B(x) ≥ ε        (B > 0)
 *   decrease: ∀(x, α) ∈ D × A with B(x) ≤ 0:   B(x⁺) − (1 − a) B(x) ≤ 0     (so B(x⁺) ≤ (1 − a) B(x) ≤ 0)
 *   stay:     ∀(x, α) ∈ D × A with B(x) ≤ 0:   max_i max(x⁺_i − hi_i, lo_i − x⁺_i) ≤ 0   (x⁺ ∈ D)
 *
 * Then S = {x ∈ D : B(x) ≤ 0} contains X₀, misses Xᵤ and is forward invariant (decrease + stay), so no trajectory
 * from X₀ reaches Xᵤ. D, a and ε are the system's terms (`sys.terms.neural`, checked: X₀ ⊂ D, a ∈ [0, 1], ε > 0),
 * so a condition built here cannot be vacuous. The "stay" condition is the fourth one a discrete-time barrier on a bounded domain needs
 * (without it x⁺ could leave D where nothing is checked). The decrease objective subtracts (1 − a) B(x) although
 * B(x⁺) ≤ 0 alone would do: both are bounded over the same box, and the linear bounds keep the correlation of the
 * two copies of B, so near the level set the verifier sees the trained slack m instead of having to split boxes
 * down to the scale on which B itself varies by m. Balls enter as constraints ‖x − c‖² − r² ≤ 0 over their
 * bounding boxes; the max is built from ReLUs (max(a, b) = a + relu(b − a)).
 */
export function barrierConditions(
  sys: ControlSystem,
  policy: Policy,
  theta: Float64Array,
  barrier: BarrierMlp,
  psi: Float64Array,
  options: BarrierConditionsOptions = {},
): BarrierCondition[] {
  const fn = 'barrierConditions';
  if (sys.unsafe === null) throw new RangeError(`${fn}: system '${sys.name}' has no unsafe set (a barrier needs one)`);
  if (policy.nx !== sys.nx || policy.nu !== sys.nu) throw new RangeError(`${fn}: policy must map ${sys.nx} states to ${sys.nu} inputs, received ${policy.nx} → ${policy.nu}`);
  if (barrier.nx !== sys.nx) throw new RangeError(`${fn}: barrier must take ${sys.nx} states, received ${barrier.nx}`);
  const { domain, decay, unsafeMargin: eps } = neuralBarrierTerms(sys, fn);
  const dyn = options.dynamicsGraph ?? polynomialDynamics(sys);
  const nx = sys.nx;
  const layers = barrier.layers(psi);
  const out: BarrierCondition[] = [];
  for (const [name, ball] of [['initial', sys.initial], ['unsafe', sys.unsafe]] as const) {
    const g = new Graph(nx);
    const x = g.inputs();
    const b = mlp(g, x, layers)[0];
    const objective = name === 'initial' ? b : g.scale(b, -1);
    out.push({
      name,
      graph: g,
      objective,
      constraints: [ballConstraint(g, x, ball)],
      box: { lo: ball.centre.map((c) => c - ball.radius), hi: ball.centre.map((c) => c + ball.radius) },
      margin: name === 'initial' ? 0 : eps,
      stateDims: nx,
    });
  }
  const extra = options.extraParams ?? [];
  if (extra.some((e) => !(Number.isFinite(e.lo) && Number.isFinite(e.hi) && e.lo <= e.hi))) {
    throw new RangeError(`${fn}: options.extraParams must be finite ranges with lo ≤ hi, received ${JSON.stringify(extra)}`);
  }
  const np = sys.params.length + extra.length;
  const g = new Graph(nx + np);
  const inputs = g.inputs();
  const x = inputs.slice(0, nx);
  const alpha = inputs.slice(nx);
  const u = policyNodes(g, policy, theta, x);
  const f = dyn(g, x, u, alpha);
  const xp = x.map((xi, i) => g.affine([xi, f[i]], [1, sys.dt], 0));
  const bx = mlp(g, x, layers)[0];
  const bxp = mlp(g, xp, layers)[0];
  const excess = xp.flatMap((xi, i) => [g.affine([xi], [1], -domain.hi[i]), g.affine([xi], [-1], domain.lo[i])]);
  const worst = excess.slice(1).reduce((m, t) => g.add(m, g.relu(g.sub(t, m))), excess[0]);
  const box = { lo: [...domain.lo, ...sys.params.map((p) => p.lo), ...extra.map((e) => e.lo)], hi: [...domain.hi, ...sys.params.map((p) => p.hi), ...extra.map((e) => e.hi)] };
  out.push({ name: 'decrease', graph: g, objective: g.affine([bxp, bx], [1, -(1 - decay)], 0), constraints: [bx], box, margin: 0, stateDims: nx });
  out.push({ name: 'stay', graph: g, objective: worst, constraints: [bx], box, margin: 0, stateDims: nx });
  return out;
}
