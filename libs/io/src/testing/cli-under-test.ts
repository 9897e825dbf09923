// The program a fuzz run drives: its name, how to run it in process, and its exit codes.

/** What one in-process run of a command-line program gives back: its exit code and everything it printed. */
export interface CliOutput {
  /** The exit code. */
  readonly code: number;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/**
 * A command-line program run in process, as the fuzzer sees it, with its exit codes.
 */
export interface CliUnderTest {
  /** The program's name, the prefix of its error lines: `bilevel` for `bilevel: error: …`. */
  readonly name: string;
  /** Runs the program in process on `argv` (without the program name) and captures its output. */
  readonly run: (argv: string[]) => Promise<CliOutput>;
  /** The exit code of success (and of `--help`). */
  readonly ok: number;
  /** The exit code of an internal error (a bug): a case that ends with it fails. */
  readonly internal: number;
  /** The exit code of bad input: a case that ends with it must print one error line and write nothing. */
  readonly badInput: number;
  /** Every exit code a case may end with, and the outcome it means (`0 → 'ran'`, `2 → 'bad-input'`, …). */
  readonly documented: ReadonlyMap<number, string>;
}
