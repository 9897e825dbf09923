import type { ControlSystem } from './control-system';
import { PENDULUM } from './pendulum';

/**
 * The damped pendulum as the paper states it (Wang et al., ICCPS 2023, Sec. 5 "Inverted Pendulum (Stability)"):
 * φ̈ = −(g/l) sin φ − (d/(m l²)) φ̇ + u/(m l²), m = l = 1, d = 0.1, state space φ² + φ̇² ≤ 2, initial set
 * φ² + φ̇² ≤ 1, Δt = 0.05, 100 steps, a quadratic Lyapunov function. The paper identifies g within [9, 10.5]
 * and certifies the identified system (Remark 4.4); the authors' simulator uses g = 10 (pendulum_LP.py), so g is
 * pinned there. The claim to prove is the paper's: every trajectory from the initial set converges, i.e. a
 * sublevel set {V ≤ c} inside the state space contains the initial set (see regionOfAttraction). Differences that
 * remain: sin enters the LP as its Taylor polynomial with a bounded remainder w (the paper substitutes p = sin φ,
 * q = cos φ into a 4-D polynomial system), and the decrease is shown outside a small box around 0.
 * `pendulum` is the project's variant: g robust over [9, 10.5].
 */
export const PENDULUM_PAPER: ControlSystem = {
  ...PENDULUM,
  name: 'pendulum-paper',
  description: 'damped pendulum as the paper states it: identified g = 10 (stability, region of attraction checked)',
  params: [{ ...PENDULUM.params[0], nominal: 10, lo: 10, hi: 10, note: 'identified; the paper searches [9, 10.5]' }, PENDULUM.params[1]],
};
