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
  /**
   * An output file could not be written (disk full, read-only folder…): one line naming the file and the cause;
   * the run stopped there and the last good checkpoint is kept (continue with `--resume` once there is room).
   */
  writeFailed: 6,
  /** Interrupted by SIGINT or SIGTERM; what was computed so far is saved. */
  interrupted: 130,
} as const;

/** The exit codes as `--help` lists them (unindented, so that no line reads as a command or an option). */
export const EXIT_HELP = `
Exit codes: 0 done; 1 internal error (a bug: message and stack printed); 2 bad input (one message naming the
option or file, nothing written); 3 the run diverged (the summary holds the last finite state); 4 --strict: a
runtime monitor reported a violation; 5 a service the command runs on (the Redis of sweep --queue) stayed
unreachable, the same command resumes; 6 an output file could not be written (disk full, read-only folder…): one
line naming the file and the cause, the last good checkpoint is kept; 130 interrupted (Ctrl-C, SIGTERM): what
was computed so far is saved.`;
