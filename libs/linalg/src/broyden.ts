import type { BatchMap, FixedPointResult, FixedPointSolveOptions } from './fixed-point-batch';
import { checkBatchArray, checkBatchDims, resolveFixedPointOptions, rowNorm2, SampleTracker } from './fixed-point-batch';

/**
 * The inverse-Jacobian approximations of a batch, H_b = I + Σ_i u_{b,i} v_{b,i}ᵀ (at most `memory` terms per sample),
 * as plain data: what a forward Broyden solve hands to a SHINE backward pass. `U` and `V` are [batch, memory, dim]
 * row-major; sample b uses its first `count[b]` terms (the order of the terms does not matter: H_b is their sum).
 */
export interface BroydenInverse {
  readonly batch: number;
  readonly dim: number;
  readonly memory: number;
  readonly count: Int32Array;
  readonly U: Float64Array;
  readonly V: Float64Array;
}

/**
 * out_b ← H_b x_b for every sample b (or H_bᵀ x_b with `transpose`), H_b = I + Σ_i u_i v_iᵀ:
 * H x = x + Σ_i u_i (v_iᵀx) and Hᵀx = x + Σ_i v_i (u_iᵀx). `out` may not alias `x`. O(B·k·d) for k terms a sample.
 *
 * @example applyBroydenInverse(forward.inverse(), gradZ, u, true) // u_b = H_bᵀ∇_{z_b}L, SHINE's backward direction
 */
export function applyBroydenInverse(inv: BroydenInverse, x: Float64Array, out: Float64Array, transpose = false): Float64Array {
  const n = inv.batch * inv.dim;
  checkBatchArray('applyBroydenInverse', 'x', x, n);
  checkBatchArray('applyBroydenInverse', 'out', out, n);
  for (let b = 0; b < inv.batch; b++) applyRow(inv, b, x, out, transpose);
  return out;
}

/** out_b ← H_b x_b (or H_bᵀ x_b) for one sample (rows at b·dim in both arrays). */
function applyRow(inv: BroydenInverse, b: number, x: Float64Array, out: Float64Array, transpose: boolean): void {
  const { dim: d, memory: m } = inv;
  const o = b * d;
  const [left, right] = transpose ? [inv.V, inv.U] : [inv.U, inv.V];
  for (let j = 0; j < d; j++) out[o + j] = x[o + j];
  const k = inv.count[b];
  for (let i = 0; i < k; i++) {
    const t = (b * m + i) * d;
    let c = 0;
    for (let j = 0; j < d; j++) c += right[t + j] * x[o + j];
    if (c !== 0) for (let j = 0; j < d; j++) out[o + j] += c * left[t + j];
  }
}

/** Options of {@link BatchedBroyden}, with their defaults. */
export interface BroydenOptions {
  /** Terms u vᵀ kept per sample; when full, a new one replaces the oldest (the limited-memory variant of Bai et al.'s DEQ code). Default 30. */
  readonly memory?: number;
}

/**
 * Broyden's method ("good" Broyden, Broyden, Math. Comp. 1965) for B independent fixed points z_b = f_b(z_b) of a
 * batched map, with a limited-memory inverse per sample kept as low-rank factors, so it can be applied to vectors
 * and, transposed, handed to a backward pass (SHINE: Ramzi, Mannel, Bai, Starck, Ciuciu, Moreau, ICLR 2022). On the
 * residual g(z) = z − f(z), whose Jacobian is I − ∂f/∂z, each active sample b takes
 *
 *   z_b ← z_b + Δz_b,  Δz_b = −H_b g_b,     (H_b ≈ (I − ∂f_b/∂z)⁻¹, H_b = I at the start: the first step is z ← f(z))
 *   Δg_b = g_b(z⁺) − g_b(z),   H_b ← H_b + (Δz_b − H_bΔg_b)(Δz_bᵀH_b) / (Δz_bᵀH_bΔg_b),
 *
 * the Sherman–Morrison form of B⁺ = B + (Δg − BΔz)Δzᵀ/ΔzᵀΔz, stored as u = (Δz − HΔg)/(ΔzᵀHΔg), v = HᵀΔz (an update
 * whose denominator vanishes, |vᵀΔg| ≤ 1e-12·‖v‖‖Δg‖, is skipped and counted). All samples move in lockstep (one map
 * call an iteration); a sample stops on its own test (see {@link FixedPointSolveOptions}) and is frozen. No line
 * search (as in the DEQ codes).
 *
 * {@link BatchedBroyden.adjointUpdate} adds the adjoint-Broyden rank-one term of SHINE's outer-problem awareness (OPA).
 * State: every buffer is owned by the instance and updated in place by `solve` (its factors are H after the last
 * solve until the next one; {@link BatchedBroyden.inverse} copies them).
 *
 * @example
 * const qn = new BatchedBroyden(B, d, { memory: 30 });
 * const res = qn.solve((z, out) => layer(z, out), z, { tol: 1e-6, maxIter: 30 });
 * qn.apply(gradZ, u, true); // u_b = H_bᵀ∇_{z_b}L ≈ (I − ∂f/∂z)⁻ᵀ∇L
 */
export class BatchedBroyden {
  readonly batch: number;
  readonly dim: number;
  readonly memory: number;
  /** Terms stored per sample, and the slot the next term replaces once full. */
  readonly count: Int32Array;
  readonly next: Int32Array;
  readonly U: Float64Array;
  readonly V: Float64Array;
  /** Updates stored and skipped (vanishing denominator) since construction. */
  updates = 0;
  skipped = 0;
  private readonly f: Float64Array;
  private readonly g: Float64Array;
  private readonly dz: Float64Array;
  private readonly hdg: Float64Array;
  private readonly row: Float64Array;
  private readonly row2: Float64Array;

  constructor(batch: number, dim: number, options: BroydenOptions = {}) {
    const fn = 'BatchedBroyden';
    checkBatchDims(fn, batch, dim);
    const memory = options.memory ?? 30;
    if (!(Number.isInteger(memory) && memory >= 1)) throw new RangeError(`${fn}: options.memory must be a positive integer, received ${String(memory)}`);
    this.batch = batch;
    this.dim = dim;
    this.memory = memory;
    this.count = new Int32Array(batch);
    this.next = new Int32Array(batch);
    this.U = new Float64Array(batch * memory * dim);
    this.V = new Float64Array(batch * memory * dim);
    const n = batch * dim;
    this.f = new Float64Array(n);
    this.g = new Float64Array(n);
    this.dz = new Float64Array(n);
    this.hdg = new Float64Array(n);
    this.row = new Float64Array(n);
    this.row2 = new Float64Array(n);
  }

  /** Forgets every term: H_b = I. */
  reset(): void {
    this.count.fill(0);
    this.next.fill(0);
  }

  /** The current inverses as a {@link BroydenInverse} copy (only the stored terms are copied). */
  inverse(): BroydenInverse {
    let k = 0;
    for (let b = 0; b < this.batch; b++) k = Math.max(k, this.count[b]);
    const memory = Math.max(k, 1);
    const d = this.dim;
    const U = new Float64Array(this.batch * memory * d);
    const V = new Float64Array(this.batch * memory * d);
    for (let b = 0; b < this.batch; b++) {
      const len = this.count[b] * d;
      U.set(this.U.subarray(b * this.memory * d, b * this.memory * d + len), b * memory * d);
      V.set(this.V.subarray(b * this.memory * d, b * this.memory * d + len), b * memory * d);
    }
    return { batch: this.batch, dim: d, memory, count: Int32Array.from(this.count), U, V };
  }

  /** out_b ← H_b x_b (H_bᵀ x_b with `transpose`) for every sample; `out` may not alias `x`. */
  apply(x: Float64Array, out: Float64Array, transpose = false): Float64Array {
    return applyBroydenInverse(this, x, out, transpose);
  }

  /** Stores the term u vᵀ of sample b (rows at b·dim of `u` and `v`, `scale` applied to u). */
  private push(b: number, u: Float64Array, uScale: number, v: Float64Array): void {
    const d = this.dim;
    const m = this.memory;
    let slot: number;
    if (this.count[b] < m) slot = this.count[b]++;
    else {
      slot = this.next[b];
      this.next[b] = (slot + 1) % m;
    }
    const t = (b * m + slot) * d;
    const o = b * d;
    for (let j = 0; j < d; j++) {
      this.U[t + j] = uScale * u[o + j];
      this.V[t + j] = v[o + j];
    }
    this.updates++;
  }

  /**
   * Solves z_b = f_b(z_b) for every sample from the z given (updated in place; frozen samples keep their last
   * iterate), starting from H_b = I (the previous terms are forgotten). Returns what was reached per sample.
   * `afterIteration`, when given, is called at the end of every iteration with its number (1, 2, …), the iterate
   * and which samples are still active: the place for extra updates of the inverse (SHINE's OPA, by
   * {@link BatchedBroyden.adjointUpdate}).
   */
  solve(map: BatchMap, z: Float64Array, options: FixedPointSolveOptions = {}, afterIteration?: (iteration: number, z: Float64Array, active: Uint8Array) => void): FixedPointResult {
    const fn = 'BatchedBroyden.solve';
    const opts = resolveFixedPointOptions(fn, options);
    if (typeof map !== 'function') throw new TypeError(`${fn}: map must be a function (z, out) => void, received ${typeof map}`);
    const d = this.dim;
    checkBatchArray(fn, 'z', z, this.batch * d);
    this.reset();
    const { f, g, dz, hdg, row } = this;
    const track = new SampleTracker(this.batch, opts);
    map(z, f);
    let evaluations = 1;
    for (let b = 0; b < this.batch; b++) {
      const o = b * d;
      for (let j = o; j < o + d; j++) g[j] = z[j] - f[j];
      track.check(b, Math.sqrt(rowNorm2(g, o, d)), Math.sqrt(rowNorm2(f, o, d)), 0);
    }
    let it = 0;
    while (it < opts.maxIter && track.anyActive()) {
      it++;
      // Δz_b = −H_b g_b, z_b += Δz_b
      for (let b = 0; b < this.batch; b++) {
        if (!track.active[b]) continue;
        applyRow(this, b, g, dz, false);
        const o = b * d;
        for (let j = o; j < o + d; j++) {
          dz[j] = -dz[j];
          z[j] += dz[j];
        }
      }
      map(z, f);
      evaluations++;
      for (let b = 0; b < this.batch; b++) {
        if (!track.active[b]) continue;
        const o = b * d;
        // Δg = g(z⁺) − g(z) into row; g ← g(z⁺)
        for (let j = o; j < o + d; j++) {
          const gj = z[j] - f[j];
          row[j] = gj - g[j];
          g[j] = gj;
        }
        if (!track.check(b, Math.sqrt(rowNorm2(g, o, d)), Math.sqrt(rowNorm2(f, o, d)), it)) continue;
        this.secantUpdate(b, dz, row, hdg);
      }
      afterIteration?.(it, z, track.active);
    }
    return track.result(it, evaluations);
  }

  /** The good-Broyden term of sample b from Δz (rows of `dz`) and Δg (rows of `dg`); `hdg` is scratch. */
  private secantUpdate(b: number, dz: Float64Array, dg: Float64Array, hdg: Float64Array): void {
    const d = this.dim;
    const o = b * d;
    const v = this.row2;
    applyRow(this, b, dg, hdg, false);
    applyRow(this, b, dz, v, true);
    let den = 0;
    for (let j = o; j < o + d; j++) den += v[j] * dg[j];
    const scale = Math.sqrt(rowNorm2(v, o, d) * rowNorm2(dg, o, d));
    if (!(Math.abs(den) > 1e-12 * scale) || !Number.isFinite(den)) {
      this.skipped++;
      return;
    }
    for (let j = o; j < o + d; j++) hdg[j] = dz[j] - hdg[j];
    this.push(b, hdg, 1 / den, v);
  }

  /**
   * SHINE's outer-problem-aware (OPA) term, an adjoint-Broyden update (Schlenkrich, Griewank, Walther, "On the
   * local convergence of adjoint Broyden methods", Math. Program. 2010; the residual form "C" used by Ramzi et al.):
   * for each sample with σ_b ≠ 0, given w_b = (I − ∂f_b/∂z)ᵀσ_b (one vector-Jacobian product), H_b becomes
   *
   *   H_b + (H_bσ_b)(σ_b − H_bᵀw_b)ᵀ / ((H_bᵀw_b)ᵀσ_b),
   *
   * the inverse of B⁺ = B + σσᵀ(J_g − B)/σᵀσ, so that H_b⁺ᵀw_b = σ_b: the adjoint system is solved exactly along σ.
   * With σ_b the current estimate H_bᵀ∇_{z_b}L, H⁺ᵀ is accurate in the direction the backward pass needs. Returns
   * the number of samples updated (a vanishing denominator skips a sample).
   */
  adjointUpdate(sigma: Float64Array, w: Float64Array): number {
    const fn = 'BatchedBroyden.adjointUpdate';
    const d = this.dim;
    checkBatchArray(fn, 'sigma', sigma, this.batch * d);
    checkBatchArray(fn, 'w', w, this.batch * d);
    const a = this.hdg;
    const bw = this.row;
    let n = 0;
    for (let b = 0; b < this.batch; b++) {
      const o = b * d;
      if (rowNorm2(sigma, o, d) === 0) continue;
      applyRow(this, b, sigma, a, false);
      applyRow(this, b, w, bw, true);
      let den = 0;
      for (let j = o; j < o + d; j++) den += bw[j] * sigma[j];
      const scale = Math.sqrt(rowNorm2(bw, o, d) * rowNorm2(sigma, o, d));
      if (!(Math.abs(den) > 1e-12 * scale) || !Number.isFinite(den)) {
        this.skipped++;
        continue;
      }
      for (let j = o; j < o + d; j++) bw[j] = sigma[j] - bw[j];
      this.push(b, a, 1 / den, bw);
      n++;
    }
    return n;
  }
}
