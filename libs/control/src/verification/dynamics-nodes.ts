import type { Graph, NodeId } from '@bilevel/verify';
import type { ControlSystem } from '../systems/control-system';
import { LANE_KEEPING_A, LANE_KEEPING_B } from '../systems/lane-keeping';
import { polynomialNode } from './polynomial-graph';

/** What {@link dynamicsNodes} built. */
export interface DynamicsNodes {
  /** 'vector-field': f(x, u; α) of a continuous system; 'successor': x⁺ of a discrete one. */
  readonly kind: 'vector-field' | 'successor';
  /** nx nodes. */
  readonly nodes: NodeId[];
  /** Per parameter: whether the graph model depends on it (the others may be pinned to their nominal value). */
  readonly usesParam: readonly boolean[];
  /** Which model was built, for reports. */
  readonly model: string;
}

/** Pendulum constants, mirroring systems/pendulum.ts (m = l = 1, d = 0.1); verifyCertificate checks the agreement. */
const PENDULUM_M = 1;
const PENDULUM_L = 1;
const PENDULUM_D = 0.1;

/**
 * The dynamics of a system as {@link Graph} nodes over state, input and parameter nodes, for sound verification:
 *
 *   pendulum:      f = (ω, −(g/l) sin φ − d/(m l²) ω + u/(m l²)) with the graph's sound `sin` (not the Taylor
 *                  polynomial of the LP: this is what re-verification adds), g a box input, the remainder
 *                  parameter w unused;
 *   lane keeping:  the discrete map x⁺ = A_d x + B_d u with the matrices of anchors.md as stored (not the
 *                  difference quotient f = ((A_d − I)x + B_d u)/Δt, whose float coefficients round);
 *   other systems whose polynomial form is exact (`polynomialNote` starting with 'exact'): f from
 *                  `system.polynomial` over (x, u, α) by {@link polynomialNode}, and x⁺ = x + Δt f when discrete.
 *
 * Systems with neither (the cart-pole: rational in sin and cos) are rejected.
 *
 * @example
 * const g = new Graph(4);                                     // φ, ω, g, w
 * const [phi, om, gr, w] = g.inputs();
 * const { nodes } = dynamicsNodes(g, PENDULUM, [phi, om], [g.constant(0)], [gr, w]);
 */
export function dynamicsNodes(g: Graph, sys: ControlSystem, x: readonly NodeId[], u: readonly NodeId[], alpha: readonly NodeId[]): DynamicsNodes {
  const fn = 'dynamicsNodes';
  if (x.length !== sys.nx || u.length !== sys.nu || alpha.length !== sys.params.length) {
    throw new RangeError(
      `${fn}: expected ${sys.nx} state, ${sys.nu} input and ${sys.params.length} parameter nodes for '${sys.name}', received ${x.length}, ${u.length}, ${alpha.length}`,
    );
  }
  if (sys.name === 'pendulum' || sys.name === 'pendulum-paper') {
    const ml2 = PENDULUM_M * PENDULUM_L * PENDULUM_L;
    const gSin = g.mul(alpha[0], g.sin(x[0]));
    const omegaDot = g.affine([gSin, x[1], u[0]], [-1 / PENDULUM_L, -PENDULUM_D / ml2, 1 / ml2], 0);
    return { kind: 'vector-field', nodes: [x[1], omegaDot], usesParam: [true, false], model: 'true sine (graph sin), g in its range, w unused' };
  }
  if (sys.name === 'lane-keeping') {
    const nodes = LANE_KEEPING_A.map((row, i) => g.affine([...x, u[0]], [...row, LANE_KEEPING_B[i]], 0));
    return { kind: 'successor', nodes, usesParam: [], model: 'x+ = A_d x + B_d u (anchors.md matrices)' };
  }
  if (sys.polynomial !== null && sys.polynomialNote.startsWith('exact')) {
    const vars = [...x, ...u, ...alpha];
    const powers = new Map<string, NodeId>();
    const f = sys.polynomial.map((p) => polynomialNode(g, p, vars, powers));
    const usesParam = sys.params.map((_, k) => sys.polynomial!.some((p) => p.degreeIn(sys.nx + sys.nu + k) > 0));
    if (!sys.discrete) return { kind: 'vector-field', nodes: f, usesParam, model: 'exact polynomial dynamics' };
    const nodes = f.map((fi, i) => g.affine([x[i], fi], [1, sys.dt], 0));
    return { kind: 'successor', nodes, usesParam, model: 'x+ = x + dt f, exact polynomial f' };
  }
  throw new RangeError(`${fn}: system '${sys.name}' has no graph dynamics here (${sys.polynomialNote})`);
}
