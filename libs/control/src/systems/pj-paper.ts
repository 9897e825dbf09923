import type { ControlSystem } from './control-system';
import { PJ } from './pj';

/** The parameter ranges the paper states for PJ (Wang et al., ICCPS 2023, Sec. 5): α₁, α₂ ∈ [−1.5, 1.5]. */
export const PJ_PAPER_RANGES: readonly (readonly [number, number])[] = [
  [-1.5, 1.5],
  [-1.5, 1.5],
];

/**
 * PJ as the paper states it (Wang, Zhan, Wang, Huang, Wang, Yang, Zhu, ICCPS 2023, Sec. 5 "PJ (Safety)"):
 * ẋ₁ = α₁x₂, ẋ₂ = α₂x₁³ + u on the state space x ∈ [−100, 100]², initial set (x₁ − 1.5)² + x₂² ≤ 0.25, unsafe set
 * (x₁ + 0.8)² + (x₂ + 1)² ≤ 0.25, linear controller, quadratic barrier, Δt = 0.1, 100 steps (the authors'
 * simulator, SimonZhan-code/Certified-RL-LP PJ_LP.py). The paper identifies α within [−1.5, 1.5] and certifies
 * the identified system (its Remark 4.4); the simulator's values are α₁ = 1, α₂ = 1/3, so α is pinned there
 * (lo = hi = nominal). `pj` is the project's variant: domain [−2, 2]² and α robust over ±10 %.
 */
export const PJ_PAPER: ControlSystem = {
  ...PJ,
  name: 'pj-paper',
  description: "PJ as the paper states it: x in [-100, 100]^2, identified a1 = 1, a2 = 1/3 (safety)",
  domain: { lo: [-100, -100], hi: [100, 100] },
  params: [
    { name: 'a1', nominal: 1, lo: 1, hi: 1, note: 'identified; the paper searches [-1.5, 1.5]' },
    { name: 'a2', nominal: 1 / 3, lo: 1 / 3, hi: 1 / 3, note: 'identified; the paper searches [-1.5, 1.5]' },
  ],
};
