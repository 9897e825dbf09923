import type { BilevelProblem, Hypergradient, InnerSolution, InnerSolveOptions, QuadraticProblem } from '@bilevel/problems';

/**
 * Test fixture: a problem written the way a user writes a class, with `#private` fields and getters for the
 * contract's dimensions. Every member reads a private field, so a wrapper that calls a method or a getter with
 * another `this` (e.g. an `Object.create` child) throws "Cannot read private member". The numbers are those of the
 * quadratic it holds, so a run on it must give the quadratic's trajectory to the bit.
 */
export class PrivateFieldsProblem implements BilevelProblem {
  readonly #q: QuadraticProblem;
  #evaluations = 0;

  constructor(q: QuadraticProblem) {
    this.#q = q;
  }

  get name(): string {
    return `${this.#q.name}-private-fields`;
  }
  get dimZ(): number {
    return this.#q.dimZ;
  }
  get dimX(): number {
    return this.#q.dimX;
  }
  get nInner(): number {
    return this.#q.nInner;
  }
  get nOuter(): number {
    return this.#q.nOuter;
  }
  get precision(): 'float64' {
    return 'float64';
  }
  get fullInner(): Int32Array {
    return this.#q.fullInner;
  }
  get fullOuter(): Int32Array {
    return this.#q.fullOuter;
  }
  /** Exact evaluations done so far (solveInner and hypergradient). */
  get evaluations(): number {
    return this.#evaluations;
  }

  innerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    return this.#q.innerValue(z, x, batch);
  }
  outerValue(z: Float64Array, x: Float64Array, batch: Int32Array): number {
    return this.#q.outerValue(z, x, batch);
  }
  innerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.innerGradZ(z, x, batch, out);
  }
  innerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.innerHvp(z, x, v, batch, out);
  }
  innerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.innerCross(z, x, v, batch, out);
  }
  outerGradZ(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.outerGradZ(z, x, batch, out);
  }
  outerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.outerGradX(z, x, batch, out);
  }
  innerGradX(z: Float64Array, x: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.innerGradX(z, x, batch, out);
  }
  outerHvp(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.outerHvp(z, x, v, batch, out);
  }
  outerCross(z: Float64Array, x: Float64Array, v: Float64Array, batch: Int32Array, out: Float64Array): void {
    this.#q.outerCross(z, x, v, batch, out);
  }
  solveInner(x: Float64Array, options?: InnerSolveOptions): InnerSolution {
    this.#evaluations++;
    return this.#q.solveInner(x, options);
  }
  hypergradient(x: Float64Array, options?: InnerSolveOptions): Hypergradient {
    this.#evaluations++;
    return this.#q.hypergradient(x, options);
  }
  innerConstants(): { L: number; mu: number; LMaxSample: number } {
    return this.#q.innerConstants();
  }
}
