import { readFileSync } from 'node:fs';
import { describeValue } from './describe-value';
import type { TraceRecord } from './trace-writer';

/**
 * Reads a JSON Lines trace written by {@link TraceWriter}: one JSON object per line; blank lines are skipped.
 * A last line without its newline that is not whole JSON is a write that was cut short (a full disk, a crash) and
 * is dropped. Any other line that is not valid JSON, or not an object, throws an error naming the file and the
 * 1-based line number.
 * Values written as `null` in place of NaN/±Infinity come back as `null`: JSON cannot tell which it was.
 *
 * @example
 * const records = readTrace('runs/soba-1/trace.jsonl');
 */
export function readTrace<T extends TraceRecord = TraceRecord>(path: string): T[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`readTrace: path is ${describeValue(path)}; expected a non-empty file path`);
  }
  const text = readFileSync(path, 'utf8');
  const records: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (i === lines.length - 1) break; // no newline after it: an interrupted write
      throw new SyntaxError(`readTrace: ${path}:${i + 1}: invalid JSON (${(err as Error).message}); expected one JSON object per line`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError(`readTrace: ${path}:${i + 1}: the line holds ${describeValue(value)}; expected a JSON object`);
    }
    records.push(value as T);
  }
  return records;
}
