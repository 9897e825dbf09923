/**
 * The LP solver that {@link CertificateLp} and `verifyLyapunovDsos` are given: the part of the HiGHS runtime
 * (`await (await import('highs')).default()`, highs on npm) they call, typed here so that this library's declarations
 * name no type of HiGHS (whose own declarations need the WebAssembly types of the DOM library, which a Node project
 * does not load). HiGHS's runtime is one (lp-solver.spec.ts checks it, by assignment and by a solve); so is any
 * object with these methods.
 *
 * - `solve(text, options)`: a one-shot solve of a model in CPLEX LP format (HiGHS's `LegacyHighs.solve`).
 * - `createModel(data)`, optional: a persistent model given as arrays, re-solved from a basis (warm starts).
 *
 * @example
 * const highs = await (await import('highs')).default();
 * const lp = new CertificateLp(PJ, policy, highs); // highs is an LpSolver
 */
export interface LpSolver {
  solve(problem: string, options?: LpSolveOptions): LpTextSolution;
  createModel?(data: LpModelData): LpModel;
}

/** The options CertificateLp gives a one-shot solve (HiGHS option names and values). */
export interface LpSolveOptions {
  readonly presolve?: 'off' | 'choose' | 'on';
  readonly solver?: 'choose' | 'simplex' | 'ipm';
}

/** The result of a one-shot solve, as HiGHS reports it (column results by name, row results in order). */
export interface LpTextSolution {
  /** HiGHS's model status: 'Optimal' when a solution was established. */
  readonly Status: string;
  readonly ObjectiveValue: number;
  /** Each column's result by name: its value (`Primal`) when a solution was established. */
  readonly Columns: Readonly<Record<string, LpResult>>;
  /** Each row's result in model order: its dual value (`Dual`) when the model is linear and solved. */
  readonly Rows: readonly LpResult[];
}

/** One column's or row's result of a one-shot solve. */
export interface LpResult {
  /** Position in the model. */
  readonly Index: number;
  readonly Primal?: number;
  readonly Dual?: number;
}

/** A linear program as arrays: min/max colCost·x, colLower ≤ x ≤ colUpper, rowLower ≤ A x ≤ rowUpper (A in CSR). */
export interface LpModelData {
  readonly numCols: number;
  readonly numRows: number;
  readonly colCost: Float64Array;
  readonly colLower: Float64Array;
  readonly colUpper: Float64Array;
  readonly rowLower: Float64Array;
  readonly rowUpper: Float64Array;
  readonly matrix: {
    readonly format: 'csr';
    readonly numRows: number;
    readonly numCols: number;
    readonly starts: Int32Array;
    readonly indices: Int32Array;
    readonly values: Float64Array;
  };
}

/** The status of every column and row in a simplex basis (HiGHS's codes: 0 lower, 1 basic, 2 upper, 3 zero, 4 nonbasic). */
export interface LpBasis {
  readonly colStatus: Int32Array;
  readonly rowStatus: Int32Array;
}

/** A persistent model: options, a starting basis, a run, its basis, solution and objective; disposed by its owner. */
export interface LpModel {
  readonly options: { set(values: Readonly<Record<string, boolean | number | string>>): unknown };
  setBasis(basis: LpBasis): unknown;
  /** Solves; `modelStatus` 7 is optimal (HiGHS's kOptimal). */
  run(): { readonly modelStatus: number };
  getBasis(): LpBasis;
  getSolution(): { readonly colValue: Float64Array; readonly rowDual: Float64Array };
  getObjectiveValue(): number;
  dispose(): void;
}
