// How small an oracle error the audit detects: HVP (or cross) scaled by 1 + δ on generated problems.
import fc from 'fast-check';
import { finiteDifferenceAudit, quadraticProblemArb } from '../src/index';
import type { BilevelProblem } from '@bilevel/problems';

const samples = fc.sample(fc.tuple(quadraticProblemArb(), fc.nat()), { seed: 5, numRuns: 300 });
for (const which of ['innerHvp', 'innerCross', 'outerGradX'] as const) {
  for (const delta of [1e-3, 1e-4, 1e-5, 3e-6]) {
    let detected = 0;
    let maxErr0 = 0;
    for (const [g, seed] of samples) {
      const base = g.problem as BilevelProblem;
      const w = Object.create(base) as BilevelProblem;
      (w as unknown as Record<string, unknown>)[which] = (...args: unknown[]) => {
        (base[which] as (...a: unknown[]) => void).apply(base, args);
        const out = args[args.length - 1] as Float64Array;
        for (let k = 0; k < out.length; k++) out[k] *= 1 + delta;
      };
      const r = finiteDifferenceAudit(w, { seed });
      if (!r.oracles.find((o) => o.name === which)!.ok) detected++;
      maxErr0 = Math.max(maxErr0, ...finiteDifferenceAudit(base, { seed }).oracles.map((o) => o.maxRelError));
    }
    console.log(which, delta, `detected ${detected}/${samples.length}`, 'max error of exact oracles', maxErr0);
  }
}
