// Module-resolution hooks for tfjs-free-imports.spec.ts: every URL the ESM loader resolves is appended, one a line, to
// the file named by RECORD_RESOLUTIONS (hooks run in their own thread: a file is the simplest channel back).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const file = process.env.RECORD_RESOLUTIONS;
  if (file) appendFileSync(file, `${result.url}\n`);
  return result;
}
