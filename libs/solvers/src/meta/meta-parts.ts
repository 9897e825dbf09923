import type { Rng } from '@bilevel/linalg';
import type { BilevelProblem } from '@bilevel/problems';
import { isMetaLearningProblem } from '@bilevel/autodiff';
import type { MetaLearningProblem } from '@bilevel/autodiff';
import type { Reads, StreamPart } from '../solver';
import { adaptTask } from './adapt-task';
import type { ResolvedAdapt } from './meta-options';

/**
 * What the inner stream of a meta-solver publishes with z: the meta-batch's task ids and each task's adapted weights
 * φ_b (rows of `phis`, b = 0..B−1, each of length dim θ). Fresh arrays each step, never mutated afterwards.
 */
export interface MetaBatchAux {
  readonly tasks: Int32Array;
  readonly phis: Float64Array;
}

/** Whether `a` is a {@link MetaBatchAux}. */
export function isMetaBatchAux(a: unknown): a is MetaBatchAux {
  return typeof a === 'object' && a !== null && (a as MetaBatchAux).tasks instanceof Int32Array && (a as MetaBatchAux).phis instanceof Float64Array;
}

/** The problem as a meta-learning problem, or a RangeError naming the solver. */
export function metaProblem(fn: string, problem: BilevelProblem): MetaLearningProblem {
  if (!isMetaLearningProblem(problem)) {
    throw new RangeError(`${fn}: problem "${problem.name}" is not a meta-learning problem (one inner problem per task); build one with metaLearningProblem({ model, tasks, lambda })`);
  }
  return problem;
}

/** The meta-batch the inner stream published with the z this step reads, or an error naming the solver. */
export function metaBatchOf(fn: string, reads: Reads): MetaBatchAux {
  const a = reads.aux?.z;
  if (!isMetaBatchAux(a)) throw new Error(`${fn}: this step found no meta-batch published with z; run ${fn} with the gauss-seidel schedule (its own)`);
  return a;
}

interface InnerState {
  readonly problem: MetaLearningProblem;
  /** Draws the meta-batch's task ids. */
  readonly rng: Rng;
  readonly g: Float64Array;
  steps: number;
  gradNorm: number;
}

/**
 * The inner stream of iMAML, first-order MAML and Reptile: each step draws a meta-batch of `metaBatch` task ids
 * uniformly (with replacement, as the authors' `np.random.choice(num_tasks, size)`) and adapts θ (the x it reads)
 * to each task ({@link adaptTask}); it writes z = the mean of the adapted φ_b and publishes the task ids and every
 * φ_b ({@link MetaBatchAux}). Per step: B·innerSteps gradients (each on one task's support set).
 */
export function metaInnerPart(fn: string, adapt: ResolvedAdapt, metaBatch: number): StreamPart<InnerState> {
  return {
    stream: 'inner',
    description: { estimator: 'meta-batch', batchSize: metaBatch, step: adapt.innerMethod === 'gd' ? { kind: 'constant', value: adapt.innerStep } : { kind: 'other', rule: 'newton-cg' } },
    init(problem, rng) {
      const p = metaProblem(fn, problem);
      return { problem: p, rng: rng.split(), g: new Float64Array(p.dimZ), steps: 0, gradNorm: 0 };
    },
    step(s, { x }, _t, out): MetaBatchAux {
      const { problem, g } = s;
      const P = problem.dimZ;
      const B = metaBatch;
      const tasks = new Int32Array(B);
      for (let b = 0; b < B; b++) tasks[b] = s.rng.int(0, problem.nInner - 1);
      const phis = new Float64Array(B * P);
      out.fill(0);
      let steps = 0;
      let gradNorm = 0;
      for (let b = 0; b < B; b++) {
        const phi = phis.subarray(b * P, (b + 1) * P);
        const r = adaptTask(problem, tasks[b], x, adapt, phi, g);
        steps += r.steps / B;
        gradNorm += r.gradNorm / B;
        for (let i = 0; i < P; i++) out[i] += phi[i] / B;
      }
      s.steps = steps;
      s.gradNorm = gradNorm;
      return { tasks, phis };
    },
    diagnostics: (s) => ({ innerSteps: s.steps, innerGradNorm: s.gradNorm }),
  };
}

interface AdamState {
  readonly problem: MetaLearningProblem;
  readonly m: Float64Array;
  readonly s: Float64Array;
  readonly d: Float64Array;
  readonly cross: Float64Array;
  directionNorm: number;
}

/** How the outer step forms its direction d from what it reads. */
export type MetaDirection = (state: { readonly problem: MetaLearningProblem; readonly d: Float64Array; readonly cross: Float64Array }, reads: Reads) => void;

/**
 * The hypergradient direction of the contract from the mean v the linear-system stream wrote: d = ∇_x F + ∇²_xz G·v
 * on the meta-batch (for the proximal inner problem ∇_x f_j = 0 and ∇²_xz g_j·v = −λv at any φ, so d = −λ·mean v_b
 * = mean_b (I + ∇²L̂_b/λ)⁻¹∇L_b, the iMAML meta-gradient when v_b solves its task's system).
 */
export const hypergradientDirection = (fn: string): MetaDirection => (st, reads) => {
  const { tasks } = metaBatchOf(fn, reads);
  st.problem.outerGradX(reads.z, reads.x, tasks, st.d);
  st.problem.innerCross(reads.z, reads.x, reads.v, tasks, st.cross);
  for (let k = 0; k < st.d.length; k++) st.d[k] += st.cross[k];
};

/**
 * The outer stream of the meta-solvers: Adam (Kingma & Ba, ICLR 2015; bias-corrected moments, β₁ = 0.9, β₂ =
 * 0.999, ϵ = `adamEps`) on θ along the direction `direction` forms:
 *   m ← β₁m + (1−β₁)d,  s ← β₂s + (1−β₂)d²,  θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(s/(1−β₂ᵗ)) + ϵ).
 * Updates its moments in place.
 */
export function adamOuterPart(fn: string, outerStep: number, adamEps: number, direction: MetaDirection): StreamPart<AdamState> {
  return {
    stream: 'outer',
    description: { estimator: 'meta-batch', step: { kind: 'adaptive', rule: 'adam' } },
    init(problem) {
      const p = metaProblem(fn, problem);
      const n = p.dimX;
      return { problem: p, m: new Float64Array(n), s: new Float64Array(n), d: new Float64Array(n), cross: new Float64Array(n), directionNorm: 0 };
    },
    step(st, reads, t, out) {
      direction(st, reads);
      const { m, s, d } = st;
      const x = reads.x;
      const c1 = 1 - Math.pow(0.9, t + 1);
      const c2 = 1 - Math.pow(0.999, t + 1);
      let norm = 0;
      for (let k = 0; k < out.length; k++) {
        const dk = d[k];
        norm += dk * dk;
        m[k] = 0.9 * m[k] + 0.1 * dk;
        s[k] = 0.999 * s[k] + 0.001 * dk * dk;
        out[k] = x[k] - (outerStep * (m[k] / c1)) / (Math.sqrt(s[k] / c2) + adamEps);
      }
      st.directionNorm = Math.sqrt(norm);
    },
    diagnostics: (st) => ({ metaGradNorm: st.directionNorm }),
  };
}
