/** Exit codes of the `safe-control` program. */
export const EXIT = {
  /** Done: certified (train, verify), or the baseline / simulation finished. */
  ok: 0,
  /** An unexpected internal error (a bug): the message and stack are printed. */
  internal: 1,
  /** Bad input: an unknown option or system, an out-of-range value, a missing or malformed file. Nothing was written. */
  badInput: 2,
  /** Not certified: training ended without an accepted certificate, or verify found a violation (counterexample printed). */
  notCertified: 3,
  /**
   * An output file could not be written (disk full, read-only folder…): one line naming the file and the cause;
   * the last good checkpoint is kept (continue with `train --resume` once there is room). The code bilevel uses.
   */
  writeFailed: 6,
  /** Interrupted by SIGINT or SIGTERM; what was computed so far is saved. */
  interrupted: 130,
} as const;

/** The exit codes as `--help` lists them (unindented, so that no line reads as a command or an option). */
export const EXIT_HELP = `
Exit codes: 0 done: certified (train, verify), or the baseline / simulation finished; 1 internal error (a bug:
message and stack printed); 2 bad input (one message naming the option or file, nothing written); 3 not
certified (train), or verify found a violation; 6 an output file could not be written (disk full, read-only
folder…): one line naming the file and the cause, the last good checkpoint is kept; 130 interrupted (Ctrl-C,
SIGTERM): what was computed so far is saved.`;
