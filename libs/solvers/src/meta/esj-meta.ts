import type { Rng } from '@bilevel/linalg';
import type { MetaLearningProblem } from '@bilevel/autodiff';
import type { Solver, StreamPart } from '../solver';
import { knownKeys, positiveInteger, positiveNumber } from '../validate-options';
import { adaptTask } from './adapt-task';
import type { AdaptOptions, MetaOuterOptions } from './meta-options';
import { ADAPT_KEYS, OUTER_KEYS, resolveAdapt, resolveOuter } from './meta-options';
import { adamOuterPart, metaProblem } from './meta-parts';
import type { MetaBatchAux } from './meta-parts';

/** Options of {@link esjMeta}, with their defaults. */
export interface EsjMetaOptions extends AdaptOptions, MetaOuterOptions {
  /** Q, Gaussian directions per outer step, shared by the meta-batch's tasks. Default 1 (sowmaster/esjacobians meta_learning.py: one u per outer step). */
  readonly directions?: number;
  /**
   * μ, radius of the perturbations θ + μu. Default 1e-3: with Gaussian u (E[uuᵀ] = I, ‖u‖ ≈ √dim θ) this keeps
   * ‖μu‖ near 0.1 on models of 10⁴ weights, the size of the authors' perturbation (μ = 0.1 on u of unit norm per tensor).
   */
  readonly smoothing?: number;
}

const KEYS = [...ADAPT_KEYS, ...OUTER_KEYS, 'directions', 'smoothing'];

/** What the ESJ-S inner stream publishes: the meta-batch, the shared directions u_q (Q × dim θ) and per task the quotients δ_bq (B × Q × dim θ). */
export interface EsjMetaAux extends MetaBatchAux {
  readonly directions: Float64Array;
  readonly deltas: Float64Array;
}

function isEsjMetaAux(a: unknown): a is EsjMetaAux {
  return typeof a === 'object' && a !== null && (a as EsjMetaAux).deltas instanceof Float64Array && (a as EsjMetaAux).directions instanceof Float64Array && (a as EsjMetaAux).tasks instanceof Int32Array;
}

interface InnerState {
  readonly problem: MetaLearningProblem;
  readonly tasksRng: Rng;
  readonly directionsRng: Rng;
  readonly g: Float64Array;
  readonly xq: Float64Array;
  readonly phiq: Float64Array;
  steps: number;
}

/**
 * ESJ-S, the Hessian-free evolution-strategies Jacobian (Sow, Ji, Liang, "On the Convergence Theory for Hessian-Free
 * Bilevel Algorithms", NeurIPS 2022), adapted to a {@link MetaLearningProblem}: the existing `esjS` cannot be run on it
 * as it is, because its T-step map starts from the previous z and is shared by every sample, while here the map
 * θ ↦ φ_b(θ) of each task starts at φ = θ and belongs to that task. So, per outer step:
 *   inner:  draw B tasks and Q directions u_q ~ N(0, I) (shared by the tasks); φ_b = adapt_b(θ) and
 *           δ_bq = [adapt_b(θ + μu_q) − φ_b]/μ with the same procedure (`innerSteps` GD steps from the perturbed start
 *           towards the perturbed prox centre: the whole dependence of φ_b on θ); (Q+1)·B·innerSteps gradients;
 *   linsys: idle (no linear system, no HVP);
 *   outer:  d = mean_b (1/Q) Σ_q u_q ⟨δ_bq, ∇L_b(φ_b)⟩ (+ ∇_θF = 0); θ ← Adam(θ, d).
 * (1/Q)Σ_q u_q δ_bqᵀ estimates the Jacobian dφ_b/dθ, a dim θ × dim θ matrix here; its variance grows with dim θ / Q,
 * which is why the authors' own meta-learning script adapts only a linear head (z) under a meta-learned backbone (x).
 * Schedule: gauss-seidel.
 */
export function esjMeta(options: EsjMetaOptions = {}): Solver {
  const fn = 'esj-s';
  knownKeys(fn, options, KEYS);
  const adapt = resolveAdapt(fn, options);
  const outerOpts = resolveOuter(fn, options);
  const Q = positiveInteger(fn, 'directions', options.directions ?? 1);
  const mu = positiveNumber(fn, 'smoothing', options.smoothing ?? 1e-3);
  const B = outerOpts.metaBatch;

  const inner: StreamPart<InnerState> = {
    stream: 'inner',
    description: { estimator: 'meta-batch', batchSize: B, step: { kind: 'constant', value: adapt.innerStep } },
    init(problem, rng) {
      const p = metaProblem(fn, problem);
      const P = p.dimZ;
      return { problem: p, tasksRng: rng.split(), directionsRng: rng.split(), g: new Float64Array(P), xq: new Float64Array(P), phiq: new Float64Array(P), steps: 0 };
    },
    step(s, { x }, _t, out): EsjMetaAux {
      const { problem, g, xq, phiq } = s;
      const P = problem.dimZ;
      const tasks = new Int32Array(B);
      for (let b = 0; b < B; b++) tasks[b] = s.tasksRng.int(0, problem.nInner - 1);
      const directions = s.directionsRng.normals(new Float64Array(Q * P));
      const phis = new Float64Array(B * P);
      const deltas = new Float64Array(B * Q * P);
      out.fill(0);
      let steps = 0;
      for (let b = 0; b < B; b++) {
        const phi = phis.subarray(b * P, (b + 1) * P);
        steps += adaptTask(problem, tasks[b], x, adapt, phi, g).steps / B;
        for (let i = 0; i < P; i++) out[i] += phi[i] / B;
        for (let q = 0; q < Q; q++) {
          for (let i = 0; i < P; i++) xq[i] = x[i] + mu * directions[q * P + i];
          adaptTask(problem, tasks[b], xq, adapt, phiq, g);
          const o = (b * Q + q) * P;
          for (let i = 0; i < P; i++) deltas[o + i] = (phiq[i] - phi[i]) / mu;
        }
      }
      s.steps = steps;
      return { tasks, phis, directions, deltas };
    },
    diagnostics: (s) => ({ innerSteps: s.steps }),
  };

  const linsys: StreamPart<null> = {
    stream: 'linsys',
    init: () => null,
    step(_s, { v }, _t, out) {
      out.set(v);
    },
  };

  const outer = adamOuterPart(fn, outerOpts.outerStep, outerOpts.adamEps, (st, reads) => {
    const a = reads.aux?.z;
    if (!isEsjMetaAux(a)) throw new Error(`${fn}: this step found no meta-batch and directions published with z; run ${fn} with the gauss-seidel schedule (its own)`);
    const { problem, d, cross: b } = st;
    const P = problem.dimX;
    const nTasks = a.tasks.length;
    problem.outerGradX(reads.z, reads.x, a.tasks, d);
    for (let k = 0; k < nTasks; k++) {
      problem.outerGradZ(a.phis.subarray(k * P, (k + 1) * P), reads.x, a.tasks.subarray(k, k + 1), b);
      for (let q = 0; q < Q; q++) {
        const o = (k * Q + q) * P;
        let c = 0;
        for (let i = 0; i < P; i++) c += a.deltas[o + i] * b[i];
        c /= Q * nTasks;
        for (let i = 0; i < P; i++) d[i] += c * a.directions[q * P + i];
      }
    }
  });

  return {
    name: fn,
    citation: 'Sow, Ji, Liang. On the Convergence Theory for Hessian-Free Bilevel Algorithms (ES-based Jacobian, PZOBO-S). NeurIPS 2022.',
    schedule: 'gauss-seidel',
    inner: inner as StreamPart,
    linsys: linsys as StreamPart,
    outer: outer as StreamPart,
    options: { ...adapt, ...outerOpts, directions: Q, smoothing: mu },
  };
}
