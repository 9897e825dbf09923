// The page's script (dashboard.js) in a real headless Chromium (the system's, driven by playwright-core, as the apps'
// browser tests), served by a DashboardHub that the test feeds itself: a frame that brings points keeps the elements
// under the pointer (a finding's link, a sweep's row, the buttons), so that a real mouse click whose press and
// release are frames apart still lands on them. Every wait is for the page to draw an update the test sent (its
// iteration in the header), with generous safety timeouts only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, ElementHandle, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { DashboardHub } from '../dashboard-hub';
import type { DashboardHubOptions } from '../dashboard-hub';
import type { DashboardMeta } from '../dashboard-message';
import { startDashboardServer } from '../dashboard-server';
import type { DashboardAction, DashboardServer } from '../dashboard-server';
import { findChromium } from '../find-chromium';

/** Safety nets only: every wait ends on an event long before these. */
const START_TIMEOUT_MS = 180_000;
const EVENT_TIMEOUT_MS = 120_000;
/** Updates drawn while an element is held (several frames, each with points). */
const FRAMES = 5;

const browserPath = findChromium();
const skip = 'missing' in browserPath && !browserPath.required ? browserPath.missing : false;

/** The little of the DOM the page functions read (this file is type-checked without the DOM library; the functions
 * run in the page, serialized: they name no binding of this file). */
interface Node {
  readonly isConnected: boolean;
  readonly tagName: string;
  getAttribute(name: string): string | null;
  closest(selector: string): Node | null;
}
type Dom = {
  document: { querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null; addEventListener(type: string, fn: (e: { target: Node }) => void, capture: boolean): void };
  /** The releases of the mouse the page received, and the targets of its clicks (recorded by the test). */
  releases?: number;
  clicks?: string[];
};

/** A page of a hub the test feeds, with the actions its buttons asked for. */
interface Served {
  readonly hub: DashboardHub;
  readonly server: DashboardServer;
  readonly page: Page;
  readonly actions: DashboardAction[];
  /** Console errors and uncaught exceptions of the page. */
  readonly errors: string[];
  /** The iteration of the last update sent (each update sets the header's iteration). */
  iteration: number;
}

describe('the dashboard page in headless Chromium', { skip }, () => {
  if ('missing' in browserPath && browserPath.required) {
    test('a Chromium is installed (BILEVEL_REQUIRE_CHROMIUM=1)', () => assert.fail(browserPath.missing));
    return;
  }
  let browser: Browser;
  const servers: DashboardServer[] = [];
  before(async () => {
    browser = await chromium.launch({ executablePath: (browserPath as { path: string }).path, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: START_TIMEOUT_MS });
  });
  after(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  /** Serves a hub with `meta` and what `arrange` records, opens the page, waits for its first drawing. */
  async function serve(meta: DashboardMeta, arrange: (hub: DashboardHub) => void, options: DashboardHubOptions = {}): Promise<Served> {
    const hub = new DashboardHub(options);
    const actions: DashboardAction[] = [];
    const server = await startDashboardServer({ hub, onAction: (a) => (actions.push(a), true) });
    servers.push(server);
    hub.apply({ type: 'meta', meta });
    hub.apply({ type: 'state', patch: { status: 'running', iteration: 0 } });
    arrange(hub);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    page.setDefaultTimeout(EVENT_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForSelector('#status.running');
    // every release of the mouse, and every click by its target (the element the press and the release share)
    await page.evaluate(() => {
      const w = globalThis as unknown as Dom;
      w.releases = 0;
      w.clicks = [];
      w.document.addEventListener('mouseup', () => (w.releases = (w.releases ?? 0) + 1), true);
      w.document.addEventListener('click', (e) => w.clicks?.push(e.target.tagName + (e.target.closest('[data-iter],[data-key],[id]')?.getAttribute('data-iter') ?? '')), true);
    });
    return { hub, server, page, actions, errors, iteration: 0 };
  }

  /**
   * Sends `n` updates one at a time, each with points of the live series, the next iteration and what `extra` adds,
   * and waits until the page drew each (the header shows its iteration): `n` frames with points.
   */
  async function frames(s: Served, n: number, extra: (hub: DashboardHub, iteration: number) => void = () => {}): Promise<void> {
    for (let k = 0; k < n; k++) {
      const it = ++s.iteration;
      s.hub.apply({ type: 'point', series: 'live', point: { iter: it, t: it / 100, zn: 1 + it, vn: 2 + it, xn: 3 + it, ci: it, cl: it, co: it } });
      extra(s.hub, it);
      s.hub.apply({ type: 'state', patch: { iteration: it } });
      s.hub.flush();
      await s.page.waitForFunction((want) => Number(/^iteration (\d+)/.exec((globalThis as unknown as Dom).document.querySelector('#progress')?.textContent ?? '')?.[1] ?? -1) >= want, it);
    }
  }

  /** Presses the mouse on `target`, lets `n` frames with points pass, releases it: a real click, frames long. */
  async function slowClick(s: Served, target: ElementHandle, n: number, extra?: (hub: DashboardHub, iteration: number) => void): Promise<void> {
    const box = await target.boundingBox();
    assert.ok(box, 'the element is shown');
    await s.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await s.page.mouse.down();
    await frames(s, n, extra);
    await s.page.mouse.up();
  }

  /**
   * The targets of the clicks the page received, once it received `releases` releases of the mouse (a click is
   * dispatched with the release that makes it, in the same task, or not at all).
   */
  async function clicks(page: Page, releases: number): Promise<string[]> {
    await page.waitForFunction((n) => ((globalThis as unknown as Dom).releases ?? 0) >= n, releases);
    return page.evaluate(() => (globalThis as unknown as Dom).clicks ?? []);
  }

  const isConnected = (h: ElementHandle) => h.evaluate((e) => (e as unknown as Node).isConnected);

  test('a run: a finding\'s link stays the same element across frames with points, a new finding is appended, and a real mouse click whose press and release are frames apart marks its iteration', async () => {
    // Arrange: a run page with one finding
    const s = await serve({ kind: 'run', title: 'logreg-hpo · saba · seed 0', fields: { problem: 'logreg-hpo' }, controls: { stop: true, pause: true } }, (hub) => {
      hub.apply({ type: 'item', list: 'findings', item: { iteration: 3, level: 'violation', monitor: 'theorem', stream: 'inner', message: 'saba.innerStep = 0.500 exceeds 2/L = 0.466', value: 0.5, bound: 0.466 } });
      hub.apply({ type: 'point', series: 'live', point: { iter: 0, t: 0, zn: 1, vn: 2, xn: 3, ci: 0, cl: 0, co: 0 } });
    });
    await s.page.waitForSelector('#findings li.violation a');
    const link = await s.page.$('#findings li[data-iter="3"] a');
    assert.ok(link);

    // Act: frames with points, the last one bringing a second finding
    await frames(s, FRAMES);
    await frames(s, 1, (hub, it) => hub.apply({ type: 'item', list: 'findings', item: { iteration: it, level: 'warning', monitor: 'finiteness', message: 'a warning' } }));

    // Assert: the same link, the new finding after it
    assert.equal(await isConnected(link), true, 'the link drawn first is still in the page');
    assert.deepEqual(await s.page.$$eval('#findings li', (lis) => lis.map((li) => (li as unknown as Node).getAttribute('data-iter'))), ['3', String(s.iteration)]);
    assert.equal(await s.page.textContent('#findings-count'), '2');

    // Act: a real click on the link, its press and release frames apart
    await slowClick(s, link, 2);

    // Assert: the click reached the link, its iteration is marked
    assert.deepEqual(await clicks(s.page, 1), ['A3'], 'one click, on the link of iteration 3');
    await s.page.waitForSelector('#findings li.marked[data-iter="3"]');
    assert.equal(await s.page.locator('#findings li.marked').count(), 1);
    assert.equal(await isConnected(link), true);

    // the buttons are kept too: Pause pressed and released frames apart asks for the pause
    const pause = await s.page.$('#pause:not([hidden])');
    assert.ok(pause);
    const posted = s.page.waitForResponse((r) => r.url().includes('/action/pause'));
    await slowClick(s, pause, 2);
    assert.deepEqual(await clicks(s.page, 2), ['A3', 'BUTTON']);
    assert.equal((await posted).status(), 200);
    assert.deepEqual(s.actions, ['pause']);
    assert.equal(await isConnected(pause), true);
    assert.deepEqual(s.errors, [], 'no console error');
    await s.page.close();
  });

  test('a sweep: the rows of the table stay the same elements while other rows change, and a real mouse click on a run that ended, frames long, draws its curve', async () => {
    // Arrange: a grid of two runs, the first done with its curve, the second running
    const row = (id: string, status: string, iterations: number) => ({ id, problem: 'logreg-hpo', solver: 'saba', seed: 0, status, iterations, metric: 0.5, metricName: 'suboptimality', solverSeconds: 1, worker: 1 });
    const s = await serve({ kind: 'sweep', title: 'sweep dash', fields: { grid: 'grid.json' }, controls: { stop: true, pause: false } }, (hub) => {
      hub.apply({ type: 'row', key: 'r1', row: row('run-1', 'done', 2000) });
      hub.apply({ type: 'curve', key: 'r1', points: [{ iter: 0, metric: 1 }, { iter: 100, metric: 0.5 }] });
      hub.apply({ type: 'row', key: 'r2', row: row('run-2', 'running', 0) });
    });
    await s.page.waitForSelector('#sweep-table tr[data-key="r1"] a');
    const tr = await s.page.$('#sweep-table tr[data-key="r1"]');
    const link = await s.page.$('#sweep-table tr[data-key="r1"] a');
    assert.ok(tr && link);
    const running = (hub: DashboardHub, it: number) => hub.apply({ type: 'row', key: 'r2', row: row('run-2', 'running', it) });

    // Act: frames that change the second row
    await frames(s, FRAMES, running);

    // Assert: the first row and its link are the same elements; the second row shows its latest iterations
    assert.equal(await isConnected(tr), true, 'the row drawn first is still in the page');
    assert.equal(await isConnected(link), true);
    assert.equal(await s.page.textContent('#sweep-table tr[data-key="r2"] td:nth-child(6)'), String(s.iteration));

    // Act: a real click on the first run, its press and release frames apart
    await slowClick(s, link, 2, running);

    // Assert: the click reached the row, whose curve is drawn
    assert.deepEqual(await clicks(s.page, 1), ['A'], 'one click, on the run\'s link');
    await s.page.waitForSelector('#sweep-table tr[data-key="r1"].selected');
    await s.page.waitForFunction(() => Number((globalThis as unknown as Dom).document.querySelector('#chart-curve')?.getAttribute('data-points')) === 2);
    assert.deepEqual(s.errors, [], 'no console error');
    await s.page.close();
  });

  test('a training: a new verdict goes on top and the earlier rows stay; findings the hub no longer holds are counted, the held ones stay as later ones arrive', async () => {
    // Arrange: a training page, three findings of which the hub holds the latest two, one verdict
    const verdict = (iteration: number) => ({ iteration, method: 'lp', status: iteration % 2 ? 'falsified' : 'verified', violated: null, boxes: { verified: iteration, falsified: 0, unknown: 1 }, samples: 64 });
    const finding = (iteration: number) => ({ iteration, level: 'warning', monitor: 'certificate', message: `slack at iteration ${iteration}` });
    const s = await serve(
      { kind: 'train', title: 'lane-keeping · polynomial track · seed 0', fields: { system: 'lane-keeping' }, controls: { stop: true, pause: false } },
      (hub) => {
        for (const it of [0, 0, 0]) hub.apply({ type: 'item', list: 'findings', item: finding(it) });
        hub.apply({ type: 'item', list: 'verdicts', item: verdict(0) });
      },
      { listCapacity: 2 },
    );
    await s.page.waitForSelector('#verdicts-rows tr');
    const firstVerdict = await s.page.$('#verdicts-rows tr');
    const firstFinding = await s.page.$('#findings li[data-iter="0"]');
    assert.ok(firstVerdict && firstFinding);
    assert.equal(await s.page.textContent('#findings-earlier'), '… and 1 earlier (all in the trace)');

    // Act: two frames, each with a verdict; the second with a finding
    await frames(s, 2, (hub, it) => {
      hub.apply({ type: 'item', list: 'verdicts', item: verdict(it) });
      if (it === 2) hub.apply({ type: 'item', list: 'findings', item: finding(it) });
    });

    // Assert: the latest verdict first, the first one kept; the findings page holds three of four, the note last
    const cells = (selector: string) => s.page.$$eval(selector, (els) => els.map((e) => (e as unknown as { textContent: string }).textContent));
    assert.deepEqual(await cells('#verdicts-rows tr td:first-child'), ['2', '1', '0']);
    assert.equal(await isConnected(firstVerdict), true, 'the first verdict\'s row is still in the page');
    assert.equal(await s.page.textContent('#verdicts-count'), '3');
    assert.equal(await isConnected(firstFinding), true, 'the first finding held is still in the page');
    assert.deepEqual(await s.page.$$eval('#findings li', (lis) => lis.map((li) => (li as unknown as Node).getAttribute('data-iter') ?? 'note')), ['0', '0', '2', 'note']);
    assert.equal(await s.page.textContent('#findings-earlier'), '… and 1 earlier (all in the trace)');
    assert.equal(await s.page.textContent('#findings-count'), '4');
    assert.deepEqual(s.errors, [], 'no console error');
    await s.page.close();
  });
});
