import type { Conv2dShape, TensorKernels } from '@bilevel/linalg';
import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';
import type { TapeSimd } from './tape-simd';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;
const YDOT_LIVE = codes.YDOT_LIVE;


/**
 * Rules of conv2d: y = conv(x, w) (+ bias per output channel), the cross-correlation of the tensor kernels (NCHW
 * images, OIHW filters, stride and zero padding). Bilinear in (x, w), so with the kernels' two adjoints
 * Dx(ḡ, w) = ∂/∂x⟨ḡ, conv(x, w)⟩ (conv2dInputGrad) and Dw(x, ḡ) = ∂/∂w⟨ḡ, conv(x, w)⟩ (conv2dFilterGrad):
 *   ẏ = conv(ẋ, w) + conv(x, ẇ) (+ ḃias)      x̄ += Dx(ȳ, w)             w̄ += Dw(x, ȳ)            b̄ias += Σ_{n,i,j} ȳ
 *   x̄̇ += Dx(ȳ̇, w) + Dx(ȳ, ẇ)                  w̄̇ += Dw(x, ȳ̇) + Dw(ẋ, ȳ)                       b̄̇ias += Σ_{n,i,j} ȳ̇
 * `conv` is the node's kernel shape (its batch field follows the replay's batch for a batched x); `ip` = [output
 * plane size outH·outW, output channels O, has bias].
 */

function shapeOf(y: TapeNode): Conv2dShape {
  const s = y.conv as NonNullable<TapeNode['conv']>;
  if (y.batched) s.batch = y.ctx.size;
  return s;
}

/** y[n, o, :] (+)= bias[o] (the addition on the SIMD kernels when the tape has them). */
function addBias(E: TapeSimd | null, bias: Float64Array, y: Float64Array, batch: number, O: number, P: number, overwrite: boolean): void {
  if (E !== null && !overwrite) {
    E.planeBias(y, bias, batch * O, O, P);
    return;
  }
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < O; o++) {
      const base = (n * O + o) * P;
      const v = bias[o];
      if (overwrite) for (let p = 0; p < P; p++) y[base + p] = v;
      else for (let p = 0; p < P; p++) y[base + p] += v;
    }
  }
}

/**
 * out[o] (+)= Σ_{n, p} g[n, o, p] (added to when `acc`, else from +0): per plane (n, o) the sum of its P entries in
 * two lanes, s₀ over even p and s₁ over odd p below the last pair, then s₀ + s₁ plus the last entry for an odd P (the
 * order of the SIMD kernel, which runs instead when the tape has it); the planes added to out[o] in increasing n.
 */
function sumBias(E: TapeSimd | null, g: Float64Array, out: Float64Array, batch: number, O: number, P: number, acc: boolean): void {
  if (E !== null) {
    E.sumPlanes(g, out, batch * O, O, P, acc);
    return;
  }
  if (!acc) for (let o = 0; o < O; o++) out[o] = 0;
  const pairs = P & ~1;
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < O; o++) {
      const base = (n * O + o) * P;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < pairs; p += 2) {
        s0 += g[base + p];
        s1 += g[base + p + 1];
      }
      let s = s0 + s1;
      if (pairs < P) s += g[base + pairs];
      out[o] += s;
    }
  }
}

export function convForward(y: TapeNode, mode: number, tanMask: number): void {
  const K = y.ctx.kernels as TensorKernels;
  const s = shapeOf(y);
  const x = y.a;
  const w = y.b;
  const P = y.ip[0];
  const O = y.ip[1];
  if ((mode & FWD_VALUE) !== 0) {
    K.conv2d(x.val, w.val, y.val, s, false);
    if (y.ip[2] === 1) addBias(y.ctx.simd, y.c.val, y.val, s.batch, O, P, false);
  }
  if (tanMask !== 0) {
    let written = false;
    if ((tanMask & 1) !== 0) {
      K.conv2d(x.dot, w.val, y.dot, s, false);
      written = true;
    }
    if ((tanMask & 2) !== 0) {
      K.conv2d(x.val, w.dot, y.dot, s, written);
      written = true;
    }
    if ((tanMask & 4) !== 0) addBias(y.ctx.simd, y.c.dot, y.dot, s.batch, O, P, !written);
  }
}

export function convReverse(y: TapeNode, barMask: number, bdotMask: number, tanMask: number, barSet: number, bdotSet: number): void {
  const K = y.ctx.kernels as TensorKernels;
  const s = shapeOf(y);
  const x = y.a;
  const w = y.b;
  const P = y.ip[0];
  const O = y.ip[1];
  if ((barMask & 1) !== 0) K.conv2dInputGrad(y.bar, w.val, x.bar, s, (barSet & 1) === 0);
  if ((barMask & 2) !== 0) K.conv2dFilterGrad(x.val, y.bar, w.bar, s, (barSet & 2) === 0);
  if ((barMask & 4) !== 0) sumBias(y.ctx.simd, y.bar, y.c.bar, s.batch, O, P, (barSet & 4) === 0);
  const ydot = (bdotMask & YDOT_LIVE) !== 0;
  if ((bdotMask & 1) !== 0) {
    let acc = (bdotSet & 1) === 0;
    if (ydot) {
      K.conv2dInputGrad(y.bdot, w.val, x.bdot, s, acc);
      acc = true;
    }
    if ((tanMask & 2) !== 0) {
      K.conv2dInputGrad(y.bar, w.dot, x.bdot, s, acc);
      acc = true;
    }
    if (!acc) x.bdot.fill(0, 0, x.n);
  }
  if ((bdotMask & 2) !== 0) {
    let acc = (bdotSet & 2) === 0;
    if (ydot) {
      K.conv2dFilterGrad(x.val, y.bdot, w.bdot, s, acc);
      acc = true;
    }
    if ((tanMask & 1) !== 0) {
      K.conv2dFilterGrad(x.dot, y.bar, w.bdot, s, acc);
      acc = true;
    }
    if (!acc) w.bdot.fill(0, 0, w.n);
  }
  if ((bdotMask & 4) !== 0) {
    if (ydot) sumBias(y.ctx.simd, y.bdot, y.c.bdot, s.batch, O, P, (bdotSet & 4) === 0);
    else if ((bdotSet & 4) !== 0) y.c.bdot.fill(0, 0, O);
  }
}
