// A trap for the errors nobody caught while the cases of a fuzz run execute in process.

const TRAP_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
/** Errors nobody caught while {@link withUncaughtTrap} was active. */
const trapped: unknown[] = [];
const trap = (err: unknown) => void trapped.push(err);

/**
 * Drops the process-level error handlers a case installed, the trap's aside (the tfjs wasm backend adds one that
 * rethrows, which would end the process at the next uncaught error instead of letting the trap count it).
 */
export function keepOnlyTrap(): void {
  for (const e of TRAP_EVENTS) for (const l of process.rawListeners(e)) if (l !== trap) process.removeListener(e, l as (...args: unknown[]) => void);
}

/**
 * Collects the errors nobody caught while `body` runs: the test runner's own handlers are set aside (they would
 * fail the test at the first one) and put back after; `body` gets the list the errors go to.
 */
export async function withUncaughtTrap<T>(body: (uncaught: unknown[]) => Promise<T>): Promise<T> {
  const saved = TRAP_EVENTS.map((e) => process.rawListeners(e) as ((...args: unknown[]) => void)[]);
  trapped.length = 0;
  for (const e of TRAP_EVENTS) {
    process.removeAllListeners(e);
    process.on(e, trap);
  }
  try {
    return await body(trapped);
  } finally {
    for (const [k, e] of TRAP_EVENTS.entries()) {
      process.removeAllListeners(e);
      for (const l of saved[k]) process.on(e, l);
    }
  }
}
