import type { TensorKernels } from '@bilevel/linalg';
import type { TapeSimd } from './tape-simd';

/**
 * The integer codes shared by the tape's nodes, rules and replay plans (kinds, elementwise functions, sweep bits) and
 * the replay context. Internal to the tape folder.
 */

/** Every kind of recorded operation; one rule set each (value, tangent, adjoint, adjoint tangent). */
export const KINDS = [
  'input',
  'constant',
  'gather',
  'gatherRows',
  'rowsDot',
  'affine',
  'mul',
  'div',
  'scale',
  'unary',
  'sum',
  'view',
  'concat',
  'matmul',
  'conv2d',
  'maxPool2d',
  'avgPool2d',
  'logSumExp',
  'softmaxCrossEntropy',
  'batchNorm2d',
] as const;
/** The kind of a tape node (its operation), by name. */
export type NodeKind = (typeof KINDS)[number];

export const K_INPUT = 0;
export const K_CONSTANT = 1;
export const K_GATHER = 2;
export const K_GATHER_ROWS = 3;
export const K_ROWSDOT = 4;
export const K_AFFINE = 5;
export const K_MUL = 6;
export const K_DIV = 7;
export const K_SCALE = 8;
export const K_UNARY = 9;
export const K_SUM = 10;
export const K_VIEW = 11;
export const K_CONCAT = 12;
export const K_MATMUL = 13;
export const K_CONV = 14;
export const K_MAXPOOL = 15;
export const K_AVGPOOL = 16;
export const K_LSE = 17;
export const K_SCE = 18;
export const K_BN = 19;

/** Elementwise functions of `unary` nodes. */
export const UNARY_OPS = ['exp', 'log', 'softplus', 'sigmoid', 'square', 'tanh', 'relu', 'leakyRelu', 'sqrt', 'rsqrt'] as const;
/** The elementwise function of a `unary` tape node, by name. */
export type UnaryOp = (typeof UNARY_OPS)[number];
export const U_EXP = 0;
export const U_LOG = 1;
export const U_SOFTPLUS = 2;
export const U_SIGMOID = 3;
export const U_SQUARE = 4;
export const U_TANH = 5;
export const U_RELU = 6;
export const U_LEAKY = 7;
export const U_SQRT = 8;
export const U_RSQRT = 9;
/** Piecewise-linear functions: φ'' = 0 wherever φ' exists (the kink's side is fixed by the forward value). */
export const isPiecewiseLinear = (fn: number) => fn === U_RELU || fn === U_LEAKY;

/** Forward-sweep mode bits: the value, an operation's own first-derivative caches, its second-derivative caches. */
export const FWD_VALUE = 1;
export const FWD_D1 = 2;
export const FWD_D2 = 4;

/**
 * Bit of an adjoint-tangent mask (above the operand bits): the node's own adjoint tangent ȳ̇ may be non-zero. Without
 * it ȳ̇ is known to be zero (cleared, and no consumer adds to it), and rules whose ȳ̇ terms cost a matrix product
 * skip them.
 */
export const YDOT_LIVE = 1 << 30;

/** Most operands of one node (operand masks are bits of a 32-bit integer, below {@link YDOT_LIVE}). */
export const MAX_OPERANDS = 30;

/** What every node of one tape shares: the batch of the current replay and the dense kernels. */
export interface ReplayContext {
  /** Sample indices of the current replay (into the tape's data). */
  batch: Int32Array;
  /** The current batch's size (`batch.length`). */
  size: number;
  /** Dense kernels over the tape's arena (set when the tape is closed). */
  kernels: TensorKernels | null;
  /** Elementwise WebAssembly SIMD kernels over the same arena, or null (JavaScript kernels: the rules' own loops). */
  simd: TapeSimd | null;
}
