// `safe-control train --dashboard` in a real headless Chromium (the system's, driven by playwright-core): the page of
// a training served by the main thread while the worker thread trains, c* and V charted as iterations complete, the
// phase picture drawn for the current θ, no console error; Stop ends the training through the Ctrl-C path (exit 130,
// checkpoint, report "interrupted"). Waits are for events only; screenshots go to a temp folder (BILEVEL_SCREENSHOTS).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { findChromium } from '@bilevel/dashboard';

const BIN = fileURLToPath(new URL('../../bin/safe-control.mjs', import.meta.url));
/** Safety nets only: every wait ends on an event long before these. */
const START_TIMEOUT_MS = 180_000;
const EVENT_TIMEOUT_MS = 180_000;

const browserPath = findChromium();
const skip = 'missing' in browserPath && !browserPath.required ? browserPath.missing : false;
const shots = process.env.BILEVEL_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'dashboard-shots-'));
mkdirSync(shots, { recursive: true });

/** The little of the DOM the waits read (this file is type-checked without the DOM library). */
type Dom = { document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null } };

describe('safe-control train --dashboard in headless Chromium', { skip }, () => {
  if ('missing' in browserPath && browserPath.required) {
    test('a Chromium is installed (BILEVEL_REQUIRE_CHROMIUM=1)', () => assert.fail(browserPath.missing));
    return;
  }
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-train-'));
  before(async () => {
    browser = await chromium.launch({ executablePath: (browserPath as { path: string }).path, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: START_TIMEOUT_MS });
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('c* and V charted live, the phase picture of the current θ, Stop ends the training with its checkpoint', async () => {
    // Arrange: lane-keeping (about a second per iteration) with a budget no test reaches
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [BIN, 'train', '--system', 'lane-keeping', '--max-iter', '100000', '--out', out, '--json', '--log-level', 'warn', '--dashboard'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no dashboard address; stderr:\n${stderr}`)), START_TIMEOUT_MS);
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exit.then((code) => reject(new Error(`safe-control exited (${code}) before printing the address; stderr:\n${stderr}`)));
      });
      child.stdout.resume();
      const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
      page.setDefaultTimeout(EVENT_TIMEOUT_MS);
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));

      // Act / Assert: the page, two iterations charted, the phase picture drawn for one of them
      await page.goto(url);
      await page.waitForSelector('#status.running');
      assert.match((await page.textContent('#title')) ?? '', /^lane-keeping · polynomial track · seed 0$/);
      await page.waitForFunction((n) => Number((globalThis as unknown as Dom).document.querySelector('#chart-cstar')?.getAttribute('data-points')) >= n, 2);
      await page.waitForFunction(() => (globalThis as unknown as Dom).document.querySelector('#phase')?.getAttribute('data-iteration') !== null);
      assert.match((await page.textContent('#phase-note')) ?? '', /θ of iteration \d+: green the initial set/);
      await page.screenshot({ path: join(shots, 'train-live.png'), fullPage: true });

      // Stop: the Ctrl-C path of the training (flag and message to the worker), a checkpoint, exit 130
      await page.click('#stop');
      await page.waitForSelector('#status.ended');
      assert.equal(await page.textContent('#status'), 'ended: interrupted');
      assert.match((await page.textContent('#notice')) ?? '', /checkpoint at iteration \d+: continue with safe-control train --resume/);
      assert.deepEqual(errors, []);
      await page.close();
      assert.equal(await exit, 130);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { outcome: string; checkpoint: { iteration: number } | null };
      assert.equal(report.outcome, 'interrupted');
      assert.ok(report.checkpoint && existsSync(join(out, 'checkpoint.bin')));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
