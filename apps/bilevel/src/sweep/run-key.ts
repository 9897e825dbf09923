import { createHash } from 'node:crypto';
import type { RunSpec } from '../bench/expand-grid';
import { canonicalJson } from './canonical-json';

/**
 * Version of the run-key format: part of every key, raised when {@link RunSpec} or {@link executeRun} change in a
 * way that makes stored results incomparable, so an old sweep folder's runs are pending again rather than reused.
 */
export const RUN_KEY_VERSION = 1;

/**
 * The content address of a run: hex SHA-256 of the canonical JSON ({@link canonicalJson}: keys sorted recursively)
 * of `{ version: RUN_KEY_VERSION, spec }`. Specs equal up to key order have the same key; any change of a field
 * (solver option, seed, budget, problem option, label) gives another one. It names the run's folder in a sweep.
 *
 * @example
 * runKey(expandGrid(grid)[0]); // '3f1c…' (64 hex digits)
 */
export function runKey(spec: RunSpec): string {
  if (spec === null || typeof spec !== 'object' || typeof spec.id !== 'string') {
    throw new TypeError(`runKey: spec is ${spec === null ? 'null' : typeof spec}; expected a RunSpec with an id`);
  }
  return createHash('sha256').update(canonicalJson({ version: RUN_KEY_VERSION, spec })).digest('hex');
}
