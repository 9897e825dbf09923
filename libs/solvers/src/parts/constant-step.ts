import type { StepRule } from './step-rule';

/** Constant step: w ← w − α d. */
export function constantStep(alpha: number): StepRule<{ alpha: number }> {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`constantStep: alpha must be a positive finite number, received ${alpha}`);
  return {
    name: 'constant',
    stepSize: { kind: 'constant', value: alpha },
    init: () => ({ alpha }),
    apply(_s, { own, d }, out) {
      for (let k = 0; k < out.length; k++) out[k] = own[k] - alpha * d[k];
    },
    diagnostics: () => ({ step: alpha }),
  };
}
