import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_D1 = codes.FWD_D1;
const FWD_VALUE = codes.FWD_VALUE;


/**
 * Rules of the stable softmax family, with the probabilities p = softmax(u) along the axis cached by the forward
 * sweep (`d1`, the operand's shape). The maximum m subtracted for stability is a constant of the derivation (y does
 * not depend on it), so these rules are exact:
 *
 *   logSumExp   y = m + log Σ_l e^{u_l − m}       ẏ = pᵀu̇       ū += p·ȳ
 *               ∇²y = diag(p) − ppᵀ:              ū̇ += p·ȳ̇ + ȳ·p ⊙ (u̇ − pᵀu̇)
 *   softmaxCrossEntropy (rows r of logits z [R, K], integer labels c_r)
 *               y_r = logSumExp(z_r) − z_{r,c_r}   ẏ_r = pᵀż_r − ż_{r,c_r}     z̄_r += ȳ_r·(p_r − e_{c_r})
 *               the same Hessian:                 z̄̇_r += ȳ̇_r·(p_r − e_{c_r}) + ȳ_r·p_r ⊙ (ż_r − p_rᵀż_r)
 *
 * logSumExp views its operand as [outer, L, inner] and reduces L (`ip` = [outer per sample (or outer), L, inner]);
 * softmaxCrossEntropy reads its labels as the float64 values of its second operand (`ip` = [K]).
 */

function outerOf(y: TapeNode): number {
  return y.batched ? y.ctx.size * y.ip[0] : y.ip[0];
}

export function lseForward(y: TapeNode, mode: number, tanMask: number): void {
  const outer = outerOf(y);
  const L = y.ip[1];
  const inner = y.ip[2];
  const u = y.a.val;
  const p = y.d1;
  const withP = (mode & FWD_D1) !== 0;
  if (withP || (mode & FWD_VALUE) !== 0) {
    const v = y.val;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * L * inner + i;
        let m = -Infinity;
        for (let l = 0; l < L; l++) {
          const t = u[base + l * inner];
          if (t > m) m = t;
        }
        if (m === -Infinity) m = 0; // every entry −∞: the sum is 0 and y = −∞
        let s = 0;
        if (withP) {
          for (let l = 0; l < L; l++) {
            const e = Math.exp(u[base + l * inner] - m);
            p[base + l * inner] = e;
            s += e;
          }
          const r = 1 / s;
          for (let l = 0; l < L; l++) p[base + l * inner] *= r;
        } else for (let l = 0; l < L; l++) s += Math.exp(u[base + l * inner] - m);
        v[o * inner + i] = m + Math.log(s);
      }
    }
  }
  if (tanMask !== 0) {
    const ud = y.a.dot;
    const yd = y.dot;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * L * inner + i;
        let t = 0;
        for (let l = 0; l < L; l++) t += p[base + l * inner] * ud[base + l * inner];
        yd[o * inner + i] = t;
      }
    }
  }
}

export function lseReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const outer = outerOf(y);
  const L = y.ip[1];
  const inner = y.ip[2];
  const p = y.d1;
  const yb = y.bar;
  // assigned: cleared first (each entry is then added to once; this rule is rare enough not to need a second loop)
  if ((barSet & 1) !== 0) y.a.bar.fill(0, 0, y.a.n);
  if ((bdotSet & 1) !== 0) y.a.bdot.fill(0, 0, y.a.n);
  if (barMask !== 0) {
    const ub = y.a.bar;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * L * inner + i;
        const g = yb[o * inner + i];
        for (let l = 0; l < L; l++) ub[base + l * inner] += p[base + l * inner] * g;
      }
    }
  }
  if ((bdotMask & 1) !== 0) {
    const ubd = y.a.bdot;
    const ybd = y.bdot;
    const ud = y.a.dot;
    const live = tanMask !== 0;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * L * inner + i;
        const g = yb[o * inner + i];
        const gd = ybd[o * inner + i];
        if (live) {
          let t = 0;
          for (let l = 0; l < L; l++) t += p[base + l * inner] * ud[base + l * inner];
          for (let l = 0; l < L; l++) {
            const j = base + l * inner;
            ubd[j] += p[j] * (gd + g * (ud[j] - t));
          }
        } else for (let l = 0; l < L; l++) ubd[base + l * inner] += p[base + l * inner] * gd;
      }
    }
  }
}

export function sceForward(y: TapeNode, mode: number, tanMask: number): void {
  const R = y.n;
  const K = y.ip[0];
  const z = y.a.val;
  const labels = y.b.val;
  const p = y.d1;
  const withP = (mode & FWD_D1) !== 0;
  if (withP || (mode & FWD_VALUE) !== 0) {
    const v = y.val;
    for (let r = 0; r < R; r++) {
      const base = r * K;
      let m = z[base];
      for (let l = 1; l < K; l++) if (z[base + l] > m) m = z[base + l];
      let s = 0;
      if (withP) {
        for (let l = 0; l < K; l++) {
          const e = Math.exp(z[base + l] - m);
          p[base + l] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let l = 0; l < K; l++) p[base + l] *= inv;
      } else for (let l = 0; l < K; l++) s += Math.exp(z[base + l] - m);
      v[r] = m + Math.log(s) - z[base + labels[r]];
    }
  }
  if (tanMask !== 0) {
    const zd = y.a.dot;
    const yd = y.dot;
    for (let r = 0; r < R; r++) {
      const base = r * K;
      let t = 0;
      for (let l = 0; l < K; l++) t += p[base + l] * zd[base + l];
      yd[r] = t - zd[base + labels[r]];
    }
  }
}

export function sceReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const R = y.n;
  const K = y.ip[0];
  const labels = y.b.val;
  const p = y.d1;
  const yb = y.bar;
  if ((barMask & 1) !== 0) {
    const zb = y.a.bar;
    const set = (barSet & 1) !== 0;
    for (let r = 0; r < R; r++) {
      const base = r * K;
      const g = yb[r];
      if (set) for (let l = 0; l < K; l++) zb[base + l] = g * p[base + l];
      else for (let l = 0; l < K; l++) zb[base + l] += g * p[base + l];
      zb[base + labels[r]] -= g;
    }
  }
  if ((bdotMask & 1) !== 0) {
    const zbd = y.a.bdot;
    const ybd = y.bdot;
    const zd = y.a.dot;
    const live = (tanMask & 1) !== 0;
    const set = (bdotSet & 1) !== 0;
    for (let r = 0; r < R; r++) {
      const base = r * K;
      const g = yb[r];
      const gd = ybd[r];
      if (set) for (let l = 0; l < K; l++) zbd[base + l] = 0;
      if (live) {
        let t = 0;
        for (let l = 0; l < K; l++) t += p[base + l] * zd[base + l];
        for (let l = 0; l < K; l++) zbd[base + l] += p[base + l] * (gd + g * (zd[base + l] - t));
      } else for (let l = 0; l < K; l++) zbd[base + l] += p[base + l] * gd;
      zbd[base + labels[r]] -= gd;
    }
  }
}
