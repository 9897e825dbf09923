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
  /** Interrupted by SIGINT or SIGTERM; what was computed so far is saved. */
  interrupted: 130,
} as const;
