/** Exit codes of the `bilevel` program. */
export const EXIT = {
  /** The run finished. */
  ok: 0,
  /** An unexpected internal error (a bug): the message and stack are printed. */
  internal: 1,
  /** Bad input: an unknown option, an out-of-range value, a missing or malformed file. Nothing was written. */
  badInput: 2,
  /** The run diverged: a non-finite iterate; the last finite state is reported and saved. */
  diverged: 3,
  /** `--strict`: a runtime monitor reported a violation; the run stopped there and what it had is saved. */
  monitorViolation: 4,
  /**
   * A service the command runs on (the Redis of `bilevel sweep --queue`) stayed unreachable past its timeout; the
   * runs that ended are stored and reported, and the same command resumes.
   */
  unavailable: 5,
  /** Interrupted by SIGINT or SIGTERM; what was computed so far is saved. */
  interrupted: 130,
} as const;
