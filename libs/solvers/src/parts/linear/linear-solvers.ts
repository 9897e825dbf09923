import type { Precond } from '@bilevel/linalg';
import { bicgstabSolver } from './bicgstab-solver';
import { cgSolver } from './cg-solver';
import { gmresSolver } from './gmres-solver';
import type { LinearSolver } from './linear-solver';
import { neumannSolver } from './neumann-solver';
import { normalCgSolver } from './normal-cg-solver';
import { richardsonSolver } from './richardson-solver';

/** The linear solvers available by name. */
export type LinearSolverName = 'cg' | 'normal-cg' | 'gmres' | 'bicgstab' | 'neumann' | 'richardson';

/**
 * One settings object for every named solver, so that a bilevel solver maps its own tolerances once: each method
 * reads the fields that mean something to it and refuses the others (a `restart` for CG is a mistake, not a no-op).
 */
export interface LinearSolverSpec {
  /** Krylov methods: relative residual tolerance; Neumann: early stop (default 0, the fixed-length series). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Krylov methods: iteration cap; Neumann: N, the number of products (terms); Richardson: K, the steps. */
  readonly maxIter?: number;
  /** λ: solve (A + λI)x = b (all but Richardson). */
  readonly ridge?: number;
  /** M⁻¹ (all but Richardson). */
  readonly precond?: Precond;
  /** Stall test of the Krylov methods. */
  readonly stallWindow?: number;
  readonly stallFactor?: number;
  /** GMRES: the Krylov dimension between restarts. */
  readonly restart?: number;
  /** Neumann: η, the series step; Richardson: β, the step. */
  readonly eta?: number;
}

/** A registered linear solver: what it is for and how to build it from a {@link LinearSolverSpec}. */
export interface LinearSolverEntry {
  readonly name: LinearSolverName;
  readonly description: string;
  /** The systems it is for: `spd` (symmetric positive definite) or `general` (any nonsingular square matrix). */
  readonly systems: 'spd' | 'general';
  /** Whether it needs one fixed operator (the Krylov methods) or accepts a fresh minibatch operator per product. */
  readonly fixedOperator: boolean;
  readonly create: (spec?: LinearSolverSpec) => LinearSolver;
}

const KRYLOV_FIELDS = ['rtol', 'atol', 'maxIter', 'ridge', 'precond', 'stallWindow', 'stallFactor'] as const;

function only(name: string, spec: LinearSolverSpec, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    if ((spec as Record<string, unknown>)[key] === undefined) continue;
    if (!allowed.includes(key)) throw new RangeError(`createLinearSolver: option "${key}" does not apply to ${name}; it takes ${allowed.join(', ')}`);
  }
}

function pick(spec: LinearSolverSpec, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if ((spec as Record<string, unknown>)[key] !== undefined) out[key] = (spec as Record<string, unknown>)[key];
  return out;
}

/**
 * Every linear solver by name, for the linear-system streams of the bilevel solvers (implicit-diff, SHINE's
 * refinement, MAID, ISGD, StocBiO) and for {@link implicitVjp}. The L-BFGS pairs of a forward solve are not a named
 * solver here: they exist only where a quasi-Newton inner stream publishes them (SHINE uses them directly, and
 * `implicitVjp` takes them as `solver: 'lbfgs-pairs'` with the pairs).
 */
export const LINEAR_SOLVERS: Readonly<Record<LinearSolverName, LinearSolverEntry>> = {
  cg: {
    name: 'cg',
    description: 'conjugate gradient (SPD systems; optional preconditioner)',
    systems: 'spd',
    fixedOperator: true,
    create: (spec = {}) => {
      only('cg', spec, KRYLOV_FIELDS);
      return cgSolver(pick(spec, KRYLOV_FIELDS));
    },
  },
  'normal-cg': {
    name: 'normal-cg',
    description: 'CG on the normal equations (any square system; κ², two products per step)',
    systems: 'general',
    fixedOperator: true,
    create: (spec = {}) => {
      only('normal-cg', spec, KRYLOV_FIELDS);
      return normalCgSolver(pick(spec, KRYLOV_FIELDS));
    },
  },
  gmres: {
    name: 'gmres',
    description: 'restarted GMRES(m) (any square system; monotone residual)',
    systems: 'general',
    fixedOperator: true,
    create: (spec = {}) => {
      only('gmres', spec, [...KRYLOV_FIELDS, 'restart']);
      return gmresSolver(pick(spec, [...KRYLOV_FIELDS, 'restart']));
    },
  },
  bicgstab: {
    name: 'bicgstab',
    description: 'BiCGSTAB (non-symmetric systems; short recurrences, may break down)',
    systems: 'general',
    fixedOperator: true,
    create: (spec = {}) => {
      only('bicgstab', spec, KRYLOV_FIELDS);
      return bicgstabSolver(pick(spec, KRYLOV_FIELDS));
    },
  },
  neumann: {
    name: 'neumann',
    description: 'truncated Neumann series η Σ (I − ηA)^q (SPD, η ≤ 1/L; unbiased with independent minibatch Hessians)',
    systems: 'spd',
    fixedOperator: false,
    create: (spec = {}) => {
      only('neumann', spec, ['rtol', 'atol', 'maxIter', 'ridge', 'precond', 'eta']);
      return neumannSolver({ ...pick(spec, ['rtol', 'atol', 'ridge', 'precond', 'eta']), ...(spec.maxIter !== undefined ? { terms: spec.maxIter } : {}) });
    },
  },
  richardson: {
    name: 'richardson',
    description: 'Richardson iteration x ← x − β(Ax − b), i.e. gradient descent on the quadratic (SPD, β < 2/L)',
    systems: 'spd',
    fixedOperator: false,
    create: (spec = {}) => {
      only('richardson', spec, ['maxIter', 'eta']);
      return richardsonSolver({ ...(spec.maxIter !== undefined ? { steps: spec.maxIter } : {}), ...(spec.eta !== undefined ? { step: spec.eta } : {}) });
    },
  },
};

/** Whether `name` is a registered linear solver. */
export function isLinearSolverName(name: unknown): name is LinearSolverName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(LINEAR_SOLVERS, name);
}

/** The linear solver registered under `name`, built from `spec`; an unknown name is a RangeError listing the known ones. */
export function createLinearSolver(name: string, spec: LinearSolverSpec = {}): LinearSolver {
  if (!isLinearSolverName(name)) throw new RangeError(`createLinearSolver: unknown linear solver "${name}"; expected one of ${Object.keys(LINEAR_SOLVERS).join(', ')}`);
  return LINEAR_SOLVERS[name].create(spec);
}
