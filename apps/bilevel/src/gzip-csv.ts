// Test support: decompression bombs, written as a stream so that the test never holds the text whole.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** Writes a gzipped CSV: the `header` line, then `rows` lines of `cols` zeros and a label alternating 0, 1. */
export async function gzipCsv(path: string, header: string, rows: number, cols: number): Promise<void> {
  const zeros = '0,'.repeat(cols);
  const lines = (function* () {
    yield `${header}\n`;
    for (let i = 0; i < rows; i++) yield `${zeros}${i % 2}\n`;
  })();
  await pipeline(Readable.from(lines), createGzip(), createWriteStream(path));
}
