/**
 * The step a part applies to its stream's variable w along its direction d, machine-readable, as the part declares
 * it. Monitors and the property kit read this, never a solver's name or its `options`:
 *
 *   constant   w ← w − value·d
 *   power      w ← w − base·(t+1)^−exponent·d          (t: the stream's own step count)
 *   adaptive   a step the rule chooses at run time from what it measures (e.g. `ai-sarah`): no bound to check
 *   other      any other update (a multi-stage scheme such as `rkc`, an exact or quasi-Newton solve …)
 *
 * @example { kind: 'constant', value: 0.1 }   { kind: 'power', base: 0.1, exponent: 0.4 }   { kind: 'adaptive', rule: 'ai-sarah' }
 */
export type StepSize =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'power'; readonly base: number; readonly exponent: number }
  | { readonly kind: 'adaptive'; readonly rule: string }
  | { readonly kind: 'other'; readonly rule: string };

/**
 * How a loop method's linear-system part solves H·v = −∇_z F:
 *
 *   neumann      v = −η Σ_{q≤N} (I − ηH)^q b, a truncated series with step η (converges for η ≤ 1/L)
 *   richardson   gradient steps v ← v − η (Hv + b) on ½vᵀHv + bᵀv (contract for η ≤ 1/L)
 *   krylov       a Krylov method by name (`cg` needs H positive definite; `normal-cg`, `gmres`, `bicgstab` do not)
 *   exact        a direct solve
 */
export type LinearSolverDescription =
  | { readonly kind: 'neumann' | 'richardson'; readonly step: number; readonly iterations?: number }
  | { readonly kind: 'krylov'; readonly method: 'cg' | 'normal-cg' | 'gmres' | 'bicgstab' }
  | { readonly kind: 'exact' };

/**
 * What a {@link StreamPart} declares about its update, for the runtime monitors and the property kit: its direction
 * estimator (`sgd`, `saga`, `sarah`, `storm`, `ai-sarah`, `full-batch` …), its minibatch size, the step it applies
 * to its variable, and, for a linear-system part that solves rather than steps, its linear solver. A field the part
 * leaves out is unknown to them: a check that needs it reports "not checked".
 */
export interface PartDescription {
  readonly estimator?: string;
  /** Minibatch size of the part's oracles (absent: full batch or not applicable). */
  readonly batchSize?: number;
  readonly step?: StepSize;
  readonly linearSolver?: LinearSolverDescription;
}

/** Two descriptions are of the same update (same estimator, batch size, step and linear solver). */
export function sameDescription(a: PartDescription | undefined, b: PartDescription | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(d: PartDescription): unknown {
  const sorted = (o: object): unknown => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, typeof v === 'object' && v !== null ? sorted(v as object) : v]));
  return sorted(d);
}

/** A short text for messages, e.g. `saga, constant step 0.1` or `no step declared`. */
export function describeStep(d: PartDescription | undefined): string {
  if (!d) return 'the part declares nothing about its step';
  const s = d.step;
  const step = !s
    ? d.linearSolver
      ? `linear solver ${d.linearSolver.kind === 'krylov' ? d.linearSolver.method : d.linearSolver.kind}`
      : 'no step declared'
    : s.kind === 'constant'
      ? `constant step ${s.value}`
      : s.kind === 'power'
        ? `step ${s.base}·(t+1)^−${s.exponent}`
        : `${s.kind} step rule ${s.rule}`;
  return d.estimator ? `${d.estimator}, ${step}` : step;
}

/** The description of a named linear solver (`exact` for a direct solve); `step` and `iterations` for the stepped ones. */
export function linearSolverDescription(name: 'exact' | 'cg' | 'normal-cg' | 'gmres' | 'bicgstab' | 'neumann' | 'richardson', step: number, iterations?: number): LinearSolverDescription {
  if (name === 'exact') return { kind: 'exact' };
  if (name === 'neumann' || name === 'richardson') return { kind: name, step, ...(iterations !== undefined ? { iterations } : {}) };
  return { kind: 'krylov', method: name };
}
