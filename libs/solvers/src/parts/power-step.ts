import type { StepRule } from './step-rule';
import { powerDecay } from '../power-decay';

/** Decreasing step w ← w − α₀ (t+1)^−a d (SOBA's schedules: a = 2/5 for z and v, 3/5 for x). */
export function powerStep(alpha0: number, a: number): StepRule<{ last: number }> {
  const rule = powerDecay(alpha0, a);
  return {
    name: 'power',
    stepSize: { kind: 'power', base: alpha0, exponent: a },
    init: () => ({ last: alpha0 }),
    apply(s, { own, d, t }, out) {
      const r = rule(t);
      s.last = r;
      for (let k = 0; k < out.length; k++) out[k] = own[k] - r * d[k];
    },
    diagnostics: (s) => ({ step: s.last }),
  };
}
