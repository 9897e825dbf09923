import { readRegularFile } from '@bilevel/io';

/**
 * Reads a data file whole with {@link readRegularFile}: refuses what is not a regular file (a device, a pipe, a
 * socket) and files larger than `maxBytes` before reading them, and stops reading past `maxBytes` if the file grows.
 * Every failure is an {@link InputError} located at the path: no such file, permission denied, a directory, not a
 * regular file, too large.
 */
export function readDataFile(path: string, maxBytes: number): Buffer {
  return readRegularFile(path, {
    maxBytes,
    what: 'data file',
    unreadable: (why) => `cannot read data file (${why})`,
    tooLarge: (size, grew) =>
      grew ? `the file grew past the limit of ${maxBytes} bytes while it was read (option maxBytes)` : `the file has ${size} bytes, more than the limit of ${maxBytes} (option maxBytes)`,
  });
}
