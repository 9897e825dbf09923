import type { Finding } from '@bilevel/streams';
import type { BarrierVerdict } from '../neural/verify-barrier';
import type { PipelineEvent } from './training-pipeline';
import type { VerifierResult } from './pipeline-stages';

/** Monitor names of a training's findings, in the report format of the solver runs' monitors. */
export const TRAINING_MONITORS = {
  /** The certificate verifier's verdicts (sampled check, sound branch and bound). */
  verifier: 'certificate-verifier',
  /** The lower level: the certificate LP's status. */
  lp: 'certificate-lp',
  /** The policy stream: a rollout that left float range, a stage that cannot move. */
  policy: 'policy-stream',
} as const;

const fmtState = (x: ArrayLike<number>): string => `[${Array.from(x, (v) => v.toPrecision(4)).join(', ')}]`;

/**
 * What one iteration of a training pipeline tells the runtime monitors' channel (`findings$`), as {@link Finding}s:
 *
 * - the verifier's verdict on a claimed certificate: `verified` (a sound proof) is info; `passed` (a sampled test
 *   found no violation: evidence, not a proof) and `unknown` (the sound verifier ran out of budget) are warnings;
 *   `falsified` is a `counterexample` finding (found during the run, and used by a counterexample-guided stage: it
 *   is not the result) naming the condition and the counterexample, with the worst sampled margin as value and 0 as
 *   bound when the sampled check found it; whether the run's final result is violated is {@link finalFindings}'s;
 * - a certificate LP that did not solve to optimality (the step then uses ∇V alone) is a warning;
 * - a policy stream that diverged (a rollout left float range) is a violation, one that stalled a warning.
 */
export function pipelineFindings(e: PipelineEvent): Finding[] {
  const out: Finding[] = [];
  const it = e.iteration;
  if (e.policy.status === 'diverged') {
    out.push({ level: 'violation', monitor: TRAINING_MONITORS.policy, iteration: it, message: 'a rollout left float range: θ is the last finite policy', value: e.policy.value });
  } else if (e.policy.status === 'stalled') {
    out.push({ level: 'warning', monitor: TRAINING_MONITORS.policy, iteration: it, message: 'the policy stage cannot move (its certificate was not accepted by the verifier)' });
  }
  const c = e.certificate;
  if (c !== null && c.solution !== undefined && c.status !== 'Optimal') {
    out.push({ level: 'warning', monitor: TRAINING_MONITORS.lp, iteration: it, message: `the certificate LP ended with ${c.status}: the step uses the value gradient alone` });
  }
  const v = e.verdict;
  if (v !== null && c !== null) {
    const cStar = { value: c.cStar, bound: 0 };
    const neural = c.barrier !== undefined;
    const claim = neural ? `training loss ${c.cStar.toPrecision(4)}` : `c* = ${c.cStar.toPrecision(4)}`;
    if (v.barrier && v.status !== 'passed') {
      out.push(...barrierVerdictFindings(it, v.barrier));
    } else if (v.status === 'verified') {
      out.push({ level: 'info', monitor: TRAINING_MONITORS.verifier, iteration: it, message: `${v.method}: every condition verified (a proof), ${claim}`, ...cStar });
    } else if (v.status === 'passed') {
      out.push({ level: 'warning', monitor: TRAINING_MONITORS.verifier, iteration: it, message: `${v.method}: no violation in ${v.samples ?? 0} sampled states per condition (evidence, not a proof)`, ...cStar });
    } else if (v.status === 'unknown') {
      const b = v.boxes;
      out.push({ level: 'warning', monitor: TRAINING_MONITORS.verifier, iteration: it, message: `${v.method}: undecided (budget spent${b ? `, ${b.unknown} boxes open` : ''}): not certified`, ...cStar });
    } else {
      const worst = v.conditions?.find((r) => r.name === v.violated);
      out.push({
        level: 'counterexample',
        monitor: TRAINING_MONITORS.verifier,
        iteration: it,
        message: `${v.method}: counterexample found${neural ? ' and used' : ''}: ${v.violated ?? '?'} fails${v.counterexample ? ` at ${fmtState(v.counterexample)}` : ''}`,
        ...(worst ? { value: worst.worstMargin, bound: 0 } : {}),
      });
    }
  }
  return out;
}

/**
 * The findings of one verification of the neural track (verifyBarrier by branch and bound) during training: all
 * four conditions verified is info (a proof); each falsified condition a `counterexample` finding (found and used:
 * it joins the training set; not the result) with its counterexample and f(x) as value (bound: the margin 0 it
 * exceeds); each undecided one a warning with its open boxes (their centres join the training set).
 */
export function barrierVerdictFindings(iteration: number, verdict: BarrierVerdict): Finding[] {
  const monitor = TRAINING_MONITORS.verifier;
  if (verdict.certified) {
    return [{ level: 'info', monitor, iteration, message: `verifyBarrier: all ${verdict.conditions.length} conditions verified in ${verdict.boxes} boxes (a proof)`, value: verdict.boxes }];
  }
  const out: Finding[] = [];
  for (const c of verdict.conditions) {
    const r = c.result;
    if (r.status === 'falsified') {
      out.push({ level: 'counterexample', monitor, iteration, message: `verifyBarrier: counterexample found and used: ${c.name} fails at ${fmtState(r.counterexample)}`, value: r.value, bound: 0 });
    } else if (r.status === 'unknown') {
      out.push({ level: 'warning', monitor, iteration, message: `verifyBarrier: condition ${c.name} undecided, ${r.unresolvedBoxes.length} boxes open after ${r.stats.boxesProcessed}`, value: r.unresolvedBoxes.length });
    }
  }
  return out;
}

/**
 * The findings of a training's end: when it ends without a certificate and its last verdict was falsified, that is
 * the run's result, a `violation` naming the condition and the counterexample (the falsifications before it were
 * `counterexample` findings on the way). Nothing otherwise.
 */
export function finalFindings(iteration: number, certified: boolean, last: Pick<VerifierResult, 'status' | 'method' | 'counterexample' | 'violated'> | null): Finding[] {
  if (certified || last === null || last.status !== 'falsified') return [];
  return [
    {
      level: 'violation',
      monitor: TRAINING_MONITORS.verifier,
      iteration,
      message: `final result not certified: ${last.method} falsified condition ${last.violated ?? '?'}${last.counterexample ? ` at ${fmtState(last.counterexample)}` : ''}`,
    },
  ];
}
