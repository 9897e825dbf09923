// `bilevel run --dashboard` in a real headless Chromium (the system's, driven by playwright-core): the page loads
// with no console error, its charts receive points while the run goes on, Pause holds the run and Resume lets it go,
// Stop ends the run with its checkpoint (exit 130, summary "interrupted"), Close ends the program, a monitor's
// finding appears on a bad run, and requests without the token are refused. Every wait is for an event (a selector,
// a value on the page, the program's exit), with generous safety timeouts only; screenshots go to a temp folder
// (BILEVEL_SCREENSHOTS names another), written in the test output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { findChromium } from '@bilevel/dashboard';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const BIN = join(REPO, 'apps/bilevel/bin/bilevel.mjs');
/** Safety nets only: no test waits for a time, every wait ends on an event long before these. */
const START_TIMEOUT_MS = 180_000;
const EVENT_TIMEOUT_MS = 120_000;
/** A budget of iterations no test reaches: the runs end by the page's Stop. */
const ENDLESS = '1000000000';

const browserPath = findChromium();
const skip = 'missing' in browserPath && !browserPath.required ? browserPath.missing : false;
const shots = process.env.BILEVEL_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'dashboard-shots-'));
mkdirSync(shots, { recursive: true });

/** `bilevel ARGS` in a child process (a run with --dashboard, or a replay), with the page's address read from its stderr. */
class DashboardRun {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  readonly url: Promise<string>;
  readonly exit: Promise<number | null>;

  constructor(readonly out: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.url = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard address within ${START_TIMEOUT_MS} ms; stderr:\n${this.stderr}`)), START_TIMEOUT_MS);
      this.child.stderr?.on('data', (chunk: Buffer) => {
        this.stderr += chunk.toString();
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(this.stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      void this.exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`bilevel exited (${code}) before printing the dashboard address; stderr:\n${this.stderr}`));
      });
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
  }

  /** Kills the node process itself (a safety net when a test failed half-way). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Resolves with the exit code, or rejects after the safety timeout. */
function exited(run: DashboardRun): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([run.exit, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`bilevel did not exit; stderr:\n${run.stderr}`)), EVENT_TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
}

/** The number of points a chart of the page holds (its data-points attribute). */
async function pointsOf(page: Page, chart: string): Promise<number> {
  return Number(await page.getAttribute(`#chart-${chart}`, 'data-points'));
}

/** The little of the DOM the waits read (this file is type-checked without the DOM library). */
type Dom = { document: { querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null } };

/** Waits until a chart of the page holds at least `min` points (the page's script sets data-points as it draws). */
async function waitForPoints(page: Page, chart: string, min: number): Promise<void> {
  // a function, not a string: the page's Content-Security-Policy forbids evaluating strings
  await page.waitForFunction(([id, n]) => Number((globalThis as unknown as Dom).document.querySelector(id)?.getAttribute('data-points')) >= n, [`#chart-${chart}`, min] as const);
}

/** Waits until the page's header shows an iteration past `n`. */
async function waitForIterationPast(page: Page, n: number): Promise<void> {
  await page.waitForFunction((past) => Number(/iteration (\d+)/.exec((globalThis as unknown as Dom).document.querySelector('#progress')?.textContent ?? '')?.[1] ?? -1) > past, n);
}

/** The iteration shown in the page's header. */
async function iterationShown(page: Page): Promise<number> {
  const m = /iteration (\d+)/.exec((await page.textContent('#progress')) ?? '');
  return m ? Number(m[1]) : -1;
}

describe('bilevel run --dashboard in headless Chromium', { skip }, () => {
  if ('missing' in browserPath && browserPath.required) {
    test('a Chromium is installed (BILEVEL_REQUIRE_CHROMIUM=1)', () => assert.fail(browserPath.missing));
    return;
  }
  let browser: Browser;
  /** The folder of the run stopped from the page (replayed by the last test). */
  let stopped: string | undefined;
  const runs: DashboardRun[] = [];
  const dirs: string[] = [];
  const newRun = (args: readonly string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-run-'));
    dirs.push(dir);
    const out = join(dir, 'out');
    const r = new DashboardRun(out, ['run', '--dashboard', '--out', out, '--json', '--log-level', 'warn', ...args]);
    runs.push(r);
    return r;
  };

  before(async () => {
    browser = await chromium.launch({ executablePath: (browserPath as { path: string }).path, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: START_TIMEOUT_MS });
  });
  after(async () => {
    for (const r of runs) r.kill();
    await browser?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('the page of a run: no console error, live points, the schedule, pause and resume, Stop ends the run with its checkpoint, Close ends the program; no token, no page', async (t) => {
    // Arrange: the default task with no end in sight
    const run = newRun(['--max-iter', ENDLESS]);
    const url = await run.url;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    page.setDefaultTimeout(EVENT_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));

    // Act and assert: the page loads, its charts receive points while the run goes on
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#status.running');
    assert.match((await page.textContent('#title')) ?? '', /logreg-hpo · saba · seed 0/);
    await waitForPoints(page, 'norms', 2);
    await waitForPoints(page, 'norms', (await pointsOf(page, 'norms')) + 1);
    await waitForPoints(page, 'gap', 2);
    for (const chart of ['gap', 'grad', 'norms', 'steps', 'calls']) assert.ok((await pointsOf(page, chart)) > 0, `chart ${chart} has points`);
    assert.equal(await page.locator('#chart-norms canvas').count(), 1, 'uPlot drew the norms');
    assert.equal(await page.locator('#schedule tr').count(), 4, 'the schedule table: a header and the three streams');
    await page.screenshot({ path: join(shots, 'run-live.png'), fullPage: true });

    // Pause holds the run; Resume lets it go on
    await page.click('#pause');
    await page.waitForSelector('#status.paused');
    await page.waitForSelector('#resume:not([hidden])');
    const held = await iterationShown(page);
    await page.click('#resume');
    await page.waitForSelector('#status.running');
    await waitForIterationPast(page, held);

    // requests without the token (or with another) are refused, the page's own included
    const bare = url.replace(/\?token=.*$/, '');
    assert.equal((await fetch(bare)).status, 403);
    assert.equal((await fetch(`${bare}?token=not-the-token`)).status, 403);
    assert.equal((await fetch(`${bare}events`)).status, 403);
    assert.equal((await fetch(`${bare}action/stop`, { method: 'POST' })).status, 403);
    assert.equal((await fetch(`${bare}action/stop`, { method: 'POST', headers: { 'x-dashboard-token': 'not-the-token' } })).status, 403);
    const stranger = await browser.newPage();
    assert.equal((await stranger.goto(bare))?.status(), 403);
    await stranger.close();
    assert.equal(run.child.exitCode, null, 'the refused stop did not stop the run');

    // Stop: the program's Ctrl-C path, a checkpoint, the summary, exit 130; the page stays until it is closed
    await page.click('#stop');
    await page.waitForSelector('#status.ended');
    assert.equal(await page.textContent('#status'), 'ended: interrupted');
    await page.waitForSelector('#notice:not([hidden])');
    assert.match((await page.textContent('#notice')) ?? '', /checkpoint at iteration \d+: continue with bilevel run --resume/);
    await page.waitForSelector('#close:not([hidden])');
    await page.screenshot({ path: join(shots, 'run-stopped.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console error while the run was served');
    await page.click('#close');
    assert.equal(await exited(run), 130);
    const summary = JSON.parse(readFileSync(join(run.out, 'summary.json'), 'utf8')) as { status: string; iterations: number; checkpoint?: { iteration: number } };
    assert.equal(summary.status, 'interrupted');
    assert.ok(existsSync(join(run.out, 'checkpoint.bin')), 'the checkpoint is written');
    assert.equal(summary.checkpoint?.iteration, summary.iterations, 'the checkpoint is of the last iteration');
    assert.match(run.stderr, /stop from the dashboard/);
    stopped = run.out;
    await page.close();
    t.diagnostic(`screenshots: ${shots}`);
  });

  test('a bad run: the monitor finding appears on the page, linked to its iteration', async () => {
    // Arrange: an inner step above 2/L (the linear system's iteration diverges: a violation; SAGA's sufficient bound
    // 1/(3·L_max) is 150 times smaller), with the monitors on
    const run = newRun(['--max-iter', ENDLESS, '--monitor', 'default', '--inner-step', '0.5']);
    const url = await run.url;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    page.setDefaultTimeout(EVENT_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));

    // Act
    await page.goto(url);
    const finding = page.locator('#findings li.violation').first();
    await finding.waitFor();

    // Assert: level, monitor, stream, the value against the bound, and its iteration marked on click
    const text = (await finding.textContent()) ?? '';
    assert.match(text, /^iteration 0 violation · theorem \[inner\]: saba\.innerStep = 0\.500 exceeds 2\/L = 0\.466/);
    assert.ok(Number(await page.textContent('#findings-count')) >= 1);
    // a real mouse click on the link: the page keeps a finding's element across the frames that bring points (it
    // once rebuilt the list at every frame, and under load a press and its release landed on two copies of the link:
    // no click, 120 s waiting for the mark), so the link found before a frame is still the one on the page after it
    const link = await finding.locator('a').elementHandle();
    assert.ok(link);
    await waitForPoints(page, 'norms', 2);
    await waitForPoints(page, 'norms', (await pointsOf(page, 'norms')) + 1);
    assert.equal(await link.evaluate((a) => (a as unknown as { isConnected: boolean }).isConnected), true, 'the same link after frames with points');
    await link.click();
    await page.waitForSelector('#findings li.violation.marked');
    await page.screenshot({ path: join(shots, 'run-finding.png'), fullPage: true });

    // the run ends by the page's Stop; the page closed, the program ends by itself
    await page.click('#stop');
    await page.waitForSelector('#status.ended');
    assert.deepEqual(errors, []);
    await page.close();
    assert.equal(await exited(run), 130);
  });

  test('bilevel dashboard DIR replays the stopped run from its trace and summary', async () => {
    assert.ok(stopped, 'the first test left its run folder');
    const rows = readFileSync(join(stopped, 'trace.jsonl'), 'utf8').trim().split('\n').filter((l) => !l.startsWith('{"finding"')).length;
    const replay = new DashboardRun(stopped, ['dashboard', stopped]);
    runs.push(replay);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.setDefaultTimeout(EVENT_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await replay.url);
    await page.waitForSelector('#status.ended');
    assert.equal(await page.textContent('#status'), 'ended: interrupted');
    assert.match((await page.textContent('#title')) ?? '', /\(replay\)$/);
    await waitForPoints(page, 'gap', rows);
    assert.equal(await pointsOf(page, 'gap'), rows, 'every evaluated row, as h − h*');
    assert.equal(await page.locator('#stop:not([hidden]), #pause:not([hidden])').count(), 0, 'a replay has no Stop or Pause');
    assert.equal(await page.locator('#panel-norms, #panel-schedule').count(), 0, 'nor the live samples, which the trace does not hold');
    await page.screenshot({ path: join(shots, 'replay.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
    assert.equal(await exited(replay), 0, 'the page closed, the replay ends');
  });

  test('bilevel sweep --dashboard: the grid as a table of runs, a run\'s curve on click', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-sweep-'));
    dirs.push(dir);
    const gridFile = join(dir, 'grid.json');
    writeFileSync(gridFile, JSON.stringify({ name: 'dash', solvers: ['saba'], seeds: [0, 1], problems: [{ name: 'logreg-hpo', batch: 32, maxIter: 2000, evalEvery: 100, evaluation: 'exact', metric: 'suboptimality', tolerances: [1] }] }));
    const sweep = new DashboardRun(join(dir, 'sweep'), ['sweep', gridFile, '--out', join(dir, 'sweep'), '--workers', '1', '--json', '--dashboard']);
    runs.push(sweep);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(EVENT_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await sweep.url);
    assert.equal(await page.locator('#sweep-table tr[data-key]').count(), 2, 'one row per run of the grid');
    await page.waitForSelector('#count-done >> text=done: 2');
    await page.click('#sweep-table tr[data-status="done"] >> nth=0');
    await waitForPoints(page, 'curve', 2);
    await page.waitForSelector('#status.ended');
    await page.screenshot({ path: join(shots, 'sweep.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
    assert.equal(await exited(sweep), 0);
  });
});
