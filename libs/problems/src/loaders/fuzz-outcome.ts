// Test support for the loaders' fuzz specs (not exported from the package).
import assert from 'node:assert/strict';
import { InputError } from '@bilevel/io';

/** How the cases of one input kind ended. */
export interface FuzzTally {
  cases: number;
  valid: number;
  inputErrors: number;
  /** Slowest case, in milliseconds of this process's CPU time. */
  slowestMs: number;
  /** Distinct error messages once numbers and quoted text are blanked: how many checks the cases reached. */
  readonly messageShapes: Set<string>;
}

/** This process's CPU time (user + system) in milliseconds: unlike wall time, other programs' load does not add to it. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export const emptyTally = (): FuzzTally => ({ cases: 0, valid: 0, inputErrors: 0, slowestMs: 0, messageShapes: new Set() });

/** Bounds every case must respect. */
export interface FuzzBounds {
  /**
   * CPU time of one case, in milliseconds: this process's user + system time ({@link cpuMs}), so the load other
   * programs put on the machine does not count (a wall-time bound fails on a busy machine); a hang or a blow-up does.
   */
  readonly maxMs: number;
  /** Growth of `process.memoryUsage().arrayBuffers` during the case (the result's own buffers included). */
  readonly maxArrayBufferBytes: number;
}

/**
 * Runs one fuzz case: it must end with a result (then `check` validates it) or an {@link InputError} whose message
 * starts with `source` — never another exception — within `maxMs` of CPU time, and the typed-array memory allocated while it
 * ran (measured without a forced GC, so a large short-lived allocation shows) must stay within the bound.
 */
export function fuzzOutcome<T>(tally: FuzzTally, source: string, bounds: FuzzBounds, run: () => T, check: (result: T) => void): void {
  const before = process.memoryUsage().arrayBuffers;
  const start = cpuMs();
  let result: T | undefined;
  let error: unknown;
  let failed = false;
  try {
    result = run();
  } catch (err) {
    error = err;
    failed = true;
  }
  const ms = cpuMs() - start;
  const grown = process.memoryUsage().arrayBuffers - before;
  tally.cases++;
  tally.slowestMs = Math.max(tally.slowestMs, ms);
  if (failed && !(error instanceof InputError)) {
    const e = error as Error;
    assert.fail(`expected a result or an InputError, got ${e?.name}: ${String(e?.message).slice(0, 300)}`);
  }
  assert.ok(ms <= bounds.maxMs, `a case took ${ms.toFixed(0)} ms (bound ${bounds.maxMs} ms)`);
  assert.ok(grown <= bounds.maxArrayBufferBytes, `a case allocated ${grown} bytes of typed arrays (bound ${bounds.maxArrayBufferBytes})`);
  if (failed) {
    const message = (error as InputError).message;
    assert.ok(message.startsWith(`${source}: `) && message.length > source.length + 10, `the InputError does not say where or what: ${message}`);
    tally.inputErrors++;
    tally.messageShapes.add(
      message
        .slice(source.length + 2)
        .replace(/"(?:[^"\\]|\\.)*"?/g, '"…"')
        .replace(/\([^)]*\)/g, '(…)')
        .replace(/[0-9][0-9a-fx.e+×-]*/g, '#'),
    );
  } else {
    check(result as T);
    tally.valid++;
  }
}

/** One line for the test log: `kind: N cases (v valid, e InputError of k kinds), slowest t ms`. */
export function formatTally(kind: string, t: FuzzTally): string {
  return `${kind}: ${t.cases} cases (${t.valid} valid, ${t.inputErrors} InputError of ${t.messageShapes.size} kinds), slowest ${t.slowestMs.toFixed(1)} ms`;
}
