import type { Rng } from '@bilevel/linalg';
import type { Solver } from '../solver';
import type { BlackBoxOptions, CandidateProposer, SearchHistory } from './black-box-search';
import { BLACK_BOX_KEYS, blackBoxSolver } from './black-box-search';
import { parzenEstimator, parzenLogPdf, parzenSample } from './parzen';
import { knownKeys, positiveInteger } from '../validate-options';

/** Options of {@link tpe}, with their defaults, besides those of every black-box search ({@link BlackBoxOptions}). */
export interface TpeOptions extends BlackBoxOptions {
  /** γ ∈ (0, 1): the best ⌈γ·n⌉ of the n evaluations are "good". Default 0.25 (Bergstra et al. 2011). */
  readonly gamma?: number;
  /** Evaluations drawn uniformly in the box (the start x₀ included) before the model proposes. Default 10. */
  readonly startup?: number;
  /** Candidates drawn from l(x) per coordinate, the best l/g kept. Default 24 (hyperopt's `n_EI_candidates`). */
  readonly candidates?: number;
}

const KEYS = ['gamma', 'startup', 'candidates'] as const;

interface TpeState {
  readonly rng: Rng;
  readonly gamma: number;
  readonly startup: number;
  readonly candidates: number;
}

/** The indices of the ⌈γ·n⌉ lowest values (ties: the earlier evaluation first). */
export function goodIndices(values: readonly number[], gamma: number): Set<number> {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  return new Set(order.slice(0, Math.ceil(gamma * values.length)));
}

/**
 * The TPE proposal (Bergstra, Bardenet, Bengio, Kégl 2011, Sec. 4): split the evaluations into the good ones (lowest
 * ⌈γn⌉ values) and the rest; per coordinate k, fit the adaptive Parzen estimators l_k (good) and g_k (rest) on the box
 * ({@link parzenEstimator}), draw `candidates` values from l_k and keep the one with the largest l_k/g_k, which
 * maximizes the expected improvement of the paper's model. Coordinates are modelled independently, as hyperopt does
 * for independent hyperparameters. Before `startup` evaluations, candidates are uniform in the box.
 */
export function tpeProposer(gamma: number, startup: number, candidates: number): CandidateProposer<TpeState> {
  return {
    needsHistory: true,
    init: (_dimX, rng) => ({ rng, gamma, startup, candidates }),
    propose(s, history: SearchHistory, low, high, out) {
      const n = history.values.length;
      if (n < s.startup) {
        for (let k = 0; k < out.length; k++) out[k] = low + (high - low) * s.rng.float();
        return;
      }
      const good = goodIndices(history.values, s.gamma);
      const below = new Float64Array(good.size);
      const above = new Float64Array(n - good.size);
      for (let k = 0; k < out.length; k++) {
        let b = 0;
        let a = 0;
        for (let i = 0; i < n; i++) {
          if (good.has(i)) below[b++] = history.xs[i][k];
          else above[a++] = history.xs[i][k];
        }
        const l = parzenEstimator(below, low, high);
        const g = parzenEstimator(above, low, high);
        let best = NaN;
        let bestScore = -Infinity;
        for (let c = 0; c < s.candidates; c++) {
          const cand = parzenSample(l, s.rng);
          const score = parzenLogPdf(l, cand) - parzenLogPdf(g, cand);
          if (score > bestScore || Number.isNaN(best)) {
            bestScore = score;
            best = cand;
          }
        }
        out[k] = best;
      }
    },
  };
}

/**
 * TPE, the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio, Kégl, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011), over x in the box [low, high]^d (default [−5, 5]^d): the start x₀ and `startup` − 1
 * uniform candidates, then candidates that maximize l(x)/g(x) of the Parzen models of the good (best γ = 0.25) and the
 * other evaluations (see {@link tpeProposer}). The public benchmark's black-box baseline (Optuna's TPESampler), written
 * here by hand: no JavaScript TPE library is kept up (npm's `hyperparameters`, a hyperopt port, has random and grid
 * search only), and the proposal is 60 lines on the project's seeded generator.
 * See {@link blackBoxSolver} for how a search runs as a solver and how its evaluations are counted.
 *
 * @example runLoop(problem, tpe({ startup: 5 }), { maxIter: 100 })
 */
export function tpe(options: TpeOptions = {}): Solver {
  const fn = 'tpe';
  knownKeys(fn, options, [...BLACK_BOX_KEYS, ...KEYS]);
  const gamma = options.gamma ?? 0.25;
  if (typeof gamma !== 'number' || !(gamma > 0 && gamma < 1)) throw new RangeError(`${fn}: gamma must be in (0, 1), received ${String(gamma)}`);
  const startup = positiveInteger(fn, 'startup', options.startup ?? 10);
  const candidates = positiveInteger(fn, 'candidates', options.candidates ?? 24);
  const common: Record<string, unknown> = { ...options };
  for (const key of KEYS) delete common[key];
  return blackBoxSolver(
    'tpe',
    'Bergstra, Bardenet, Bengio, Kégl. Algorithms for Hyper-Parameter Optimization. NeurIPS 2011.',
    fn,
    tpeProposer(gamma, startup, candidates) as CandidateProposer,
    common as BlackBoxOptions,
    [],
    { gamma, startup, candidates },
  );
}
