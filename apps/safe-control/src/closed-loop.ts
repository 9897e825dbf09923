import { Rng } from '@bilevel/linalg';
import type { ControlSystem, Policy } from '@bilevel/control';
import { rollout, sampleInitialStates } from '@bilevel/control';

/** One simulated closed-loop trajectory. */
export interface ClosedLoopTrajectory {
  readonly x0: Float64Array;
  /** States x_0 … x_T, row-major, cut before the first non-finite state. */
  readonly xs: Float64Array;
  /** The first step at which the state lies in the unsafe ball, or −1. */
  readonly unsafeStep: number;
}

/** Largest |x_i| kept in a drawn trajectory (a diverging rollout is cut there). */
const DRAW_LIMIT = 1e6;

/**
 * n closed-loop rollouts x_{t+1} = x_t + Δt f(x_t, π_θ(x_t); α_nominal) over the system's horizon from initial states
 * drawn uniformly in the initial ball (seeded), each flagged with the first step inside the unsafe ball
 * ‖x − c‖ ≤ r (never for a system without unsafe set).
 */
export function closedLoop(system: ControlSystem, policy: Policy, theta: Float64Array, n: number, seed: number): ClosedLoopTrajectory[] {
  const { nx } = system;
  return sampleInitialStates(system, n, Rng.fromSeed(seed)).map((x0) => {
    const tr = rollout(system, policy, theta, x0);
    let T = 0;
    let unsafeStep = -1;
    for (let k = 0; k <= system.horizon; k++) {
      const x = tr.xs.subarray(k * nx, (k + 1) * nx);
      if (!x.every((v) => Number.isFinite(v) && Math.abs(v) <= DRAW_LIMIT)) break;
      T = k + 1;
      if (unsafeStep < 0 && system.unsafe !== null) {
        let d2 = 0;
        for (let i = 0; i < nx; i++) d2 += (x[i] - system.unsafe.centre[i]) ** 2;
        if (d2 <= system.unsafe.radius ** 2) unsafeStep = k;
      }
    }
    return { x0, xs: tr.xs.slice(0, Math.max(T, 1) * nx), unsafeStep };
  });
}
