import type { DataCleaning, LogregHpo } from '@bilevel/problems';
import { DATA_CLEANING_STEPS, dataCleaning } from '@bilevel/problems';
import type { PeerSteps } from './export-problem';

/** The problems of the peer comparison. */
export type PeerTaskName = 'logreg-hpo' | 'datacleaning';

/** The SABA steps of `bilevel run` on logreg-hpo: batch 32, the solver's default ρ = γ = 0.1 (apps/bilevel/src/problem-defaults.ts). */
export const LOGREG_STEPS: PeerSteps = { batchSize: 32, innerStep: 0.1, outerStep: 0.1 };

/** SABA's settings of a task. */
export function peerSteps(name: PeerTaskName): PeerSteps {
  return name === 'logreg-hpo' ? LOGREG_STEPS : DATA_CLEANING_STEPS;
}

/** `bilevel run`'s configuration of the logistic task: bundled breast cancer split 60/40 by seed 0, standardized on the training split, scalar L2 weight. */
export const LOGREG_CONFIG = { problem: 'logreg-hpo', reg: 'scalar', standardize: 'train', seed: 0 } as const;

/**
 * Data cleaning on Fashion-MNIST from `dir` with the problem's defaults (n = 20,000, m = 5,000, p = 0.5, C = 0.01,
 * data seed 0), or on the bundled subset when `dir` is undefined: what `bilevel run --problem datacleaning` builds.
 */
export function cleaningProblem(dir: string | undefined): DataCleaning {
  return dir ? dataCleaning({ dir }) : dataCleaning({});
}

/**
 * The problem of a task as peer-task.ts's `peerProblem` builds it, for the timed processes: toolkit-child.ts and
 * its worker threads (rebuild-peer.ts). The CLI (for logreg-hpo's `buildProblem`) is loaded only when needed, so
 * that a data-cleaning process carries the problem, the solver and the drivers and not the CLI's module graph
 * (≈ 60 MB resident: the peak memory is the implementation's, as the Python peers' is theirs).
 */
export async function loadPeerProblem(name: PeerTaskName, dir: string | undefined): Promise<LogregHpo | DataCleaning> {
  if (name === 'logreg-hpo') return (await import('@bilevel/cli')).buildProblem(LOGREG_CONFIG) as LogregHpo;
  return cleaningProblem(dir);
}
