import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { describeValue } from './describe-value';
import { decodeCheckpoint } from './checkpoint-decode';
import type { DecodedCheckpoint } from './checkpoint-decode';
import { CheckpointError } from './checkpoint-error';
import { CHECKPOINT_DEFAULT_MAX_BYTES } from './checkpoint-format';

/** Options of {@link readCheckpoint}. */
export interface ReadCheckpointOptions {
  /** The kind expected, e.g. `'bilevel-run'`. */
  kind: string;
  /** Refuse files larger than this (checked before reading). Default 1 GiB. */
  maxBytes?: number;
  /** If `path` is missing or defective, load `path + '.prev'` instead, and say so in the result. Default false. */
  fallbackToPrevious?: boolean;
}

/** A checkpoint read from disk, with where it came from. */
export interface ReadCheckpointResult extends DecodedCheckpoint {
  /** The file actually loaded: `path`, or `path + '.prev'` after a fallback. */
  path: string;
  /** True when `path` was unusable and `path + '.prev'` was loaded. */
  fromPrevious: boolean;
  /** Why `path` was unusable, when `fromPrevious` is true. */
  reason?: string;
}

/**
 * Reads and verifies the checkpoint at `path` (see `decodeCheckpoint` for the checks). The size is checked with
 * fstat before anything is read, so an oversized file costs no memory. With `fallbackToPrevious`, a missing or
 * defective `path` makes it load `path + '.prev'` (as kept by `writeCheckpoint`) and report that through
 * `fromPrevious` and `reason`; without it, the error mentions whether a `.prev` file exists.
 *
 * @throws CheckpointError naming the file and the defect (code `'io'` when it cannot be read at all).
 * @example
 * const cp = readCheckpoint('runs/saga-1/checkpoint.bin', { kind: 'bilevel-run', fallbackToPrevious: true });
 * if (cp.fromPrevious) console.warn(`using ${cp.path}: ${cp.reason}`);
 */
export function readCheckpoint(path: string, options: ReadCheckpointOptions): ReadCheckpointResult {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`readCheckpoint: path is ${describeValue(path)}; expected a non-empty file path`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`readCheckpoint: options is ${describeValue(options)}; expected an object { kind, maxBytes?, fallbackToPrevious? }`);
  }
  const { kind, maxBytes = CHECKPOINT_DEFAULT_MAX_BYTES, fallbackToPrevious = false } = options;
  if (typeof fallbackToPrevious !== 'boolean') {
    throw new TypeError(`readCheckpoint: options.fallbackToPrevious is ${describeValue(fallbackToPrevious)}; expected a boolean`);
  }
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new TypeError(`readCheckpoint: options.kind is ${describeValue(kind)}; expected a non-empty string`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new TypeError(`readCheckpoint: options.maxBytes is ${describeValue(maxBytes)}; expected a positive integer`);
  }
  const prev = `${path}.prev`;
  try {
    return { ...readOne(path, kind, maxBytes), path, fromPrevious: false };
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err;
    if (!fallbackToPrevious) {
      const hint = readable(prev) ? ` (a previous checkpoint exists at ${prev}; pass fallbackToPrevious to use it)` : '';
      throw hint ? new CheckpointError(err.code, err.source, err.message + hint, { cause: err }) : err;
    }
    try {
      return { ...readOne(prev, kind, maxBytes), path: prev, fromPrevious: true, reason: err.message };
    } catch (err2) {
      if (!(err2 instanceof CheckpointError)) throw err2;
      throw new CheckpointError(err.code, path, `readCheckpoint: no usable checkpoint: ${err.message}; and the fallback failed too: ${err2.message}`, { cause: err2 });
    }
  }
}

function readOne(path: string, kind: string, maxBytes: number): DecodedCheckpoint {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CheckpointError('io', path, `readCheckpoint: cannot open ${path} (${(err as Error).message})`, { cause: err });
  }
  let bytes: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new CheckpointError('too-large', path, `readCheckpoint: ${path} is ${size} bytes; expected at most maxBytes = ${maxBytes}`);
    bytes = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const r = readSync(fd, bytes, got, size - got, got);
      if (r === 0) break;
      got += r;
    }
    if (got < size) bytes = bytes.subarray(0, got); // shrank while reading: the decoder reports the truncation
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError('io', path, `readCheckpoint: cannot read ${path} (${(err as Error).message})`, { cause: err });
  } finally {
    closeSync(fd);
  }
  return decodeCheckpoint(bytes, { kind, maxBytes, source: path });
}

function readable(path: string): boolean {
  try {
    closeSync(openSync(path, 'r'));
    return true;
  } catch {
    return false;
  }
}
