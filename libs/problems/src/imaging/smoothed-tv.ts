import { InputError } from '@bilevel/io';
import type { PatchRegularizer, Regularizer } from './regularizer';

/** Options of {@link smoothedTv}. */
export interface SmoothedTvOptions {
  /** Starting θ = (θ₀, θ₁). Default (−5, −5) (the MAID paper). */
  readonly start?: readonly [number, number];
}

/** ‖D‖² ≤ 8 for forward differences in two directions (each 1-D difference has norm ≤ 2). */
const D_NORM_SQUARED = 8;

/**
 * Smoothed (isotropic) total variation with two parameters θ = (θ₀, θ₁) (the MAID paper's regularizer):
 *
 *   R_θ(z) = ½ e^{θ₀} Σ_p φ_p,   φ_p = √(|D_p z|² + ν²),   ν = e^{θ₁},
 *
 * D_p z = (z[r, c+1] − z[r, c], z[r+1, c] − z[r, c]) forward differences, zero across the last column / row
 * (Neumann boundary). With c = ½e^{θ₀}, u = D_p z, w = D_p v (all sums over pixels p):
 *   ∇_z R = c Σ D_pᵀ(u/φ),   ∇²_zz R·v = c Σ D_pᵀ(w/φ − u (u·w)/φ³),
 *   ∂_θ₀⟨∇_z R, v⟩ = c Σ (u·w)/φ,   ∂_θ₁⟨∇_z R, v⟩ = −c ν² Σ (u·w)/φ³,
 *   ∂_θ₀ R = c Σ φ,   ∂_θ₁ R = c ν² Σ 1/φ.
 * Curvature: ‖∇²R‖ ≤ c‖D‖²/ν ≤ 8c/ν (the Hessian of √(|u|² + ν²) is at most 1/ν).
 *
 * @example smoothedTv().initialTheta() // Float64Array [−5, −5]
 */
export function smoothedTv(options: SmoothedTvOptions = {}): Regularizer {
  const start = options.start ?? [-5, -5];
  if (start.length !== 2 || !start.every((s) => Number.isFinite(s))) {
    throw new InputError(`start must be two finite numbers (θ₀, θ₁), received ${JSON.stringify(start)}`, 'smoothedTv');
  }
  const curvatureBound = (theta: Float64Array) => (0.5 * Math.exp(theta[0]) * D_NORM_SQUARED) / Math.exp(theta[1]);
  return {
    name: 'tv',
    dimTheta: 2,
    initialTheta: () => Float64Array.from(start),
    curvatureBound,
    bind: (width, height) => boundTv(width, height, curvatureBound),
    info: { regularizer: 'smoothed total variation ½e^θ₀ Σ √(|Dz|² + e^{2θ₁})', parameters: 2 },
  };
}

function boundTv(width: number, height: number, curvature: (theta: Float64Array) => number): PatchRegularizer {
  const w = width;
  const h = height;
  return {
    width,
    height,
    curvature,
    value(theta, z, zo) {
      const nu2 = Math.exp(2 * theta[1]);
      let sum = 0;
      for (let r = 0; r < h; r++) {
        const row = zo + r * w;
        for (let col = 0; col < w; col++) {
          const p = row + col;
          const dx = col < w - 1 ? z[p + 1] - z[p] : 0;
          const dy = r < h - 1 ? z[p + w] - z[p] : 0;
          sum += Math.sqrt(dx * dx + dy * dy + nu2);
        }
      }
      return 0.5 * Math.exp(theta[0]) * sum;
    },
    grad(theta, z, zo, out, oo, scale) {
      const a = scale * 0.5 * Math.exp(theta[0]);
      const nu2 = Math.exp(2 * theta[1]);
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const p = zo + r * w + col;
          const o = oo + r * w + col;
          const dx = col < w - 1 ? z[p + 1] - z[p] : 0;
          const dy = r < h - 1 ? z[p + w] - z[p] : 0;
          const inv = a / Math.sqrt(dx * dx + dy * dy + nu2);
          const qx = dx * inv;
          const qy = dy * inv;
          if (col < w - 1) out[o + 1] += qx;
          if (r < h - 1) out[o + w] += qy;
          out[o] -= qx + qy;
        }
      }
    },
    hvp(theta, z, zo, v, vo, out, oo, scale) {
      const a = scale * 0.5 * Math.exp(theta[0]);
      const nu2 = Math.exp(2 * theta[1]);
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const k = r * w + col;
          const p = zo + k;
          const q = vo + k;
          const o = oo + k;
          const right = col < w - 1;
          const down = r < h - 1;
          const dx = right ? z[p + 1] - z[p] : 0;
          const dy = down ? z[p + w] - z[p] : 0;
          const wx = right ? v[q + 1] - v[q] : 0;
          const wy = down ? v[q + w] - v[q] : 0;
          const phi2 = dx * dx + dy * dy + nu2;
          const inv = 1 / Math.sqrt(phi2);
          const uw = (dx * wx + dy * wy) / phi2;
          const ix = a * inv * (wx - dx * uw);
          const iy = a * inv * (wy - dy * uw);
          if (right) out[o + 1] += ix;
          if (down) out[o + w] += iy;
          out[o] -= ix + iy;
        }
      }
    },
    cross(theta, z, zo, v, vo, out, scale) {
      const a = scale * 0.5 * Math.exp(theta[0]);
      const nu2 = Math.exp(2 * theta[1]);
      let s0 = 0;
      let s1 = 0;
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const k = r * w + col;
          const p = zo + k;
          const q = vo + k;
          const right = col < w - 1;
          const down = r < h - 1;
          const dx = right ? z[p + 1] - z[p] : 0;
          const dy = down ? z[p + w] - z[p] : 0;
          const wx = right ? v[q + 1] - v[q] : 0;
          const wy = down ? v[q + w] - v[q] : 0;
          const phi2 = dx * dx + dy * dy + nu2;
          const inv = 1 / Math.sqrt(phi2);
          const uw = (dx * wx + dy * wy) * inv;
          s0 += uw;
          s1 += uw / phi2;
        }
      }
      out[0] += a * s0;
      out[1] -= a * nu2 * s1;
    },
    gradTheta(theta, z, zo, out, scale) {
      const a = scale * 0.5 * Math.exp(theta[0]);
      const nu2 = Math.exp(2 * theta[1]);
      let s0 = 0;
      let s1 = 0;
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const p = zo + r * w + col;
          const dx = col < w - 1 ? z[p + 1] - z[p] : 0;
          const dy = r < h - 1 ? z[p + w] - z[p] : 0;
          const phi = Math.sqrt(dx * dx + dy * dy + nu2);
          s0 += phi;
          s1 += 1 / phi;
        }
      }
      out[0] += a * s0;
      out[1] += a * nu2 * s1;
    },
  };
}
