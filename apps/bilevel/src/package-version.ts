import { readFileSync } from 'node:fs';

/**
 * The program's version, from its package.json (one folder up from src/ in a checkout, and from dist/ in an
 * installed package), for `--version`. A package.json that cannot be read gives "unknown" rather than an error:
 * `--version` must never fail.
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
