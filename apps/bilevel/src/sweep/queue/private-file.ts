import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:fs';
import { InputError } from '@bilevel/io';

/** Largest secret file read (a password or a key is a line, not a document). */
export const MAX_PRIVATE_FILE_BYTES = 4096;

/**
 * Reads a file that holds a secret (a Redis password, the queue's HMAC secret) for `option`: a regular file of at
 * most {@link MAX_PRIVATE_FILE_BYTES} that other users cannot read (mode 600 or 400; refused otherwise, as ssh
 * refuses a readable key; a symbolic link is followed and its target checked), its content trimmed of surrounding whitespace and non-empty. Errors name the option and
 * the file, never the content. A secret in a file stays out of `ps` and of the shell history.
 *
 * @example
 * const password = readPrivateFile('/run/secrets/redis', '--queue-password-file');
 */
export function readPrivateFile(path: string, option: string): string {
  const where = `${option} ${path}`;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new InputError(`cannot read the file (${why})`, where);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError('not a regular file', where);
    if ((stat.mode & 0o077) !== 0) {
      throw new InputError(`other users may read it (mode ${(stat.mode & 0o777).toString(8)}); expected mode 600: chmod 600 ${path}`, where);
    }
    if (stat.size > MAX_PRIVATE_FILE_BYTES) throw new InputError(`${stat.size} bytes; expected a secret of at most ${MAX_PRIVATE_FILE_BYTES} bytes`, where);
    const buffer = Buffer.alloc(MAX_PRIVATE_FILE_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    if (length > MAX_PRIVATE_FILE_BYTES) throw new InputError(`more than ${MAX_PRIVATE_FILE_BYTES} bytes; expected a secret`, where);
    const text = buffer.subarray(0, length).toString('utf8').trim();
    if (text === '') throw new InputError('the file is empty; expected the secret on one line', where);
    return text;
  } finally {
    closeSync(fd);
  }
}
