import type { Rng } from '@bilevel/linalg';
import type { DenseLayer } from '@bilevel/verify';

/** Options of {@link BarrierMlp}. */
export interface BarrierMlpOptions {
  /** Hidden layer widths (tanh units). Default [16, 16]. */
  readonly hidden?: readonly number[];
}

/**
 * A scalar float64 MLP barrier B_ψ : Rⁿˣ → R with tanh hidden layers and a linear output:
 *
 *   z₀ = x,  a_l = W_l z_l + b_l,  z_{l+1} = tanh(a_l) (l < L),  B = W_L z_L + b_L.
 *
 * ψ is one Float64Array, layer by layer, W_l (row-major, out × in) then b_l (the layout of MlpPolicy). Reverse mode
 * gives ∂B/∂ψ and ∂B/∂x from one sweep: g_L = W_Lᵀ, δ_l = g_{l+1} ⊙ (1 − z²_{l+1}), g_l = W_lᵀ δ_l,
 * ∂B/∂W_l = δ_l z_lᵀ, ∂B/∂x = g₀. The mixed term the unrolled upper level needs, D_ψ(∇ₓB)[v] = d/dε ∇ₓB_{ψ+εv}(x),
 * is forward mode over that sweep: ȧ_l = V_l z_l + W_l ż_l + v_{b,l}, ż_{l+1} = (1 − z²_{l+1}) ȧ_l,
 * δ̇_l = ġ_{l+1} ⊙ (1 − z²) − 2 g_{l+1} ⊙ z ⊙ ż, ġ_l = V_lᵀ δ_l + W_lᵀ δ̇_l.
 * Float64 by hand on purpose: tfjs is float32 and its second derivatives of tanh are unreliable (methods.md).
 * The forward cache is scratch owned by the instance: `backward` reads the last `forward`; not re-entrant.
 *
 * @example
 * const b = new BarrierMlp(2, { hidden: [16, 16] });
 * const psi = b.init(Rng.fromSeed(0));
 * const v = b.forward(psi, [0.5, -1]);
 */
export class BarrierMlp {
  readonly nPsi: number;
  readonly sizes: readonly number[];
  private readonly wOff: number[] = [];
  private readonly bOff: number[] = [];
  private readonly zs: Float64Array[];
  private readonly gs: Float64Array[];

  constructor(
    readonly nx: number,
    options: BarrierMlpOptions = {},
  ) {
    if (!Number.isInteger(nx) || nx < 1) throw new RangeError(`BarrierMlp: nx must be an integer ≥ 1, received ${nx}`);
    const hidden = options.hidden ?? [16, 16];
    if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw new RangeError(`BarrierMlp: options.hidden must be a non-empty list of integers ≥ 1, received [${String(hidden)}]`);
    }
    this.sizes = [nx, ...hidden, 1];
    let off = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      this.wOff.push(off);
      off += this.sizes[l] * this.sizes[l + 1];
      this.bOff.push(off);
      off += this.sizes[l + 1];
    }
    this.nPsi = off;
    this.zs = this.sizes.map((s) => new Float64Array(s));
    this.gs = this.sizes.map((s) => new Float64Array(s));
  }

  /** Glorot-uniform weights and zero biases from a seeded generator. */
  init(rng: Rng): Float64Array {
    const psi = new Float64Array(this.nPsi);
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const lim = Math.sqrt(6 / (this.sizes[l] + this.sizes[l + 1]));
      for (let k = 0; k < this.sizes[l] * this.sizes[l + 1]; k++) psi[this.wOff[l] + k] = (2 * rng.float() - 1) * lim;
    }
    return psi;
  }

  /** B_ψ(x); caches the activations for {@link BarrierMlp.backward}. */
  forward(psi: Float64Array, x: ArrayLike<number>): number {
    const L = this.sizes.length - 1;
    const z0 = this.zs[0];
    for (let i = 0; i < this.nx; i++) z0[i] = x[i];
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const w = this.wOff[l];
      const b = this.bOff[l];
      const zin = this.zs[l];
      const zout = this.zs[l + 1];
      for (let o = 0; o < nout; o++) {
        let s = psi[b + o];
        const row = w + o * nin;
        for (let i = 0; i < nin; i++) s += psi[row + i] * zin[i];
        zout[o] = l < L - 1 ? Math.tanh(s) : s;
      }
    }
    return this.zs[L][0];
  }

  /**
   * After `forward(psi, x)`: gpsi += seed · ∂B/∂ψ (skipped when null) and gx ← seed · ∂B/∂x (skipped when null).
   */
  backward(psi: Float64Array, seed: number, gpsi: Float64Array | null, gx: Float64Array | null): void {
    const L = this.sizes.length - 1;
    this.gs[L][0] = seed;
    for (let l = L - 1; l >= 0; l--) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const w = this.wOff[l];
      const b = this.bOff[l];
      const zin = this.zs[l];
      const gout = this.gs[l + 1];
      const gin = this.gs[l];
      // gout holds δ_l (∂/∂a_l): for the output layer it is the seed itself.
      if (l < L - 1) {
        const z = this.zs[l + 1];
        for (let o = 0; o < nout; o++) gout[o] *= 1 - z[o] * z[o];
      }
      if (l > 0 || gx !== null) gin.fill(0);
      for (let o = 0; o < nout; o++) {
        const d = gout[o];
        if (d === 0) continue;
        const row = w + o * nin;
        if (gpsi !== null) {
          gpsi[b + o] += d;
          for (let i = 0; i < nin; i++) gpsi[row + i] += d * zin[i];
        }
        if (l > 0 || gx !== null) for (let i = 0; i < nin; i++) gin[i] += psi[row + i] * d;
      }
    }
    if (gx !== null) for (let i = 0; i < this.nx; i++) gx[i] = this.gs[0][i];
  }

  /** ∂B/∂x at x into gx; returns B(x). */
  gradX(psi: Float64Array, x: ArrayLike<number>, gx: Float64Array): number {
    const v = this.forward(psi, x);
    this.backward(psi, 1, null, gx);
    return v;
  }

  /**
   * gx ← ∇ₓB_ψ(x) and dgx ← D_ψ(∇ₓB_ψ(x))[v] = d/dε ∇ₓB_{ψ+εv}(x) (the mixed second derivative along a
   * parameter direction v); returns B(x). Allocates its tangents (not on the lower level's hot path).
   */
  mixedX(psi: Float64Array, x: ArrayLike<number>, v: Float64Array, gx: Float64Array, dgx: Float64Array): number {
    const L = this.sizes.length - 1;
    const value = this.forward(psi, x);
    const dz = this.sizes.map((s) => new Float64Array(s));
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const w = this.wOff[l];
      const b = this.bOff[l];
      for (let o = 0; o < nout; o++) {
        const row = w + o * nin;
        let s = v[b + o];
        for (let i = 0; i < nin; i++) s += v[row + i] * this.zs[l][i] + psi[row + i] * dz[l][i];
        dz[l + 1][o] = l < L - 1 ? (1 - this.zs[l + 1][o] ** 2) * s : s;
      }
    }
    let g = Float64Array.of(1);
    let dg = Float64Array.of(0);
    for (let l = L - 1; l >= 0; l--) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const w = this.wOff[l];
      const delta = new Float64Array(nout);
      const ddelta = new Float64Array(nout);
      for (let o = 0; o < nout; o++) {
        if (l < L - 1) {
          const z = this.zs[l + 1][o];
          delta[o] = g[o] * (1 - z * z);
          ddelta[o] = dg[o] * (1 - z * z) - 2 * g[o] * z * dz[l + 1][o];
        } else {
          delta[o] = g[o];
          ddelta[o] = dg[o];
        }
      }
      const gin = new Float64Array(nin);
      const dgin = new Float64Array(nin);
      for (let o = 0; o < nout; o++) {
        const row = w + o * nin;
        for (let i = 0; i < nin; i++) {
          gin[i] += psi[row + i] * delta[o];
          dgin[i] += v[row + i] * delta[o] + psi[row + i] * ddelta[o];
        }
      }
      g = gin;
      dg = dgin;
    }
    gx.set(g);
    dgx.set(dg);
    return value;
  }

  /** The network as dense layers for the verifier's graph (`mlp` of @bilevel/verify). */
  layers(psi: Float64Array): DenseLayer[] {
    const L = this.sizes.length - 1;
    return Array.from({ length: L }, (_, l) => ({
      weights: psi.slice(this.wOff[l], this.wOff[l] + this.sizes[l] * this.sizes[l + 1]),
      bias: psi.slice(this.bOff[l], this.bOff[l] + this.sizes[l + 1]),
      activation: l < L - 1 ? ('tanh' as const) : ('none' as const),
    }));
  }
}
