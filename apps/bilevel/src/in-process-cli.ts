// Test support: the `bilevel` program run in process with its output captured (shared by the CLI specs).
import { Writable } from 'node:stream';
import type { BilevelProblem } from '@bilevel/problems';
import { buildProblem } from './build-problem';
import { main } from './main';
import type { ProblemBuilder } from './run/run-config';

/** A writable stream that keeps everything written to it as text. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** `bilevel run` builds its problem with this (e.g. {@link sharedQuadratic}) in place of `buildProblem`. */
  readonly buildProblem?: ProblemBuilder;
}

/** Runs `bilevel ARGS` in process (no terminal, no signal handlers): exit code, stdout and stderr. */
export async function cli(args: string[], options: CliOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { stdout, stderr, tty: false, signals: false, ...(options.buildProblem ? { buildProblem: options.buildProblem } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * A problem builder that builds each quadratic problem (by seed) once and hands the same one to every later run,
 * every other problem as `buildProblem` does: a 100-dimensional quadratic takes about a second to build (its
 * whitened rows, an eigendecomposition, the closed form), more than a short run on it. For tests that run many
 * short command lines on the quadratic; its oracles keep no state between calls (scratch buffers only), so a run
 * cannot tell a shared problem from its own.
 */
export function sharedQuadratic(): ProblemBuilder {
  const built = new Map<number, BilevelProblem>();
  return (config) => {
    if (config.problem !== 'quadratic') return buildProblem(config);
    let problem = built.get(config.seed);
    if (!problem) built.set(config.seed, (problem = buildProblem(config)));
    return problem;
  };
}
