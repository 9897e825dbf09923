import type { BilevelProblem } from '@bilevel/problems';
import type { Solver, StreamName } from '@bilevel/solvers';
import type { Variable } from './schedule';
import type { StateTree } from './state-capture';
import { UNDEFINED, captureState } from './state-capture';

/** Format version of {@link RunState}; a resumed run refuses any other. */
export const RUN_STATE_VERSION = 1;

/**
 * Everything a run needs to continue to the bit: where it is (ticks, steps of each stream, the latest version of
 * each variable with what its step published), the parts' states (samplers and their generators, SAGA/SARAH
 * memories, step-rule state, scratch) and oracle counts, and the solver time spent. Captured at a tick boundary
 * that is also a period boundary of the schedule, where every stream's next step reads only the latest versions.
 * Plain data (numbers, strings, typed arrays), so it encodes as a checkpoint file.
 */
export interface RunState {
  readonly version: number;
  /** What the state belongs to; a resume with anything else is refused. */
  readonly identity: RunIdentity;
  readonly tick: number;
  readonly solverSeconds: number;
  readonly steps: Readonly<Record<StreamName, number>>;
  readonly versions: Readonly<Record<Variable, { readonly k: number; readonly value: Float64Array; readonly aux: StateTree }>>;
  readonly parts: StateTree;
}

/** The problem, solver and seed a state belongs to. */
export interface RunIdentity {
  readonly problem: string;
  readonly dimZ: number;
  readonly dimX: number;
  readonly nInner: number;
  readonly nOuter: number;
  readonly solver: string;
  readonly solverOptions: string;
  readonly schedule: string;
  readonly seed: number;
}

/** Checkpointing of a run: when to capture and where the state goes. */
export interface CheckpointOptions {
  /** Capture when this says so; asked at period boundaries between stretches of work (and at the end). */
  due(iteration: number, solverSeconds: number): boolean;
  /** Receives each captured state (synchronously, before the run goes on). */
  save(state: RunState): void;
}

/** The identity of a run of `solver` on `problem` with this seed and schedule. */
export function runIdentity(problem: BilevelProblem, solver: Solver, seed: number, schedule: string): RunIdentity {
  return {
    problem: problem.name,
    dimZ: problem.dimZ,
    dimX: problem.dimX,
    nInner: problem.nInner,
    nOuter: problem.nOuter,
    solver: solver.name,
    solverOptions: JSON.stringify(solver.options),
    schedule,
    seed,
  };
}

/** Throws a RangeError naming every field where `state` does not belong to the run `expected`. */
export function checkResumable(fn: string, state: RunState, expected: RunIdentity): void {
  if (state.version !== RUN_STATE_VERSION) {
    throw new RangeError(`${fn}: the saved state has format version ${state.version}; this build reads version ${RUN_STATE_VERSION}`);
  }
  const diffs = (Object.keys(expected) as (keyof RunIdentity)[])
    .filter((k) => state.identity[k] !== expected[k])
    .map((k) => `${k} is ${JSON.stringify(state.identity[k])} in the saved state but ${JSON.stringify(expected[k])} here`);
  if (diffs.length) throw new RangeError(`${fn}: the saved state belongs to another run: ${diffs.join('; ')}`);
}

/** The aux a step published, captured (undefined is kept as such). */
export function captureAux(aux: unknown, external: ReadonlySet<object>, path: string): StateTree {
  return aux === undefined ? (UNDEFINED as unknown as StateTree) : captureState(aux, external, path);
}

/** The aux to publish again on resume (undefined when none). */
export function restoredAux(tree: StateTree): unknown {
  const t = tree as { $undefined?: unknown } | null;
  return t !== null && typeof t === 'object' && t.$undefined === true ? undefined : tree;
}

/**
 * The state of a run at a period boundary, from the latest version of each variable (its number, value and aux;
 * each stream has taken as many steps as its own variable has versions) and the parts' captured states.
 */
export function captureRunState(
  parts: { readonly external: ReadonlySet<object>; captureParts(): StateTree },
  identity: RunIdentity,
  tick: number,
  solverSeconds: number,
  latest: (variable: Variable) => { readonly k: number; readonly value: Float64Array; readonly aux?: unknown },
): RunState {
  const version = (w: Variable) => {
    const ver = latest(w);
    return { k: ver.k, value: Float64Array.from(ver.value), aux: captureAux(ver.aux, parts.external, `aux.${w}`) };
  };
  const versions = { z: version('z'), v: version('v'), x: version('x') };
  return {
    version: RUN_STATE_VERSION,
    identity,
    tick,
    solverSeconds,
    steps: { inner: versions.z.k, linsys: versions.v.k, outer: versions.x.k },
    versions,
    parts: parts.captureParts(),
  };
}
