import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './input-error';
import { fsErrorReason } from './fs-error-reason';

/** Options of {@link readRegularFile}. */
export interface ReadRegularFileOptions {
  /** The largest file read, in bytes: a larger one is refused by its size before reading, and reading stops past it. */
  readonly maxBytes: number;
  /** What the file is, for messages: `data file`, `configuration file`. */
  readonly what: string;
  /** The message of a file that cannot be read, given why (default: `cannot read the <what> (<why>)`). */
  readonly unreadable?: (why: string) => string;
  /**
   * The message of a file over `maxBytes`, given its size; `grew` when the size found before reading was within the
   * limit but more bytes came (a file growing under us). Default: `<size> bytes, more than the limit of <maxBytes>`.
   */
  readonly tooLarge?: (size: number, grew: boolean) => string;
}

/** What a file that is not a regular file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

const NOT_REGULAR = (kind: string) => `not a regular file but ${kind}; devices, pipes and sockets are not read, give a file`;

/** The reason of a failed open or read, in words. */
function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENXIO') return NOT_REGULAR('a socket');
  return fsErrorReason(err);
}

/** Reads of at most this many bytes each (the buffer grows by doubling up to the size found). */
const CHUNK = 1 << 16;

/**
 * Reads a file given by the user whole, safely: the file is opened without blocking (a FIFO with no writer cannot
 * hang the program), `fstat`ed, and refused unless it is a regular file (a device such as `/dev/zero`, a pipe or a
 * socket reports size 0 and never ends); a file larger than `maxBytes` is refused by its size before any byte is
 * read; and the read itself counts the bytes that arrive and stops one past `maxBytes`, so a file that grows while
 * it is read is bounded too. Every failure is one {@link InputError} at `path`.
 *
 * @example readRegularFile('run.json', { maxBytes: 1 << 20, what: 'configuration file' })
 */
export function readRegularFile(path: string, options: ReadRegularFileOptions): Buffer {
  const { maxBytes, what } = options;
  const unreadable = options.unreadable ?? ((reason: string) => `cannot read the ${what} (${reason})`);
  const tooLarge =
    options.tooLarge ?? ((size: number, grew: boolean) => (grew ? `grew past the limit of ${maxBytes} bytes while it was read` : `${size} bytes, more than the limit of ${maxBytes}`));
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; no effect on regular files
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new InputError(unreadable(why(err)), path);
  }
  try {
    let st: Stats;
    try {
      st = fstatSync(fd);
    } catch (err) {
      throw new InputError(unreadable(why(err)), path);
    }
    if (st.isDirectory()) throw new InputError(unreadable('is a directory'), path);
    if (!st.isFile()) throw new InputError(unreadable(NOT_REGULAR(kindOf(st))), path);
    if (st.size > maxBytes) throw new InputError(tooLarge(st.size, false), path);
    let buffer = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        if (filled > maxBytes) throw new InputError(tooLarge(maxBytes, true), path);
        const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(2 * buffer.length, CHUNK)));
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      let got: number;
      try {
        got = readSync(fd, buffer, filled, Math.min(buffer.length - filled, 1 << 30), null);
      } catch (err) {
        throw new InputError(unreadable(why(err)), path);
      }
      if (got === 0) break;
      filled += got;
    }
    if (filled > maxBytes) throw new InputError(tooLarge(maxBytes, true), path);
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
