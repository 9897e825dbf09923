import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_D1 = codes.FWD_D1;
const FWD_VALUE = codes.FWD_VALUE;


/**
 * Rules of 2-D pooling over NCHW images, windows kh×kw at strides (sh, sw), no padding (the models pool
 * without it; a padded max pool would need −∞ borders and an average pool a choice of divisor); each (image, channel)
 * plane pooled on its own. `ip` = [planes per sample (or all planes of a fixed tensor), H, W, outH, outW, kh, kw, sh, sw].
 *
 *   maxPool2d  y_o = x_{m(o)}, m(o) the first position of the window's maximum, cached by the forward sweep (`d1`, as
 *              float64 indices). Piecewise linear: ẏ_o = ẋ_{m(o)}, x̄_{m(o)} += ȳ_o, x̄̇_{m(o)} += ȳ̇_o, φ'' = 0 (the
 *              argmax is held fixed: exact away from ties, which a perturbation of the values breaks).
 *   avgPool2d  y_o = (1/(kh·kw)) Σ_window x, linear: the same on tangents, x̄_window += ȳ_o/(kh·kw), likewise x̄̇.
 */

function planes(y: TapeNode): number {
  return y.batched ? y.ctx.size * y.ip[0] : y.ip[0];
}

export function maxPoolForward(y: TapeNode, mode: number, tanMask: number): void {
  const ip = y.ip;
  const H = ip[1];
  const W = ip[2];
  const OH = ip[3];
  const OW = ip[4];
  const kh = ip[5];
  const kw = ip[6];
  const sh = ip[7];
  const sw = ip[8];
  const np = planes(y);
  const x = y.a.val;
  const v = y.val;
  const arg = y.d1;
  const withArg = (mode & FWD_D1) !== 0;
  const E = y.ctx.simd;
  if ((withArg || (mode & FWD_VALUE) !== 0) && kh === 2 && kw === 2 && sh === 2 && sw === 2) {
    if (E !== null) E.maxPool2(x, v, arg, np, H, W, OH, OW, withArg);
    else maxPool2x2(np, H, W, OH, OW, x, v, arg, withArg);
  } else if (withArg || (mode & FWD_VALUE) !== 0) {
    for (let p = 0; p < np; p++) {
      const xb = p * H * W;
      const ob = p * OH * OW;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const r0 = xb + i * sh * W + j * sw;
          let best = r0;
          let m = x[r0];
          for (let a = 0; a < kh; a++) {
            const r = r0 + a * W;
            for (let b = 0; b < kw; b++) {
              const t = x[r + b];
              if (t > m) {
                m = t;
                best = r + b;
              }
            }
          }
          v[ob + i * OW + j] = m;
          if (withArg) arg[ob + i * OW + j] = best;
        }
      }
    }
  }
  if (tanMask !== 0) {
    const xd = y.a.dot;
    const yd = y.dot;
    const n = y.n;
    for (let o = 0; o < n; o++) yd[o] = xd[arg[o]];
  }
}

/**
 * The 2×2, stride 2 window (the usual one) unrolled: the same maximum and first argmax (in the scan order of the
 * general loop: row by row) with a fixed four-way comparison instead of two loops of two.
 */
function maxPool2x2(np: number, H: number, W: number, OH: number, OW: number, x: Float64Array, v: Float64Array, arg: Float64Array, withArg: boolean): void {
  for (let p = 0; p < np; p++) {
    const xb = p * H * W;
    let o = p * OH * OW;
    for (let i = 0; i < OH; i++) {
      let r = xb + 2 * i * W;
      for (let j = 0; j < OW; j++, r += 2, o++) {
        let best = r;
        let m = x[r];
        const t1 = x[r + 1];
        if (t1 > m) {
          m = t1;
          best = r + 1;
        }
        const t2 = x[r + W];
        if (t2 > m) {
          m = t2;
          best = r + W;
        }
        const t3 = x[r + W + 1];
        if (t3 > m) {
          m = t3;
          best = r + W + 1;
        }
        v[o] = m;
        if (withArg) arg[o] = best;
      }
    }
  }
}

/**
 * D[arg[o]] += G[o], o < n (on the SIMD kernels when the tape has them), after clearing D's first `len` entries when
 * `set` (a memset: the windows may not cover D).
 */
function scatter(y: TapeNode, n: number, arg: Float64Array, G: Float64Array, D: Float64Array, len: number, set: boolean): void {
  if (set) D.fill(0, 0, len);
  const E = y.ctx.simd;
  if (E !== null) E.scatter(arg, G, D, n);
  else for (let o = 0; o < n; o++) D[arg[o]] += G[o];
}

export function maxPoolReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  const arg = y.d1;
  const n = y.n;
  if (barMask !== 0) scatter(y, n, arg, y.bar, y.a.bar, y.a.n, (barSet & 1) !== 0);
  if ((bdotMask & 1) !== 0) scatter(y, n, arg, y.bdot, y.a.bdot, y.a.n, (bdotSet & 1) !== 0);
}

/** dst_o = c·Σ_window src. */
function avgPool(y: TapeNode, src: Float64Array, dst: Float64Array): void {
  const ip = y.ip;
  const H = ip[1];
  const W = ip[2];
  const OH = ip[3];
  const OW = ip[4];
  const kh = ip[5];
  const kw = ip[6];
  const sh = ip[7];
  const sw = ip[8];
  const c = 1 / (kh * kw);
  const np = planes(y);
  for (let p = 0; p < np; p++) {
    const xb = p * H * W;
    const ob = p * OH * OW;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const r0 = xb + i * sh * W + j * sw;
        let s = 0;
        for (let a = 0; a < kh; a++) {
          const r = r0 + a * W;
          for (let b = 0; b < kw; b++) s += src[r + b];
        }
        dst[ob + i * OW + j] = c * s;
      }
    }
  }
}

/** dst_window += c·src_o. */
function avgPoolT(y: TapeNode, src: Float64Array, dst: Float64Array): void {
  const ip = y.ip;
  const H = ip[1];
  const W = ip[2];
  const OH = ip[3];
  const OW = ip[4];
  const kh = ip[5];
  const kw = ip[6];
  const sh = ip[7];
  const sw = ip[8];
  const c = 1 / (kh * kw);
  const np = planes(y);
  for (let p = 0; p < np; p++) {
    const xb = p * H * W;
    const ob = p * OH * OW;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const r0 = xb + i * sh * W + j * sw;
        const g = c * src[ob + i * OW + j];
        for (let a = 0; a < kh; a++) {
          const r = r0 + a * W;
          for (let b = 0; b < kw; b++) dst[r + b] += g;
        }
      }
    }
  }
}

export function avgPoolForward(y: TapeNode, mode: number, tanMask: number): void {
  if ((mode & FWD_VALUE) !== 0) avgPool(y, y.a.val, y.val);
  if (tanMask !== 0) avgPool(y, y.a.dot, y.dot);
}

export function avgPoolReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  // assigned: cleared first (a memset; the windows may overlap or leave a border uncovered)
  if (barMask !== 0) {
    if ((barSet & 1) !== 0) y.a.bar.fill(0, 0, y.a.n);
    avgPoolT(y, y.bar, y.a.bar);
  }
  if ((bdotMask & 1) !== 0) {
    if ((bdotSet & 1) !== 0) y.a.bdot.fill(0, 0, y.a.n);
    avgPoolT(y, y.bdot, y.a.bdot);
  }
}
