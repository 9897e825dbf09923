// What `bilevel --help`, `--version` and the option checks need from the solver registry, the problems and the
// logger, as plain data: the help and the choices of every option, loaded without the libraries (rxjs, zod, pino,
// the solvers, the problems, tfjs), which the commands import when they run. cli-catalog.spec.ts checks every entry
// against the registry or constant it copies, so that a solver, part or default added there fails the spec until
// it is listed here.

/** A registered solver as `--help` shows it. */
export interface SolverHelp {
  readonly name: string;
  readonly description: string;
}

/** The bilevel solvers (`SOLVERS` of @bilevel/solvers), in registry order. */
export const SOLVER_HELP: readonly SolverHelp[] = [
  { name: 'soba', description: 'SOBA: single-loop SGD on z, v, x with decreasing steps (NeurIPS 2022)' },
  { name: 'saba', description: 'SABA: SOBA with SAGA memories on all five quantities, constant steps (NeurIPS 2022)' },
  { name: 'srba', description: 'SRBA: SARAH recursive directions, full-batch refresh every ⌊½(n+m)/b⌋ steps, constant steps (AISTATS 2024)' },
  { name: 'amigo', description: 'AmIGO: T warm-started SGD steps on z, K on v, then the outer step (ICLR 2022)' },
  { name: 'stocbio', description: 'StocBiO: T warm SGD steps on z, v from a stochastic truncated Neumann series (ICML 2021)' },
  { name: 'implicit-diff', description: 'Implicit differentiation: full-batch inner solve, warm-started CG on Hv = −∇_zF, gradient step on h' },
  { name: 'shine', description: 'SHINE: L-BFGS inner solve whose inverse-Hessian estimate gives v with no HVP; optional OPA and CG refinement (ICLR 2022)' },
  { name: 'maid', description: 'MAID: deterministic adaptively inexact descent, certified backtracking on bounds of h, ε and δ adapt (SIMODS 2025)' },
  { name: 'isgd', description: 'ISGD: inexact minibatch SGD/Adam on h, lower level to ε_k, CG to δ_k, decreasing tolerances (SSVM 2025)' },
  { name: 'f2sa', description: 'F2SA: fully first-order penalty method, no Hessian products, λ increasing (ICML 2023)' },
  { name: 'sl-bamm', description: 'sl-BAMM: single loop on the averaged lower level μ_k F + (1−μ_k) G, for merely convex lower levels (2023)' },
  { name: 'esj', description: 'ESJ (PZOBO): Hessian-free, Jacobian of the T-step GD map from Gaussian finite differences, full batch (2022)' },
  { name: 'esj-s', description: 'ESJ-S (PZOBO-S): ESJ with SGD inner runs sharing start point and minibatches (2022)' },
  { name: 'bome', description: 'BOME: first-order value-function method, dynamic barrier λ from T inner GD steps, full batch (NeurIPS 2022)' },
  { name: 'mrbo', description: 'MRBO: STORM momentum on z and on a Neumann-series hypergradient, steps ∝ t^−1/3 (NeurIPS 2021)' },
  { name: 'vrbo', description: 'VRBO: SARAH recursions on z and on a Neumann-series hypergradient, full-batch refresh every q outer steps, m inner steps per outer step (NeurIPS 2021)' },
  { name: 'fsla', description: 'FSLA: fully single loop, SGD on z and v, STORM momentum on x, steps ∝ t^−1/2 (AAAI 2022)' },
  { name: 'sustain', description: 'SUSTAIN: double momentum (STORM on z and x) with a randomly truncated Hessian-inverse product (NeurIPS 2021)' },
  { name: 'ttsa', description: 'TTSA: two time scales (z steps ∝ t^−2/5, x steps ∝ t^−3/5), randomly truncated Hessian-inverse product (SIAM J. Optim. 2023)' },
  { name: 'bsa', description: 'BSA: T SGD steps on z, randomly truncated Hessian-inverse product, x step, steps ∝ k^−1/2 (Ghadimi & Wang 2018)' },
  { name: 'dp-cd', description: 'DP-CD: differentially private proximal coordinate descent on z (per-coordinate clipping and steps), SABA on v and x (ICML 2022)' },
  { name: 'noisy-sgd', description: 'Noisy SGD on z with Langevin Rényi-DP accounting (bounded privacy loss), SABA on v and x (2022)' },
  { name: 'ma-soba', description: 'MA-SOBA: SOBA with a moving average of the outer direction, constant steps (Chen, Xiao, Balasubramanian 2023)' },
  { name: 'spaba', description: 'SPABA: PAGE directions (full-batch refresh with probability p = b/(b+N)), constant steps (ICML 2024)' },
  { name: 'bo-rep', description: 'BO-REP: normalized-momentum outer steps, periodic lower-level updates with refinement (ICLR 2024)' },
  { name: 'f2ba', description: 'F2BA: fully first-order penalty method with a fixed λ and two time scales, full batches (Chen, Ma, Zhang 2023)' },
  { name: 'random-search', description: 'Random search over x in a box (default [−5, 5]^d), one exact evaluation of h per step (black-box baseline)' },
  { name: 'tpe', description: 'TPE: Parzen-estimator search over x (γ = 0.25, 10 startup draws), one exact evaluation of h per step (black-box baseline)' },
];

/** The standalone solvers (`STANDALONE` of @bilevel/solvers: not bilevel, their own problem). */
export const STANDALONE_HELP: readonly SolverHelp[] = [
  { name: 'fractional-cd', description: 'Fractional coordinate descent for min (f + ρ‖z‖₁)/g, exact 1-D steps by breakpoint search (ICML 2023); with --problem fractional' },
];

/** The meta-learning solvers (`META_SOLVERS` of @bilevel/solvers) of `--problem fewshot|sinusoid`. */
export const META_SOLVER_HELP: readonly SolverHelp[] = [
  { name: 'imaml', description: 'iMAML: per-task proximal adaptation, CG on (I + H/λ)g = ∇L_query with HVPs, Adam on θ (NeurIPS 2019)' },
  { name: 'fomaml', description: 'first-order MAML: the query gradient at the adapted weights, no Hessian (ICML 2017)' },
  { name: 'reptile', description: 'Reptile: θ pulled towards the mean adapted weights, θ − φ̄ through Adam (2018)' },
  { name: 'esj-s', description: 'ESJ-S: Hessian-free, the Jacobian dφ/dθ from Gaussian finite differences of the adaptation (NeurIPS 2022)' },
];

/** The direction estimators (`ESTIMATORS` of @bilevel/solvers' parts). */
export const ESTIMATOR_NAMES = ['sgd', 'saga', 'sarah', 'storm', 'ai-sarah'] as const;

/** The step rules (`STEP_RULES` of @bilevel/solvers' parts). */
export const STEP_RULE_NAMES = ['constant', 'power', 'ai-sarah', 'rkc'] as const;

/** The backward passes of a deep equilibrium run (`DEQ_BACKWARDS` of @bilevel/solvers). */
export const DEQ_BACKWARD_NAMES = ['exact', 'shine', 'shine-opa', 'jfb'] as const;

/** The problems `buildProblem` builds (`PROBLEMS` of build-problem.ts). */
export const PROBLEM_NAMES = ['logreg-hpo', 'multiclass-hpo', 'datacleaning', 'denoise', 'deblur', 'quadratic', 'deq'] as const;

/** The meta-learning problems (`META_PROBLEMS` of meta/meta-setup.ts). */
export const META_PROBLEM_NAMES = ['fewshot', 'sinusoid'] as const;

/** pino's levels (`LOG_LEVELS` of @bilevel/telemetry). */
export const LOG_LEVEL_NAMES = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Data cleaning's C of C‖z‖² (`DATA_CLEANING_DEFAULT_C` of @bilevel/problems). */
export const DATA_CLEANING_C = 0.01;

/** Default outer iterations of `bilevel run` (`DEFAULT_MAX_ITER` of problem-defaults.ts). */
export const RUN_MAX_ITER = 50_000;

/** Default seconds of solver time between checkpoints (`DEFAULT_CHECKPOINT_SECONDS` of run-command.ts). */
export const CHECKPOINT_SECONDS = 60;

/** The monitors that watch a run unless told otherwise (`DEFAULT_RUN_MONITORS` of run-monitors.ts). */
export const RUN_MONITORS = 'finiteness,theorem';

/** Largest grid `bilevel sweep` expands by default (`DEFAULT_MAX_RUNS` of sweep/sweep-engine.ts). */
export const SWEEP_MAX_RUNS = 100_000;

/** Largest maxIter a queue worker runs by default (`MAX_RUN_ITER` of bench/grid-spec.ts). */
export const WORKER_MAX_RUN_ITER = 1_000_000_000;
