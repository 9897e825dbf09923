import type { Solver } from '../solver';
import { esjMeta } from './esj-meta';
import { fomaml } from './fomaml';
import { imaml } from './imaml';
import { reptile } from './reptile';

/** A registered meta-learning solver: its factory and a one-line description for `--help`. */
export interface MetaSolverEntry {
  readonly name: string;
  readonly description: string;
  readonly create: (options?: Record<string, unknown>) => Solver;
}

/** The solvers of meta-learning problems by name (CLI `--problem fewshot|sinusoid --solver NAME`). */
export const META_SOLVERS: Readonly<Record<string, MetaSolverEntry>> = {
  imaml: { name: 'imaml', description: 'iMAML: per-task proximal adaptation, CG on (I + H/λ)g = ∇L_query with HVPs, Adam on θ (NeurIPS 2019)', create: (o) => imaml(o) },
  fomaml: { name: 'fomaml', description: 'first-order MAML: the query gradient at the adapted weights, no Hessian (ICML 2017)', create: (o) => fomaml(o) },
  reptile: { name: 'reptile', description: 'Reptile: θ pulled towards the mean adapted weights, θ − φ̄ through Adam (2018)', create: (o) => reptile(o) },
  'esj-s': { name: 'esj-s', description: 'ESJ-S: Hessian-free, the Jacobian dφ/dθ from Gaussian finite differences of the adaptation (NeurIPS 2022)', create: (o) => esjMeta(o) },
};

/** The meta-solver registered under `name`, built with `options`; an unknown name is a RangeError listing the known ones. */
export function createMetaSolver(name: string, options: Record<string, unknown> = {}): Solver {
  const entry = META_SOLVERS[name];
  if (!entry) throw new RangeError(`createMetaSolver: unknown meta-learning solver "${name}"; expected one of ${Object.keys(META_SOLVERS).join(', ')}`);
  return entry.create(options);
}
