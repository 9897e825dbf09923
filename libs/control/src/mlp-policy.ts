import type { Policy } from './policy';
import type { Rng } from '@bilevel/linalg';

/** Options of {@link MlpPolicy}. */
export interface MlpPolicyOptions {
  /** Hidden layer widths. Default [16, 16]. */
  readonly hidden?: readonly number[];
  /** Hidden activation. Default 'tanh'. */
  readonly activation?: 'tanh' | 'relu';
  /** Output scale s: u = s · tanh(z_out) when `squash`, else u = z_out. Default: no squashing. */
  readonly squash?: number;
}

/**
 * A small float64 multilayer perceptron policy: z₀ = x, z_{l+1} = σ(W_l z_l + b_l) on hidden layers,
 * u = W_L z_L + b_L (or s·tanh of it when `squash = s`), σ = tanh or relu. All weights live in one Float64Array θ,
 * layer by layer, W_l (row-major, out × in) then b_l. Jacobians by reverse mode, one backward sweep per output:
 * δ_L = e_a (times s(1 − tanh²) when squashed), δ_l = σ'(a_l) ⊙ W_lᵀ δ_{l+1}; ∂u_a/∂W_l = δ_{l+1} z_lᵀ,
 * ∂u_a/∂x = W_0ᵀ δ_1. The flat layout is meant to be exported to the verifier's graph.
 *
 * @example
 * const pi = new MlpPolicy(4, 1, { hidden: [16] });
 * const theta = pi.init(Rng.fromSeed(0));
 */
export class MlpPolicy implements Policy {
  readonly nTheta: number;
  readonly sizes: readonly number[];
  readonly activation: 'tanh' | 'relu';
  readonly squash: number | null;
  /** Offsets of W_l and b_l in θ. */
  private readonly offsets: { w: number; b: number }[] = [];

  constructor(
    readonly nx: number,
    readonly nu: number,
    options: MlpPolicyOptions = {},
  ) {
    const hidden = options.hidden ?? [16, 16];
    if (hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw new RangeError(`MlpPolicy: options.hidden must be integers ≥ 1, received [${hidden.join(', ')}]`);
    }
    this.activation = options.activation ?? 'tanh';
    if (this.activation !== 'tanh' && this.activation !== 'relu') {
      throw new RangeError(`MlpPolicy: options.activation must be 'tanh' or 'relu', received '${String(this.activation)}'`);
    }
    this.squash = options.squash ?? null;
    if (this.squash !== null && !(this.squash > 0)) throw new RangeError(`MlpPolicy: options.squash must be > 0, received ${this.squash}`);
    this.sizes = [nx, ...hidden, nu];
    let off = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const w = off;
      off += this.sizes[l] * this.sizes[l + 1];
      this.offsets.push({ w, b: off });
      off += this.sizes[l + 1];
    }
    this.nTheta = off;
  }

  /** Glorot-uniform weights, zero biases, from a seeded generator. */
  init(rng: Rng): Float64Array {
    const theta = new Float64Array(this.nTheta);
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const fanIn = this.sizes[l];
      const fanOut = this.sizes[l + 1];
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      const { w } = this.offsets[l];
      for (let k = 0; k < fanIn * fanOut; k++) theta[w + k] = (2 * rng.float() - 1) * lim;
    }
    return theta;
  }

  act(theta: Float64Array, x: ArrayLike<number>, u: Float64Array): void {
    const { zs } = this.forward(theta, x);
    u.set(zs[zs.length - 1]);
  }

  jacobians(theta: Float64Array, x: ArrayLike<number>, u: Float64Array, dudx: Float64Array, dudtheta: Float64Array): void {
    const { zs, pre } = this.forward(theta, x);
    const L = this.sizes.length - 1;
    u.set(zs[L]);
    dudtheta.fill(0);
    for (let a = 0; a < this.nu; a++) {
      let delta = new Float64Array(this.nu);
      delta[a] = this.squash === null ? 1 : this.squash * (1 - Math.tanh(pre[L - 1][a]) ** 2);
      for (let l = L - 1; l >= 0; l--) {
        const nin = this.sizes[l];
        const nout = this.sizes[l + 1];
        const { w, b } = this.offsets[l];
        const zin = zs[l];
        const row = a * this.nTheta;
        for (let o = 0; o < nout; o++) {
          const d = delta[o];
          if (d === 0) continue;
          dudtheta[row + b + o] = d;
          for (let i = 0; i < nin; i++) dudtheta[row + w + o * nin + i] = d * zin[i];
        }
        const back = new Float64Array(nin);
        for (let o = 0; o < nout; o++) {
          const d = delta[o];
          if (d === 0) continue;
          for (let i = 0; i < nin; i++) back[i] += theta[w + o * nin + i] * d;
        }
        if (l > 0) {
          const p = pre[l - 1];
          for (let i = 0; i < nin; i++) back[i] *= this.activation === 'tanh' ? 1 - Math.tanh(p[i]) ** 2 : p[i] > 0 ? 1 : 0;
        }
        delta = back;
      }
      for (let i = 0; i < this.nx; i++) dudx[a * this.nx + i] = delta[i];
    }
  }

  private forward(theta: Float64Array, x: ArrayLike<number>): { zs: Float64Array[]; pre: Float64Array[] } {
    const zs: Float64Array[] = [Float64Array.from(x as ArrayLike<number>)];
    const pre: Float64Array[] = [];
    const L = this.sizes.length - 1;
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const { w, b } = this.offsets[l];
      const a = new Float64Array(nout);
      const z = zs[l];
      for (let o = 0; o < nout; o++) {
        let s = theta[b + o];
        for (let i = 0; i < nin; i++) s += theta[w + o * nin + i] * z[i];
        a[o] = s;
      }
      pre.push(a);
      const out = new Float64Array(nout);
      for (let o = 0; o < nout; o++) {
        if (l < L - 1) out[o] = this.activation === 'tanh' ? Math.tanh(a[o]) : Math.max(0, a[o]);
        else out[o] = this.squash === null ? a[o] : this.squash * Math.tanh(a[o]);
      }
      zs.push(out);
    }
    return { zs, pre };
  }
}
