import { Rng } from '@bilevel/linalg';
import type { ControlSystem, Policy } from '@bilevel/control';
import { sampleBall } from '@bilevel/control';
import type { DashboardJson, DashboardMessage, DashboardMeta } from '@bilevel/dashboard';
import { finiteOrNull } from '@bilevel/dashboard';
import type { Finding } from '@bilevel/streams';
import { closedLoop } from '../closed-loop';
import type { PipelineEvent } from '../control-pipeline';

/** Grid points per axis of the certificate's values on the page (the report's picture uses 121). */
export const PHASE_GRID = 41;
/** Trajectories of the live phase picture. */
export const PHASE_TRAJECTORIES = 8;
/** The phase picture is redrawn at most this often (ms of wall time), and at the end. */
export const PHASE_INTERVAL_MS = 1000;
/** Points of the initial ball on which a Lyapunov function's drawn level is taken (as phase-picture.ts). */
const LEVEL_SAMPLES = 500;

/** Where a training sends its page's messages: the main thread's session, through the worker's port. */
export interface DashboardPort {
  /** Opens the page (once, when the input is validated): its heading, and `--dashboard-linger`. */
  open(meta: DashboardMeta, linger: number | undefined): void;
  send(message: DashboardMessage): void;
}

/** What `safe-control train` tells its dashboard. */
export interface TrainDashboard {
  event(e: PipelineEvent, trainingSeconds: number): void;
  finding(f: Finding): void;
  ended(outcome: string, certified: boolean, checkpoint: number | null, dir: string): void;
}

/** The page's heading of a training. */
export function trainMeta(system: ControlSystem, track: string, seed: number, maxIter: number, dir: string): DashboardMeta {
  return {
    kind: 'train',
    title: `${system.name} · ${track} track · seed ${seed}`,
    fields: { certificate: system.certificate, states: system.stateNames.join(', '), 'max iterations': maxIter, folder: dir },
    controls: { stop: true, pause: false },
  };
}

const ball = (b: { centre: readonly number[]; radius: number }) => ({ c: [b.centre[0], b.centre[1]], r: b.radius });

/**
 * The phase picture of θ as plain data for the page: the state box (its first two coordinates), the initial, unsafe
 * and domain balls, closed-loop trajectories (those entering the unsafe set flagged), the certificate's values on a
 * PHASE_GRID² grid with its drawn level (a barrier's {B = 0}; a Lyapunov function's max over the initial ball, as
 * phase-picture.ts), and the counterexample. For nx > 2 the plane of the first two states, the rest at the initial
 * set's centre.
 */
export function phaseState(
  system: ControlSystem,
  policy: Policy,
  theta: Float64Array,
  certificate: { evaluate(x: Float64Array): number } | null,
  counterexample: Float64Array | null,
  iteration: number,
  seed: number,
): { [key: string]: DashboardJson } {
  const nx = system.nx;
  const lo = [system.domain.lo[0], system.domain.lo[1]];
  const hi = [system.domain.hi[0], system.domain.hi[1]];
  let grid: DashboardJson = null;
  if (certificate) {
    const x = Float64Array.from(system.initial.centre);
    const values: (number | null)[] = [];
    for (let j = 0; j < PHASE_GRID; j++) {
      for (let i = 0; i < PHASE_GRID; i++) {
        x[0] = lo[0] + (i * (hi[0] - lo[0])) / (PHASE_GRID - 1);
        x[1] = lo[1] + (j * (hi[1] - lo[1])) / (PHASE_GRID - 1);
        values.push(finiteOrNull(certificate.evaluate(x)));
      }
    }
    const level =
      system.certificate === 'barrier' ? 0 : Math.max(...sampleBall(system.initial.centre, system.initial.radius, LEVEL_SAMPLES, Rng.fromSeed(0)).map((p) => certificate.evaluate(p)));
    grid = { n: PHASE_GRID, values, level, label: system.certificate === 'barrier' ? 'B(x) = 0' : `V(x) = ${level.toPrecision(3)} (max on the initial set)` };
  }
  const trajectories = closedLoop(system, policy, theta, PHASE_TRAJECTORIES, seed).map((t) => {
    const pts: number[] = [];
    for (let k = 0; k < t.xs.length / nx; k++) pts.push(t.xs[k * nx], t.xs[k * nx + 1]);
    return { pts, unsafe: t.unsafeStep >= 0 };
  });
  return {
    iteration,
    box: { lo, hi },
    names: [system.stateNames[0], system.stateNames[1]],
    initial: ball(system.initial),
    unsafe: system.unsafe ? ball(system.unsafe) : null,
    domain: system.domainBall ? ball(system.domainBall) : null,
    trajectories,
    grid,
    counterexample: counterexample ? [counterexample[0], counterexample[1]] : null,
    projection: nx > 2 ? `the plane (${system.stateNames[0]}, ${system.stateNames[1]}), the other states at the initial set's centre` : null,
  };
}

/**
 * The messages of a training for its page: per iteration c*(θ), V_θ, ‖Δθ‖ and λ (series `train`), each verdict
 * (method, status, the violated condition, the branch and bound's boxes, samples), the findings, and the phase
 * picture of the current θ redrawn at most every PHASE_INTERVAL_MS (and on a counterexample) with PHASE_TRAJECTORIES
 * trajectories. `now` is the clock in ms (tests).
 */
export function trainDashboard(port: DashboardPort, system: ControlSystem, policy: Policy, seed: number, now: () => number = () => performance.now()): TrainDashboard {
  let lastPhase = -Infinity;
  let certificate: { evaluate(x: Float64Array): number } | null = null;
  return {
    event(e, seconds) {
      port.send({
        type: 'point',
        series: 'train',
        point: { iter: e.iteration, t: finiteOrNull(seconds), cStar: finiteOrNull(e.certificate?.cStar), value: finiteOrNull(e.policy.value), stepNorm: finiteOrNull(e.policy.stepNorm), lambda: finiteOrNull(e.policy.lambda) },
      });
      const v = e.verdict;
      if (v) {
        port.send({
          type: 'item',
          list: 'verdicts',
          item: { iteration: e.iteration, method: v.method, status: v.status, violated: v.violated, boxes: v.boxes ? { verified: v.boxes.verified, falsified: v.boxes.falsified, unknown: v.boxes.unknown } : null, samples: v.samples ?? null },
        });
      }
      if (e.certificate?.certificate) certificate = e.certificate.certificate;
      port.send({ type: 'state', patch: { iteration: e.iteration, solverSeconds: seconds } });
      const t = now();
      if (t - lastPhase >= PHASE_INTERVAL_MS || v?.counterexample || e.stop !== null) {
        lastPhase = t;
        port.send({ type: 'state', patch: { phase: phaseState(system, policy, e.policy.theta, certificate, v?.counterexample ?? null, e.iteration, seed) } });
      }
    },
    finding(f) {
      port.send({
        type: 'item',
        list: 'findings',
        item: { level: f.level, monitor: f.monitor, iteration: f.iteration, message: f.message, value: finiteOrNull(f.value), bound: finiteOrNull(f.bound), stream: f.stream ?? null },
      });
    },
    ended(outcome, certified, checkpoint, dir) {
      port.send({
        type: 'state',
        patch: {
          outcome: certified ? 'certified' : outcome,
          failed: !certified && outcome !== 'interrupted',
          ...(checkpoint !== null && !certified ? { notice: `checkpoint at iteration ${checkpoint}: continue with safe-control train --resume ${dir}` } : {}),
        },
      });
    },
  };
}
