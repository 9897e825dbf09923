/**
 * Bad input from a user (a file, a value, an option): the message says what was wrong, where, and what was
 * expected. Programs report it in one line and exit with code 2.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    /** Where: a file path, `path:line`, or an option name. */
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
  }
}
