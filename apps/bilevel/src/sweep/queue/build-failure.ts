import { InputError } from '@bilevel/io';
import type { RunResult } from '../../bench/execute-run';
import { FLOAT64_BACKEND } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';

/**
 * The result a worker returns for a run whose problem could not be built, and the full message for its own log.
 * Loaders quote what they could not parse (`line 1: expected a number, received "root:$6$…"`), and a worker's
 * result goes to whoever queued the run, so the returned message names the error's kind and where it happened
 * (one of the run's own data paths, with a line and column when the loader gave them) and nothing the files hold.
 *
 * @example
 * const { result, detail } = buildFailure(spec, err); log.warn({ detail }, 'cannot build'); return result;
 */
export function buildFailure(spec: RunSpec, err: unknown): { readonly result: RunResult; readonly detail: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const paths = [spec.problem.config.train, spec.problem.config.val, spec.problem.config.data].filter((p): p is string => typeof p === 'string');
  const where = e instanceof InputError && typeof e.where === 'string' ? safeWhere(e.where, paths) : undefined;
  const name = /^[A-Za-z]{1,40}$/.test(e.name) ? e.name : 'Error';
  const message = `cannot build the problem ${spec.problem.label} (${name}${where ? ` at ${where}` : ''}); the details may quote the data and are in the worker's log only`;
  return {
    result: {
      id: spec.id,
      spec,
      status: 'error',
      error: { name: 'ProblemBuildError', message },
      backend: FLOAT64_BACKEND,
      iterations: 0,
      solverSeconds: 0,
      oracleCalls: 0,
      evaluationSeconds: 0,
      wallSeconds: 0,
      points: [],
    },
    detail: e.message,
  };
}

/** `where` when it is one of the run's paths (a file inside a data folder included), with at most `:line[:column]`. */
function safeWhere(where: string, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    if (!where.startsWith(path)) continue;
    const rest = where.slice(path.length);
    if (/^(\/[\w.-]{1,100})?(:\d{1,12}){0,2}$/.test(rest)) return where;
  }
  return undefined;
}
