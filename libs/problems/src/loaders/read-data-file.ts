import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../input-error';

/**
 * Reads a data file whole, refusing files larger than `maxBytes` before reading them. Every failure is an
 * {@link InputError} located at the path: no such file, permission denied, a directory, too large.
 */
export function readDataFile(path: string, maxBytes: number): Buffer {
  try {
    const size = statSync(path).size;
    if (size > maxBytes) {
      throw new InputError(`the file has ${size} bytes, more than the limit of ${maxBytes} (option maxBytes)`, path);
    }
    return readFileSync(path);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    throw new InputError(`cannot read data file (${why})`, path);
  }
}
