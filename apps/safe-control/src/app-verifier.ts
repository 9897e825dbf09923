import type { ControlSystem, Policy } from '@bilevel/control';
import type { StopSignal } from '@bilevel/verify';
import { isStopError } from '@bilevel/verify';
import { sampledVerifierStage, soundVerifierStage } from './control-pipeline';
import type { VerifierStage } from './control-pipeline';

/**
 * The verifier of `train` and `verify`, in one place: first the sampled check of libs/control (`samples` states per
 * condition with the float64 dynamics, parameters drawn from their box: cheap, and it finds most counterexamples),
 * then, when that passes, the sound verifier (branch and bound in float64 with outward rounding over the composed
 * graph policy → dynamics → certificate). The verdict is the sound one: `verified` is a proof, `unknown` is not
 * certified. Both check the conditions with the system's terms (`system.terms`: λ_B, ε, r₀), whatever a certificate
 * file states. Systems the sound verifier cannot express (cart-pole: rational dynamics) keep the sampled verdict,
 * 'passed', which never counts as certified by `verify`. `options.signal` stops both checks part-way (an
 * `AbortError`); `options.onSound` is called when the sound verifier starts (the long part: a log line).
 */
export function appVerifier(
  system: ControlSystem,
  policy: Policy,
  samples: number,
  seed: number,
  options: { readonly signal?: StopSignal; readonly onSound?: () => void } = {},
): VerifierStage {
  const signal = options.signal ? { signal: options.signal } : {};
  const sampled = sampledVerifierStage(system, policy, { samples, seed, ...signal });
  const sound = soundVerifierStage(system, policy, { seed, ...signal });
  return (theta, certificate) => {
    const first = sampled(theta, certificate);
    if (first.status !== 'passed') return first;
    let proof;
    try {
      options.onSound?.();
      proof = sound(theta, certificate);
    } catch (err) {
      if (isStopError(err)) throw err;
      return { ...first, method: `sampled (no sound verifier: ${(err as Error).message})` };
    }
    return { ...proof, method: `sound (after ${first.samples ?? 0} sampled states per condition)`, conditions: first.conditions, samples: first.samples };
  };
}
