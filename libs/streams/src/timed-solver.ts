import type { Solver, StreamPart } from '@bilevel/solvers';

/** What {@link timedSolver} wraps a part's state in. */
interface TimedState {
  readonly part: unknown;
  stepSeconds: number;
  totalSeconds: number;
}

function timedPart(part: StreamPart, now: () => number): StreamPart<TimedState> {
  return {
    stream: part.stream,
    ...(part.description ? { description: part.description } : {}),
    init: (problem, rng) => ({ part: part.init(problem, rng), stepSeconds: 0, totalSeconds: 0 }),
    step(s, reads, t, out) {
      const t0 = now();
      const published = part.step(s.part, reads, t, out);
      const dt = (now() - t0) / 1000;
      s.stepSeconds = dt;
      s.totalSeconds += dt;
      return published;
    },
    diagnostics: (s) => ({ ...(part.diagnostics ? part.diagnostics.call(part, s.part) : {}), stepSeconds: s.stepSeconds, totalSeconds: s.totalSeconds }),
  };
}

/**
 * The solver with each stream's steps timed: every part's diagnostics gain `stepSeconds` (its last step) and
 * `totalSeconds` (all its steps so far), so a trace can say what the forward solve, the backward pass and the update
 * each cost per step. Wiring, not math: the clock (`performance.now` by default) is read here, around the parts'
 * steps, never inside them. Name, schedule and options are the solver's, so a timed run resumes an untimed one's
 * checkpoint only if both are timed (the wrapper's state is part of the run state).
 *
 * @example run(problem, timedSolver(deqTraining({ backward: 'shine' })), options) // snapshot.diagnostics.inner.stepSeconds
 */
export function timedSolver(solver: Solver, now: () => number = () => performance.now()): Solver {
  return {
    ...solver,
    inner: timedPart(solver.inner, now) as StreamPart,
    linsys: timedPart(solver.linsys, now) as StreamPart,
    outer: timedPart(solver.outer, now) as StreamPart,
  };
}
