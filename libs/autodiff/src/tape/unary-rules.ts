import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_D1 = codes.FWD_D1;
const FWD_D2 = codes.FWD_D2;
const FWD_VALUE = codes.FWD_VALUE;
const U_EXP = codes.U_EXP;
const U_LEAKY = codes.U_LEAKY;
const U_LOG = codes.U_LOG;
const U_RELU = codes.U_RELU;
const U_RSQRT = codes.U_RSQRT;
const U_SIGMOID = codes.U_SIGMOID;
const U_SOFTPLUS = codes.U_SOFTPLUS;
const U_SQRT = codes.U_SQRT;
const U_TANH = codes.U_TANH;


/**
 * Rules of the elementwise functions y = φ(u), with φ' and φ'' cached by the forward sweep (`d1`, `d2`):
 *   exp: e^u, e^u, e^u;   log: log u, 1/u, −1/u²;   softplus: log(1 + e^u), σ(u), σ(u)(1 − σ(u));
 *   sigmoid: σ, σ(1 − σ), σ(1 − σ)(1 − 2σ);   square: u², 2u, 2;   tanh: t, 1 − t², −2t(1 − t²);
 *   sqrt: √u, 1/(2√u), −φ'/(2u);   rsqrt: u^{−1/2}, −y/(2u), −3φ'/(2u);
 *   relu: max(u, 0), [u > 0], —;   leakyRelu(α): u or αu, 1 or α, —   (φ'' = 0 where φ' exists; at u = 0 exactly
 *   the slope of the left side is taken: the kink's side is fixed by the forward value; no cache: φ' is read from
 *   the operand's sign, which the replay keeps, rather than stored, a pass over a buffer of the operand's size less).
 * ẏ = φ'u̇,  ū += φ'ȳ,  ū̇ += φ''u̇ȳ + φ'ȳ̇.
 * And scale y = c·u: ẏ = cu̇, ū += cȳ, ū̇ += cȳ̇.
 */

/** relu and leakyRelu: no cache (φ' from the operand's sign); relu's value and both tangents on the SIMD kernels when the tape has them. */
function kinkForward(y: TapeNode, mode: number, tanMask: number): void {
  const u = y.a.val;
  const n = y.n;
  const E = y.ctx.simd;
  const alpha = y.fn === U_RELU ? 0 : y.c1;
  if ((mode & FWD_VALUE) !== 0) {
    if (E !== null && y.fn === U_RELU) E.relu(u, y.val, n);
    else unaryValue(y.fn, n, u, y.val, y.c1);
  }
  if (tanMask !== 0) kinkSpread(y, n, u, alpha, y.a.dot, y.dot, true);
}

export function unaryForward(y: TapeNode, mode: number, tanMask: number): void {
  if (y.fn === U_RELU || y.fn === U_LEAKY) {
    kinkForward(y, mode, tanMask);
    return;
  }
  const u = y.a.val;
  const { n, val, d1, d2 } = y;
  const value = (mode & FWD_VALUE) !== 0;
  if ((mode & (FWD_D1 | FWD_D2)) === 0) {
    if (value) unaryValue(y.fn, n, u, val, y.c1);
  } else {
    switch (y.fn) {
      case U_EXP:
        for (let k = 0; k < n; k++) {
          const e = Math.exp(u[k]);
          val[k] = e;
          d1[k] = e;
          d2[k] = e;
        }
        break;
      case U_LOG:
        for (let k = 0; k < n; k++) {
          const r = 1 / u[k];
          d1[k] = r;
          d2[k] = -r * r;
        }
        if (value) unaryValue(U_LOG, n, u, val, 0);
        break;
      case U_SOFTPLUS:
        // σ(u) from e = e^{−|u|}: 1/(1 + e) for u ≥ 0, e/(1 + e) below; σ(u)(1 − σ(u)) = e/(1 + e)²
        for (let k = 0; k < n; k++) {
          const m = u[k];
          const e = Math.exp(-Math.abs(m));
          const r = 1 / (1 + e);
          d1[k] = m >= 0 ? r : e * r;
          d2[k] = e * r * r;
        }
        if (value) unaryValue(U_SOFTPLUS, n, u, val, 0);
        break;
      case U_SIGMOID:
        for (let k = 0; k < n; k++) {
          const m = u[k];
          const e = Math.exp(-Math.abs(m));
          const r = 1 / (1 + e);
          const s = m >= 0 ? r : e * r;
          const c = e * r * r;
          val[k] = s;
          d1[k] = c;
          d2[k] = c * (1 - 2 * s);
        }
        break;
      case U_TANH:
        for (let k = 0; k < n; k++) {
          const t = Math.tanh(u[k]);
          const c = 1 - t * t;
          val[k] = t;
          d1[k] = c;
          d2[k] = -2 * t * c;
        }
        break;
      case U_SQRT:
        for (let k = 0; k < n; k++) {
          const m = u[k];
          const s = Math.sqrt(m);
          const c = 0.5 / s;
          val[k] = s;
          d1[k] = c;
          d2[k] = -c / (2 * m);
        }
        break;
      case U_RSQRT:
        for (let k = 0; k < n; k++) {
          const m = u[k];
          const s = 1 / Math.sqrt(m);
          const c = -s / (2 * m);
          val[k] = s;
          d1[k] = c;
          d2[k] = (-3 * c) / (2 * m);
        }
        break;
      default: // square
        if (value) for (let k = 0; k < n; k++) val[k] = u[k] * u[k];
        for (let k = 0; k < n; k++) {
          d1[k] = 2 * u[k];
          d2[k] = 2;
        }
        break;
    }
  }
  if (tanMask !== 0) {
    const ud = y.a.dot;
    const yd = y.dot;
    for (let k = 0; k < n; k++) yd[k] = d1[k] * ud[k];
  }
}

/**
 * D[k] (+)= (u[k] > 0 ? 1 : α)·G[k], k < n: the adjoint of relu (α = 0) and leakyRelu, added or assigned (and their
 * tangent, assigned); on the SIMD kernels when the tape has them.
 */
function kinkSpread(y: TapeNode, n: number, u: Float64Array, alpha: number, G: Float64Array, D: Float64Array, set: boolean): void {
  const E = y.ctx.simd;
  if (E !== null) E.kink(u, G, D, n, alpha, set);
  else if (set) for (let k = 0; k < n; k++) D[k] = (u[k] > 0 ? 1 : alpha) * G[k];
  else for (let k = 0; k < n; k++) D[k] += (u[k] > 0 ? 1 : alpha) * G[k];
}

export function unaryReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const u = y.a;
  const { n, d1, d2, bar, bdot } = y;
  const ub = u.bar;
  const ubd = u.bdot;
  const ud = u.dot;
  const setBar = (barSet & 1) !== 0;
  const setBdot = (bdotSet & 1) !== 0;
  if (y.fn === U_RELU || y.fn === U_LEAKY) {
    // piecewise linear: φ'' = 0, φ' from the operand's sign (no cache)
    const alpha = y.fn === U_RELU ? 0 : y.c1;
    if (barMask !== 0) kinkSpread(y, n, u.val, alpha, bar, ub, setBar);
    if ((bdotMask & 1) !== 0) kinkSpread(y, n, u.val, alpha, bdot, ubd, setBdot);
    return;
  }
  if (barMask !== 0) {
    if (setBar) for (let k = 0; k < n; k++) ub[k] = d1[k] * bar[k];
    else for (let k = 0; k < n; k++) ub[k] += d1[k] * bar[k];
  }
  if ((bdotMask & 1) !== 0) {
    if (tanMask !== 0 && d2.length > 0) {
      if (setBdot) for (let k = 0; k < n; k++) ubd[k] = d2[k] * ud[k] * bar[k] + d1[k] * bdot[k];
      else for (let k = 0; k < n; k++) ubd[k] += d2[k] * ud[k] * bar[k] + d1[k] * bdot[k];
    } else if (setBdot) for (let k = 0; k < n; k++) ubd[k] = d1[k] * bdot[k];
    else for (let k = 0; k < n; k++) ubd[k] += d1[k] * bdot[k];
  }
}

/** val[k] = φ(u[k]), k < n, alone. */
function unaryValue(fn: number, n: number, u: Float64Array, val: Float64Array, alpha: number): void {
  switch (fn) {
    case U_EXP:
      for (let k = 0; k < n; k++) val[k] = Math.exp(u[k]);
      break;
    case U_LOG:
      for (let k = 0; k < n; k++) val[k] = Math.log(u[k]);
      break;
    case U_SOFTPLUS:
      // max(u, 0) + log1p(e^{−|u|}): no overflow
      for (let k = 0; k < n; k++) {
        const m = u[k];
        val[k] = (m > 0 ? m : 0) + Math.log1p(Math.exp(-Math.abs(m)));
      }
      break;
    case U_SIGMOID:
      for (let k = 0; k < n; k++) {
        const m = u[k];
        const e = Math.exp(-Math.abs(m));
        val[k] = m >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
      break;
    case U_TANH:
      for (let k = 0; k < n; k++) val[k] = Math.tanh(u[k]);
      break;
    case U_RELU:
      for (let k = 0; k < n; k++) {
        const m = u[k];
        val[k] = m > 0 ? m : 0;
      }
      break;
    case U_LEAKY:
      for (let k = 0; k < n; k++) {
        const m = u[k];
        val[k] = m > 0 ? m : alpha * m;
      }
      break;
    case U_SQRT:
      for (let k = 0; k < n; k++) val[k] = Math.sqrt(u[k]);
      break;
    case U_RSQRT:
      for (let k = 0; k < n; k++) val[k] = 1 / Math.sqrt(u[k]);
      break;
    default: // square
      for (let k = 0; k < n; k++) val[k] = u[k] * u[k];
      break;
  }
}

export function scaleForward(y: TapeNode, mode: number, tanMask: number): void {
  const n = y.n;
  const c = y.c1;
  if ((mode & FWD_VALUE) !== 0) {
    const u = y.a.val;
    const v = y.val;
    for (let k = 0; k < n; k++) v[k] = c * u[k];
  }
  if (tanMask !== 0) {
    const u = y.a.dot;
    const v = y.dot;
    for (let k = 0; k < n; k++) v[k] = c * u[k];
  }
}

export function scaleReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  const n = y.n;
  const c = y.c1;
  if (barMask !== 0) scaled(n, c, y.bar, y.a.bar, (barSet & 1) !== 0);
  if ((bdotMask & 1) !== 0) scaled(n, c, y.bdot, y.a.bdot, (bdotSet & 1) !== 0);
}

/** D[k] (+)= c·S[k], k < n. */
function scaled(n: number, c: number, S: Float64Array, D: Float64Array, set: boolean): void {
  if (set) for (let k = 0; k < n; k++) D[k] = c * S[k];
  else for (let k = 0; k < n; k++) D[k] += c * S[k];
}
