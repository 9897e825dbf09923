import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;
const FWD_D1 = codes.FWD_D1;
const YDOT_LIVE = codes.YDOT_LIVE;

/**
 * Rules of the fused per-channel batch norm with its affine map (Ioffe & Szegedy, ICML 2015), one node instead of the
 * nine elementwise nodes of `batchNorm` followed by a product and a sum: for images x [N, C, H, W], over the
 * m = N·H·W entries x_i of channel c (operands x, γ [C], β [C]; c₁ = ϵ):
 *   μ = mean x,  r = (mean (x − μ)² + ϵ)^{−1/2},  x̂ = (x − μ)·r,  y = γ_c·x̂ + β_c.
 * With J the symmetric Jacobian of x ↦ x̂, J g = r·(g − mean g − x̂·mean(x̂g)), and per channel a = mean(x̂ẋ):
 *   ẏ = γ·x̂̇ + γ̇·x̂ + β̇,   x̂̇ = J ẋ = r·(ẋ − mean ẋ − x̂·a)
 *   x̄ += J(γȳ),   γ̄ += Σ ȳx̂,   β̄ += Σ ȳ
 *   x̄̇ += J(γ̇ȳ + γȳ̇) + J̇(γȳ),   J̇g = −r·a·(Jg) − r·(x̂̇·mean(x̂g) + x̂·mean(x̂̇g))   (ṙ = −r·a·r)
 *   γ̄̇ += Σ (ȳ̇x̂ + ȳx̂̇),   β̄̇ += Σ ȳ̇.
 * The forward sweep caches x̂ (`d1`) and r per channel (`d2`); the reverse rules recompute a and x̂̇ from ẋ. `ip` =
 * [C, H·W, N of a fixed x (0 for a batched one: the replay's batch)].
 */

/** Entries per channel plane, channels, images of the current replay. */
function dims(y: TapeNode): [number, number, number] {
  const C = y.ip[0];
  const P = y.ip[1];
  const N = y.batched ? y.ctx.size : y.ip[2];
  return [C, P, N];
}

export function batchNormForward(y: TapeNode, mode: number, tanMask: number): void {
  const [C, P, N] = dims(y);
  const x = y.a.val;
  const g = y.b.val;
  const bt = y.c.val;
  const xh = y.d1;
  const r = y.d2;
  const m = N * P;
  const stride = C * P;
  if ((mode & (FWD_VALUE | FWD_D1)) !== 0) {
    const eps = y.c1;
    const value = (mode & FWD_VALUE) !== 0;
    const out = y.val;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0, o = c * P; n < N; n++, o += stride) for (let p = 0; p < P; p++) s += x[o + p];
      const mu = s / m;
      let v = 0;
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          const d = x[o + p] - mu;
          v += d * d;
        }
      }
      const rc = 1 / Math.sqrt(v / m + eps);
      r[c] = rc;
      const gc = g[c];
      const bc = bt[c];
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          const h = (x[o + p] - mu) * rc;
          xh[o + p] = h;
          if (value) out[o + p] = gc * h + bc;
        }
      }
    }
  }
  if (tanMask === 0) return;
  const dx = y.a.dot;
  const dg = y.b.dot;
  const db = y.c.dot;
  const yd = y.dot;
  const xLive = (tanMask & 1) !== 0;
  const gLive = (tanMask & 2) !== 0;
  const bLive = (tanMask & 4) !== 0;
  for (let c = 0; c < C; c++) {
    let mdx = 0;
    let a = 0;
    if (xLive) {
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          mdx += dx[o + p];
          a += xh[o + p] * dx[o + p];
        }
      }
      mdx /= m;
      a /= m;
    }
    const k = xLive ? g[c] * r[c] : 0;
    const gd = gLive ? dg[c] : 0;
    const bd = bLive ? db[c] : 0;
    for (let n = 0, o = c * P; n < N; n++, o += stride) {
      for (let p = 0; p < P; p++) {
        const i = o + p;
        const h = xh[i];
        yd[i] = (xLive ? k * (dx[i] - mdx - h * a) : 0) + gd * h + bd;
      }
    }
  }
}

export function batchNormReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const [C, P, N] = dims(y);
  const m = N * P;
  const stride = C * P;
  const xh = y.d1;
  const r = y.d2;
  const g = y.b.val;
  const yb = y.bar;
  if (barMask !== 0) {
    const xb = y.a.bar;
    const gb = y.b.bar;
    const bb = y.c.bar;
    for (let c = 0; c < C; c++) {
      let sy = 0;
      let sxy = 0;
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          sy += yb[o + p];
          sxy += xh[o + p] * yb[o + p];
        }
      }
      if ((barMask & 2) !== 0) gb[c] = (barSet & 2) !== 0 ? sxy : gb[c] + sxy;
      if ((barMask & 4) !== 0) bb[c] = (barSet & 4) !== 0 ? sy : bb[c] + sy;
      if ((barMask & 1) !== 0) {
        // J(γȳ) = γr(ȳ − mean ȳ − x̂·mean(x̂ȳ))
        const k = g[c] * r[c];
        const my = sy / m;
        const mxy = sxy / m;
        const set = (barSet & 1) !== 0;
        for (let n = 0, o = c * P; n < N; n++, o += stride) {
          for (let p = 0; p < P; p++) {
            const i = o + p;
            const v = k * (yb[i] - my - xh[i] * mxy);
            xb[i] = set ? v : xb[i] + v;
          }
        }
      }
    }
  }
  if ((bdotMask & 7) === 0) return;
  const ydl = (bdotMask & YDOT_LIVE) !== 0;
  const xLive = (tanMask & 1) !== 0;
  const gLive = (tanMask & 2) !== 0;
  const ybd = y.bdot;
  const dx = y.a.dot;
  const dg = y.b.dot;
  const xbd = y.a.bdot;
  const gbd = y.b.bdot;
  const bbd = y.c.bdot;
  for (let c = 0; c < C; c++) {
    const rc = r[c];
    const gc = g[c];
    // per-channel means: of ẋ and x̂ẋ (for x̂̇), of ȳ, x̂ȳ, ȳ̇, x̂ȳ̇, and of x̂̇ȳ
    let mdx = 0;
    let a = 0;
    if (xLive) {
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          mdx += dx[o + p];
          a += xh[o + p] * dx[o + p];
        }
      }
      mdx /= m;
      a /= m;
    }
    let sy = 0;
    let sxy = 0;
    let syd = 0;
    let sxyd = 0;
    let shy = 0;
    // ȳ is read only where a second-order source makes the plan keep it (x live into x̄̇ or γ̄̇, γ live into x̄̇)
    const readBar = (xLive && (bdotMask & 3) !== 0) || (gLive && (bdotMask & 1) !== 0);
    for (let n = 0, o = c * P; n < N; n++, o += stride) {
      for (let p = 0; p < P; p++) {
        const i = o + p;
        const h = xh[i];
        if (readBar) {
          sy += yb[i];
          sxy += h * yb[i];
          if (xLive) shy += rc * (dx[i] - mdx - h * a) * yb[i];
        }
        if (ydl) {
          syd += ybd[i];
          sxyd += h * ybd[i];
        }
      }
    }
    if ((bdotMask & 4) !== 0) bbd[c] = (bdotSet & 4) !== 0 ? syd : bbd[c] + syd;
    if ((bdotMask & 2) !== 0) {
      const v = sxyd + shy;
      gbd[c] = (bdotSet & 2) !== 0 ? v : gbd[c] + v;
    }
    if ((bdotMask & 1) !== 0) {
      // ġ = γ̇ȳ + γȳ̇ (terms present as live), g = γȳ
      const cg = gLive ? dg[c] : 0;
      const cy = ydl ? gc : 0;
      const mgd = (cg * sy + cy * syd) / m;
      const mxgd = (cg * sxy + cy * sxyd) / m;
      const mg = (gc * sy) / m;
      const mxg = (gc * sxy) / m;
      // mean(x̂̇g) = γ·mean(x̂̇ȳ)
      const mhg = (gc * shy) / m;
      const set = (bdotSet & 1) !== 0;
      for (let n = 0, o = c * P; n < N; n++, o += stride) {
        for (let p = 0; p < P; p++) {
          const i = o + p;
          const h = xh[i];
          const gdi = (gLive ? cg * yb[i] : 0) + (ydl ? cy * ybd[i] : 0);
          let v = rc * (gdi - mgd - h * mxgd);
          if (xLive) {
            const hd = rc * (dx[i] - mdx - h * a);
            const jg = rc * (gc * yb[i] - mg - h * mxg);
            v += -rc * a * jg - rc * (hd * mxg + h * mhg);
          }
          xbd[i] = set ? v : xbd[i] + v;
        }
      }
    }
  }
}
