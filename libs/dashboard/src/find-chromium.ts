// Test support: the system's Chromium for the dashboard's browser tests in bilevel and safe-control (Debian's
// `chromium`, installed by .ci/run), driven by playwright-core (which downloads no browser of its own).
import { existsSync } from 'node:fs';

/** Where Debian, Ubuntu and the Chrome packages put the browser; `BILEVEL_CHROMIUM` names another. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * The path of a Chromium to drive, or why there is none. With `BILEVEL_REQUIRE_CHROMIUM=1` (set by .ci/run once it
 * installed the browser) a missing browser is an error for the caller to fail on, not a reason to skip.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string; required: boolean } {
  const named = env.BILEVEL_CHROMIUM;
  const required = env.BILEVEL_REQUIRE_CHROMIUM === '1';
  if (named) return existsSync(named) ? { path: named } : { missing: `BILEVEL_CHROMIUM=${named} does not exist`, required: true };
  const found = CANDIDATES.find((p) => existsSync(p));
  return found ? { path: found } : { missing: `no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium, or set BILEVEL_CHROMIUM)`, required };
}
