// Largest relative error of the finite-difference audit over generated quadratic problems (exact oracles).
import fc from 'fast-check';
import { finiteDifferenceAudit, quadraticProblemArb } from '../src/index';

const opts = JSON.parse(process.argv[2] ?? '{}');
const worst: Record<string, number> = {};
let worstCase = '';
for (const [g, seed] of fc.sample(fc.tuple(quadraticProblemArb(opts), fc.nat()), { seed: 3, numRuns: Number(process.argv[3] ?? 500) })) {
  for (const o of finiteDifferenceAudit(g.problem, { seed }).oracles) {
    if (o.maxRelError > (worst[o.name] ?? 0)) { worst[o.name] = o.maxRelError; if (o.name === 'innerCross') worstCase = `${g} audit seed ${seed}`; }
  }
}
console.log(worst, worstCase);
