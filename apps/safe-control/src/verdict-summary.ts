import type { VerifierResult } from './control-pipeline';

/** A verifier result as plain JSON (counterexample as an array, per-condition figures). */
export function verdictSummary(v: VerifierResult) {
  return {
    method: v.method,
    status: v.status,
    violated: v.violated,
    counterexample: v.counterexample ? Array.from(v.counterexample) : null,
    samplesPerCondition: v.samples ?? null,
    boxes: v.boxes ?? null,
    conditions: (v.conditions ?? []).map((c) => ({
      name: c.name,
      samples: c.samples,
      violations: c.violations,
      worstMargin: c.worstMargin,
      counterexample: c.counterexample ? Array.from(c.counterexample) : null,
    })),
    sound: v.sound
      ? {
          status: v.sound.status,
          model: v.sound.model,
          seconds: v.sound.seconds,
          conditions: v.sound.conditions.map((c) => ({
            name: c.name,
            statement: c.statement,
            region: c.region,
            status: c.status,
            boxes: c.boxes,
            boxesVerified: c.boxesVerified,
            boxesInfeasible: c.boxesInfeasible,
            boxesUnresolved: c.boxesUnresolved,
            seconds: c.seconds,
            counterexample: c.counterexample ? { state: Array.from(c.counterexample.state), params: Array.from(c.counterexample.params), value: c.counterexample.value } : null,
          })),
        }
      : null,
  };
}
