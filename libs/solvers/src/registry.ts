import type { Solver } from './solver';
import { soba } from './soba';
import { saba } from './saba';
import { srba } from './srba';
import { amigo } from './amigo';
import { stocbio } from './stocbio';
import { implicitDiff } from './implicit-diff';
import { shine } from './shine';
import { maid } from './maid';
import { isgd } from './isgd';
import { f2sa } from './f2sa';
import { bome } from './bome';
import { mrbo } from './mrbo';
import { vrbo } from './vrbo';
import { fsla } from './fsla';
import { sustain } from './sustain';
import { ttsa } from './ttsa';
import { bsa } from './bsa';
import { esj, esjS } from './esj';
import { slBamm } from './sl-bamm';
import { dpCd } from './dp-cd';
import { noisySgd } from './noisy-sgd';
import { maSoba } from './ma-soba';
import { spaba } from './spaba';
import { boRep } from './bo-rep';
import { f2ba } from './f2ba';
import { randomSearch } from './black-box/random-search';
import { tpe } from './black-box/tpe';

/** A registered solver: its factory and a one-line description for `--help`. */
export interface SolverEntry {
  readonly name: string;
  readonly description: string;
  readonly create: (options?: Record<string, unknown>) => Solver;
  /** False for standalone solvers that are not bilevel (they have their own entry point). Default true. */
  readonly bilevel?: boolean;
  /** Outer steps between evaluations in benchmarks and the CLI default (loop methods do more work per step). */
  readonly evalEvery?: number;
  /**
   * Documented accuracy on the contract quadratic ({@link CONTRACT_QUADRATIC}, batch 8, the solver's default steps
   * unless `options` says otherwise): ‖∇h(x_T)‖ ≤ accuracy·‖∇h(x₀)‖ after T = `budget` outer steps from x₀ = 0.
   */
  readonly quadratic?: { readonly budget: number; readonly accuracy: number; readonly options?: Record<string, unknown> };
}

/** The quadratic bilevel problem of the solver contract suite (quadraticProblem options). */
export const CONTRACT_QUADRATIC = { dimZ: 10, dimX: 5, nInner: 64, nOuter: 64, seed: 1 } as const;

/** Every solver available by name (CLI `--solver NAME`, API `createSolver(NAME, options)`). */
export const SOLVERS: Readonly<Record<string, SolverEntry>> = {
  soba: {
    name: 'soba',
    description: 'SOBA: single-loop SGD on z, v, x with decreasing steps (NeurIPS 2022)',
    create: (o) => soba(o),
    // measured 0.25 at 5000 steps (seed 0): no variance reduction, slow decrease
    quadratic: { budget: 5000, accuracy: 0.4 },
  },
  saba: {
    name: 'saba',
    description: 'SABA: SOBA with SAGA memories on all five quantities, constant steps (NeurIPS 2022)',
    create: (o) => saba(o),
    // measured 1e-14 at 5000 steps (seed 0): linear convergence
    quadratic: { budget: 5000, accuracy: 1e-8 },
  },
  srba: {
    name: 'srba',
    description: 'SRBA: SARAH recursive directions, full-batch refresh every ⌊½(n+m)/b⌋ steps, constant steps (AISTATS 2024)',
    create: (o) => srba(o),
    quadratic: { budget: 5000, accuracy: 1e-6 },
  },
  amigo: {
    name: 'amigo',
    description: 'AmIGO: T warm-started SGD steps on z, K on v, then the outer step (ICLR 2022)',
    create: (o) => amigo(o),
    evalEvery: 10,
    // measured 0.077 at 5000 steps (batch 8)
    quadratic: { budget: 5000, accuracy: 0.3 },
  },
  stocbio: {
    name: 'stocbio',
    description: 'StocBiO: T warm SGD steps on z, v from a stochastic truncated Neumann series (ICML 2021)',
    create: (o) => stocbio(o),
    evalEvery: 10,
    // with the defaults (η = 0.1, N = 10) the truncated series is biased at μ = 0.1 (0.78 at 2000); measured 0.24 here
    quadratic: { budget: 2000, accuracy: 0.5, options: { neumannStep: 0.3, neumannTerms: 30, outerStep: 0.05 } },
  },
  'implicit-diff': {
    name: 'implicit-diff',
    description: 'Implicit differentiation: full-batch inner solve, warm-started CG on Hv = −∇_zF, gradient step on h',
    create: (o) => implicitDiff(o),
    evalEvery: 1,
    // measured 3.3e-6 at 1000 steps: exact hypergradients, gradient descent on h
    quadratic: { budget: 1000, accuracy: 1e-4 },
  },
  shine: {
    name: 'shine',
    description: 'SHINE: L-BFGS inner solve whose inverse-Hessian estimate gives v with no HVP; optional OPA and CG refinement (ICLR 2022)',
    create: (o) => shine(o),
    evalEvery: 1,
    // measured 0.0495 at 300 steps: the bias floor of B⁻¹ without refinement
    quadratic: { budget: 300, accuracy: 0.2 },
  },
  maid: {
    name: 'maid',
    description: 'MAID: deterministic adaptively inexact descent, certified backtracking on bounds of h, ε and δ adapt (SIMODS 2025)',
    create: (o) => maid(o),
    evalEvery: 1,
    // measured 2.9e-6 at 200 steps (stops once ‖p‖ ≤ 1e-6)
    quadratic: { budget: 200, accuracy: 1e-5 },
  },
  isgd: {
    name: 'isgd',
    description: 'ISGD: inexact minibatch SGD/Adam on h, lower level to ε_k, CG to δ_k, decreasing tolerances (SSVM 2025)',
    create: (o) => isgd(o),
    evalEvery: 10,
    // measured 0.125 at 5000 steps with the decreasing steps α₀ (k+1)^−0.6
    quadratic: { budget: 5000, accuracy: 0.2 },
  },
  f2sa: {
    name: 'f2sa',
    description: 'F2SA: fully first-order penalty method, no Hessian products, λ increasing (ICML 2023)',
    create: (o) => f2sa(o),
    evalEvery: 10,
    // measured 0.465 at 5000 steps with steps 0.1 (λ ∝ k^{1/7}: the bias O(1/λ) decays slowly)
    quadratic: { budget: 5000, accuracy: 0.7, options: { innerStep: 0.1, outerStep: 0.1 } },
  },
  'sl-bamm': {
    name: 'sl-bamm',
    description: 'sl-BAMM: single loop on the averaged lower level μ_k F + (1−μ_k) G, for merely convex lower levels (2023)',
    create: (o) => slBamm(o),
    // measured 0.914 at 5000 steps: the O(μ_k) bias of the averaged problem decays slowly (μ_k = 0.9 (k+1)^−1/10)
    quadratic: { budget: 5000, accuracy: 0.95 },
  },
  esj: {
    name: 'esj',
    description: 'ESJ (PZOBO): Hessian-free, Jacobian of the T-step GD map from Gaussian finite differences, full batch (2022)',
    create: (o) => esj(o),
    evalEvery: 10,
    // measured 0.154 at 1000 steps with step 1 and T = 20 (the default T-step map sees 10% of the slow directions)
    quadratic: { budget: 1000, accuracy: 0.2, options: { innerStep: 1, innerIterations: 20 } },
  },
  'esj-s': {
    name: 'esj-s',
    description: 'ESJ-S (PZOBO-S): ESJ with SGD inner runs sharing start point and minibatches (2022)',
    create: (o) => esjS(o),
    evalEvery: 10,
    // measured 0.857 at 1000 steps: the minibatch step must stay near 1/L_max, so the T-step map is short
    quadratic: { budget: 1000, accuracy: 0.9 },
  },
  bome: {
    name: 'bome',
    description: 'BOME: first-order value-function method, dynamic barrier λ from T inner GD steps, full batch (NeurIPS 2022)',
    create: (o) => bome(o),
    evalEvery: 10,
    // measured 0.054 at 2000 steps: with fixed steps λ grows until ξ_z·λ·L ≈ 2 and z settles in a 2-cycle, an O(ξ) floor;
    // the benchmark's tied steps (0.1, T = 10) stall at 0.90, where that cycle sets in before x moves
    quadratic: { budget: 2000, accuracy: 0.1, options: { innerStep: 1, innerIters: 30, zStep: 0.02, outerStep: 0.05 } },
  },
  mrbo: {
    name: 'mrbo',
    description: 'MRBO: STORM momentum on z and on a Neumann-series hypergradient, steps ∝ t^−1/3 (NeurIPS 2021)',
    create: (o) => mrbo(o),
    // measured 0.026 at 5000 steps with η = 1, N = 30 (the series bias 0.9^31 ≈ 0.04 sets the floor; with the
    // default η = 0.1, N = 10 the series holds 10% of v* and the run stalls at 0.85)
    quadratic: { budget: 5000, accuracy: 0.06, options: { neumannStep: 1, neumannTerms: 30 } },
  },
  vrbo: {
    name: 'vrbo',
    description: 'VRBO: SARAH recursions on z and on a Neumann-series hypergradient, full-batch refresh every q outer steps, m inner steps per outer step (NeurIPS 2021)',
    create: (o) => vrbo(o),
    evalEvery: 10,
    // measured 0.021 at 500 outer steps (5000 inner) with η = 1, N = 30, q = 10: linear convergence to the series bias;
    // the benchmark's q (128·(n+m)/b outer steps) never refreshes here and stops at 0.20
    quadratic: { budget: 500, accuracy: 0.05, options: { neumannStep: 1, neumannTerms: 30, period: 10 } },
  },
  fsla: {
    name: 'fsla',
    description: 'FSLA: fully single loop, SGD on z and v, STORM momentum on x, steps ∝ t^−1/2 (AAAI 2022)',
    create: (o) => fsla(o),
    // measured 0.40 at 5000 steps: decreasing steps, no variance reduction on z and v
    quadratic: { budget: 5000, accuracy: 0.6 },
  },
  sustain: {
    name: 'sustain',
    description: 'SUSTAIN: double momentum (STORM on z and x) with a randomly truncated Hessian-inverse product (NeurIPS 2021)',
    create: (o) => sustain(o),
    // measured 0.10 at 5000 steps with η = 1, N = 30: the random truncation's variance (factor N) costs against MRBO
    quadratic: { budget: 5000, accuracy: 0.2, options: { neumannStep: 1, neumannTerms: 30 } },
  },
  ttsa: {
    name: 'ttsa',
    description: 'TTSA: two time scales (z steps ∝ t^−2/5, x steps ∝ t^−3/5), randomly truncated Hessian-inverse product (SIAM J. Optim. 2023)',
    create: (o) => ttsa(o),
    // measured 0.18 at 5000 steps with η = 1, N = 30 (0.71 with the default η = 0.1, N = 10)
    quadratic: { budget: 5000, accuracy: 0.3, options: { neumannStep: 1, neumannTerms: 30 } },
  },
  bsa: {
    name: 'bsa',
    description: 'BSA: T SGD steps on z, randomly truncated Hessian-inverse product, x step, steps ∝ k^−1/2 (Ghadimi & Wang 2018)',
    create: (o) => bsa(o),
    evalEvery: 10,
    // measured 0.087 at 5000 steps with η = 1, N = 30 (0.82 with the default η = 0.1, N = 10)
    quadratic: { budget: 5000, accuracy: 0.15, options: { neumannStep: 1, neumannTerms: 30 } },
  },
  'dp-cd': {
    name: 'dp-cd',
    description: 'DP-CD: differentially private proximal coordinate descent on z (per-coordinate clipping and steps), SABA on v and x (ICML 2022)',
    create: (o) => dpCd(o),
    // privacy off (ε = ∞, no clipping): the mechanics converge, measured 5e-11 at 2000 steps
    quadratic: { budget: 2000, accuracy: 1e-9, options: { epsilon: Infinity, clip: Infinity } },
  },
  'noisy-sgd': {
    name: 'noisy-sgd',
    description: 'Noisy SGD on z with Langevin Rényi-DP accounting (bounded privacy loss), SABA on v and x (2022)',
    create: (o) => noisySgd(o),
    // noise and clipping off: constant-step SGD on z plateaus, measured 0.10–0.12 at 5000 steps
    quadratic: { budget: 5000, accuracy: 0.3, options: { sigma: 1e-9, clip: 1e9 } },
  },
  'ma-soba': {
    name: 'ma-soba',
    description: 'MA-SOBA: SOBA with a moving average of the outer direction, constant steps (Chen, Xiao, Balasubramanian 2023)',
    create: (o) => maSoba(o),
    // measured 0.120 at 5000 steps (SOBA 0.25): constant steps, no variance reduction, a smaller noise floor
    quadratic: { budget: 5000, accuracy: 0.3 },
  },
  spaba: {
    name: 'spaba',
    description: 'SPABA: PAGE directions (full-batch refresh with probability p = b/(b+N)), constant steps (ICML 2024)',
    create: (o) => spaba(o),
    // measured 6.7e-15 at 5000 steps: variance reduced, linear convergence with constant steps
    quadratic: { budget: 5000, accuracy: 1e-8 },
  },
  'bo-rep': {
    name: 'bo-rep',
    description: 'BO-REP: normalized-momentum outer steps, periodic lower-level updates with refinement (ICLR 2024)',
    create: (o) => boRep(o),
    // measured 0.284 at 5000 steps: normalized steps of length 0.05 keep x in an O(η) neighbourhood of x*
    quadratic: { budget: 5000, accuracy: 0.5 },
  },
  f2ba: {
    name: 'f2ba',
    description: 'F2BA: fully first-order penalty method with a fixed λ and two time scales, full batches (Chen, Ma, Zhang 2023)',
    create: (o) => f2ba(o),
    evalEvery: 10,
    // measured 0.034 at 1000 steps: the O(1/λ) bias of the fixed penalty λ = 100
    quadratic: { budget: 1000, accuracy: 0.1 },
  },
  'random-search': {
    name: 'random-search',
    description: 'Random search over x in a box (default [−5, 5]^d), one exact evaluation of h per step (black-box baseline)',
    create: (o) => randomSearch(o),
    evalEvery: 1,
    // box [−1, 1]^5 around x* (|x*| = 0.59): measured 0.68 after 2000 evaluations; in [−5, 5]^5 no candidate of 300 beat x₀ = 0
    quadratic: { budget: 2000, accuracy: 0.9, options: { low: -1, high: 1 } },
  },
  tpe: {
    name: 'tpe',
    description: 'TPE: Parzen-estimator search over x (γ = 0.25, 10 startup draws), one exact evaluation of h per step (black-box baseline)',
    create: (o) => tpe(o),
    evalEvery: 1,
    // box [−1, 1]^5: measured 0.456 after 200 evaluations (random search: 1.12 after 200)
    quadratic: { budget: 200, accuracy: 0.7, options: { low: -1, high: 1 } },
  },
};

/** The standalone (non-bilevel) solvers, listed so that `--solver NAME` knows them. */
export const STANDALONE: Readonly<Record<string, SolverEntry>> = {
  'fractional-cd': {
    name: 'fractional-cd',
    description: 'Fractional coordinate descent for min (f + ρ‖z‖₁)/g, exact 1-D steps by breakpoint search (ICML 2023); with --problem fractional',
    bilevel: false,
    create: () => {
      throw new RangeError('fractional-cd is not a bilevel solver: call fractionalCd(problem, options) on a FractionalProblem');
    },
  },
};

/** The solver registered under `name`, built with `options`; unknown names are a RangeError listing the known ones. */
export function createSolver(name: string, options: Record<string, unknown> = {}): Solver {
  const entry = SOLVERS[name];
  if (!entry) throw new RangeError(`createSolver: unknown solver "${name}"; expected one of ${Object.keys(SOLVERS).join(', ')}`);
  return entry.create(options);
}
