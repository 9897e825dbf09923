import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeValue } from './describe-value';

/** One trace record: a flat or nested JSON-like object (numbers, strings, booleans, null, arrays, Float64Array). */
export type TraceRecord = Record<string, unknown>;

/**
 * Writes a run trace as JSON Lines: one JSON object per line, appended with a single synchronous `fs.writeSync`
 * per record, so every record reaches the file as one complete line before `write` returns, and a crash of the
 * process can at worst lose records, never garble earlier ones.
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
   * of records those bytes hold. Throws if the file is shorter than `bytes` (it is not the trace the position
   * belongs to).
   */
  static resume(path: string, position: { readonly bytes: number; readonly lines: number }): TraceWriter {
    const fd = openSync(path, 'r+');
    try {
      const size = fstatSync(fd).size;
      if (size < position.bytes) {
        throw new Error(`TraceWriter.resume: ${path} holds ${size} bytes but the saved position is ${position.bytes}; expected the trace the checkpoint was taken with`);
      }
      ftruncateSync(fd, position.bytes);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    closeSync(fd);
    const writer = new TraceWriter(path, openSync(path, 'a'));
    writer.#lines = position.lines;
    writer.#bytes = position.bytes;
    return writer;
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
    // One buffer, one write call; loop only in the rare case of a short write (e.g. a full pipe or disk).
    const buf = Buffer.from(`${json}\n`, 'utf8');
    let offset = 0;
    while (offset < buf.length) offset += writeSync(this.#fd, buf, offset, buf.length - offset);
    this.#lines++;
    this.#bytes += buf.length;
  }

  /** Flushes the file to disk (fsync) and closes it. Closing twice is allowed and does nothing. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** `JSON.stringify` replacer: typed arrays to arrays, bigint to string. NaN and ±Infinity already become `null`. */
function encodeValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  return value;
}
