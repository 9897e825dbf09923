/**
 * Calls `visit(line, index)` for each line of `text` (split at `\n`, a trailing `\r` removed; index 0-based), in
 * order, without splitting the whole text into an array: a text of many short lines costs one short string at a
 * time, not one string per line at once. Stops early when `visit` returns false. `from` is the offset to start at.
 *
 * @example forEachLine('a\r\nb\n', (line, i) => console.log(i, line)) // 0 'a', 1 'b', 2 ''
 */
export function forEachLine(text: string, visit: (line: string, index: number) => boolean | void, from = 0): void {
  let start = from;
  for (let index = 0; ; index++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (visit(line, index) === false || nl < 0) return;
    start = nl + 1;
  }
}

/** Number of comma-separated fields of a line (commas + 1), counted without splitting it. */
export function fieldCount(line: string): number {
  let count = 1;
  for (let c = line.indexOf(','); c >= 0; c = line.indexOf(',', c + 1)) count++;
  return count;
}

/**
 * Number of lines of `text` once the trailing lines that are blank (empty or whitespace only) are left out, as
 * `text.split(/\r?\n/)` with those lines popped would count, without building that array.
 */
export function countLinesToLastNonBlank(text: string): number {
  let last = -1;
  forEachLine(text, (line, i) => {
    if (line.trim() !== '') last = i;
  });
  return last + 1;
}
