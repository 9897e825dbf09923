import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeValue } from './describe-value';
import { errorCode, errorMessage, WriteError } from './write-error';

/** One trace record: a flat or nested JSON-like object (numbers, strings, booleans, null, arrays, Float64Array). */
export type TraceRecord = Record<string, unknown>;

/**
 * Writes a run trace as JSON Lines: one JSON object per line, appended with a single synchronous `fs.writeSync`
 * per record, so every record reaches the file as one complete line before `write` returns, and a crash of the
 * process can at worst lose records, never garble earlier ones. A line is written whole or not at all: when the
 * disk is full (or the file may not grow) part of a line may have reached the file before the error, so the file
 * is cut back to its last whole line and `write` throws a {@link WriteError}; the writer's counts stay those of
 * the whole lines and it may be written to again.
 *
 * Encoding: numbers that are not finite (`NaN`, `±Infinity`) become `null` (JSON has no NaN), typed arrays such as
 * `Float64Array` become plain arrays, `bigint` becomes a decimal string. The parent directory is created if needed.
 *
 * @example
 * const trace = TraceWriter.open('runs/soba-1/trace.jsonl');
 * trace.write({ iter: 0, solverSeconds: 0.01, value: 1.25, hypergradNorm: 3.1 });
 * trace.close();
 */
export class TraceWriter {
  #fd: number | undefined;
  #lines = 0;
  #bytes = 0;
  #dropped = 0;

  private constructor(
    /** The file being written. */
    readonly path: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /** Creates (or truncates) the file at `path` and returns a writer positioned at its start. */
  static open(path: string): TraceWriter {
    if (typeof path !== 'string' || path.length === 0) {
      throw new TypeError(`TraceWriter.open: path is ${describeValue(path)}; expected a non-empty file path`);
    }
    mkdirSync(dirname(path), { recursive: true });
    return new TraceWriter(path, openSync(path, 'w'));
  }

  /**
   * Continues the trace at `path` from a saved position: the file is cut to its first `bytes` bytes (what a
   * checkpoint recorded, dropping lines written after it) and further records are appended. `lines` is the number
   * of records those bytes hold. If those bytes end inside a line (a line without its newline: a write that was
   * cut short by an older writer), that partial line is cut too and counted out of `lines`; {@link droppedBytes}
   * says how many bytes went. Throws if the file is shorter than `bytes` (it is not the trace the position belongs
   * to); a file that cannot be opened for writing throws the system error (EROFS, EACCES…).
   */
  static resume(path: string, position: { readonly bytes: number; readonly lines: number }): TraceWriter {
    const fd = openSync(path, 'r+');
    let bytes = position.bytes;
    try {
      const size = fstatSync(fd).size;
      if (size < position.bytes) {
        throw new Error(`TraceWriter.resume: ${path} holds ${size} bytes but the saved position is ${position.bytes}; expected the trace the checkpoint was taken with`);
      }
      bytes = lastWholeLineEnd(fd, position.bytes);
      ftruncateSync(fd, bytes);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    const writer = new TraceWriter(path, fd);
    writer.#dropped = position.bytes - bytes;
    writer.#lines = Math.max(0, position.lines - (writer.#dropped > 0 ? 1 : 0));
    writer.#bytes = bytes;
    return writer;
  }

  /** Bytes of a partial last line that {@link resume} cut (0 when the saved position ended a line). */
  get droppedBytes(): number {
    return this.#dropped;
  }

  /** Bytes written to the file so far (the position a checkpoint records). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of records written so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#fd === undefined;
  }

  /** Appends `record` as one JSON line, synchronously. */
  write(record: TraceRecord): void {
    if (this.#fd === undefined) {
      throw new Error(`TraceWriter.write: the trace ${this.path} is closed; expected write before close()`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record) || ArrayBuffer.isView(record)) {
      throw new TypeError(`TraceWriter.write: record is ${describeValue(record)}; expected a plain object`);
    }
    let json: string;
    try {
      json = JSON.stringify(record, encodeValue);
    } catch (err) {
      throw new TypeError(`TraceWriter.write: record ${this.#lines} of ${this.path} cannot be encoded as JSON (${(err as Error).message}); expected acyclic plain data`);
    }
    // One buffer, one write call at the end of the whole lines; loop only in the rare case of a short write (a
    // full disk writes what fits, then fails): then the part that reached the file is cut off again.
    const buf = Buffer.from(`${json}\n`, 'utf8');
    let offset = 0;
    try {
      while (offset < buf.length) offset += writeSync(this.#fd, buf, offset, buf.length - offset, this.#bytes + offset);
    } catch (err) {
      try {
        ftruncateSync(this.#fd, this.#bytes);
      } catch {
        // a device that cannot be truncated (e.g. /dev/full) holds no partial line to cut
      }
      throw new WriteError(this.path, `TraceWriter.write: could not write record ${this.#lines} to ${this.path} (${errorMessage(err)}); the trace ends after its last whole line`, { cause: err });
    }
    this.#lines++;
    this.#bytes += buf.length;
  }

  /**
   * Flushes the file to disk (fsync) and closes it. Closing twice is allowed and does nothing. A failed flush is a
   * {@link WriteError} (the file is closed all the same); a file that cannot be flushed at all (a device, a pipe)
   * is closed without one.
   */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'EINVAL' && code !== 'ENOTSUP') {
        throw new WriteError(this.path, `TraceWriter.close: could not flush ${this.path} to disk (${errorMessage(err)})`, { cause: err });
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Where the last whole line of the first `bytes` bytes of the file ends (after its newline; 0 when none). */
function lastWholeLineEnd(fd: number, bytes: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  let end = bytes;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    if (n < end - start) return bytes; // the file changed under us: keep the saved position as it is
    if (end === bytes && chunk[n - 1] === 0x0a) return bytes;
    const i = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}

/** `JSON.stringify` replacer: typed arrays to arrays, bigint to string. NaN and ±Infinity already become `null`. */
function encodeValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  return value;
}
