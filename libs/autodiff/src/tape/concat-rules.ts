import * as codes from './node-codes';
import type { TapeNode } from './tape-nodes';

// Module-local copies of imported bindings: tsx compiles an imported binding to a getter call, which the replay's
// inner loops must not pay (measured: a quarter of a small oracle's time).
const FWD_VALUE = codes.FWD_VALUE;


/**
 * Rules of concat (linear): viewed as [outer, Σ_i L_i·inner], operand i fills columns [off_i, off_i + block_i) of every
 * outer row, block_i = L_i·inner. ẏ likewise from the live tangents (zeros for dead ones), ū_i += its block of ȳ,
 * ū̇_i += its block of ȳ̇. `ip` = [outer per sample (or outer), Σ block, operand count, block_0, off_0, block_1, …].
 */

function outerCount(y: TapeNode): number {
  return y.batched ? y.ctx.size * y.ip[0] : y.ip[0];
}

function copyIn(y: TapeNode, i: number, src: Float64Array, dst: Float64Array, outer: number): void {
  const total = y.ip[1];
  const block = y.ip[3 + 2 * i];
  const off = y.ip[4 + 2 * i];
  for (let r = 0; r < outer; r++) {
    const s = r * block;
    const d = r * total + off;
    for (let j = 0; j < block; j++) dst[d + j] = src[s + j];
  }
}

function zeroIn(y: TapeNode, i: number, dst: Float64Array, outer: number): void {
  const total = y.ip[1];
  const block = y.ip[3 + 2 * i];
  const off = y.ip[4 + 2 * i];
  for (let r = 0; r < outer; r++) {
    const d = r * total + off;
    for (let j = 0; j < block; j++) dst[d + j] = 0;
  }
}

/** Operand i's block of src added to dst (assigned when `set`). */
function addOut(y: TapeNode, i: number, src: Float64Array, dst: Float64Array, outer: number, set: boolean): void {
  const total = y.ip[1];
  const block = y.ip[3 + 2 * i];
  const off = y.ip[4 + 2 * i];
  for (let r = 0; r < outer; r++) {
    const s = r * total + off;
    const d = r * block;
    if (set) for (let j = 0; j < block; j++) dst[d + j] = src[s + j];
    else for (let j = 0; j < block; j++) dst[d + j] += src[s + j];
  }
}

export function concatForward(y: TapeNode, mode: number, tanMask: number): void {
  const outer = outerCount(y);
  const args = y.args;
  const count = y.ip[2];
  if ((mode & FWD_VALUE) !== 0) for (let i = 0; i < count; i++) copyIn(y, i, args[i].val, y.val, outer);
  if (tanMask !== 0) {
    for (let i = 0; i < count; i++) {
      if ((tanMask & (1 << i)) !== 0) copyIn(y, i, args[i].dot, y.dot, outer);
      else zeroIn(y, i, y.dot, outer);
    }
  }
}

export function concatReverse(y: TapeNode, barMask: number, bdotMask: number, barSet: number, bdotSet: number): void {
  const outer = outerCount(y);
  const args = y.args;
  const count = y.ip[2];
  for (let i = 0; i < count; i++) {
    const bit = 1 << i;
    if ((barMask & bit) !== 0) addOut(y, i, y.bar, args[i].bar, outer, (barSet & bit) !== 0);
    if ((bdotMask & bit) !== 0) addOut(y, i, y.bdot, args[i].bdot, outer, (bdotSet & bit) !== 0);
  }
}
