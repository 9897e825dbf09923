// DashboardSession: the buttons (stop through the program's path, pause as a hold, resume, close) and the end of a
// run (the page served until it is closed, or the linger runs out, or at once when no page is open).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import { openDashboard } from './dashboard-session';
import type { DashboardSessionOptions } from './dashboard-session';

const META = { kind: 'run', title: 'test run', fields: {}, controls: { stop: true, pause: true } } as const;

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

const portOf = (url: string) => Number(new URL(url).port);
const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';

function post(url: string, action: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: portOf(url), path: `/action/${action}`, method: 'POST', headers: { 'x-dashboard-token': tokenOf(url) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A page's event stream, open until its request is destroyed; resolves once the init arrived. */
function connect(url: string): Promise<{ req: ClientRequest; text: () => string; waitFor: (re: RegExp) => Promise<void> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const waiters: { re: RegExp; done: () => void }[] = [];
    const check = () => {
      for (const w of waiters.filter((x) => x.re.test(text))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    };
    const waitFor = (re: RegExp) => new Promise<void>((done) => (waiters.push({ re, done }), check()));
    const req = request({ host: '127.0.0.1', port: portOf(url), path: `/events?token=${tokenOf(url)}` }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        check();
        if (text.includes('event: init')) resolve({ req, text: () => text, waitFor });
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

const open = (extra: Partial<DashboardSessionOptions> = {}) => {
  const err = sink();
  return openDashboard({ meta: META, stderr: err.stream, ...extra }).then((session) => ({ session, stderr: err.text }));
};

test('the address is printed with its token; Stop calls the program\'s stop path once and releases a pause', async () => {
  let stops = 0;
  const { session, stderr } = await open({ onStop: () => stops++ });
  try {
    assert.match(stderr(), /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}\n$/);
    assert.equal(await post(session.url, 'pause'), 200);
    const hold = session.hold();
    assert.ok(hold, 'paused: the run is held');
    assert.equal(session.hub.state.status, 'paused');
    assert.equal(await post(session.url, 'pause'), 409, 'already paused');
    assert.equal(await post(session.url, 'stop'), 200);
    await hold; // released by the stop
    assert.equal(stops, 1);
    assert.equal(session.hold(), undefined);
    assert.equal(session.hub.state.status, 'stopping');
    assert.equal(await post(session.url, 'stop'), 409, 'a second stop does nothing');
    assert.equal(await post(session.url, 'pause'), 409, 'no pause once stopping');
  } finally {
    await session.close();
  }
});

test('Resume releases the hold', async () => {
  const { session } = await open({ onStop: () => undefined });
  try {
    assert.equal(await post(session.url, 'resume'), 409, 'not paused');
    await post(session.url, 'pause');
    const hold = session.hold()!;
    assert.equal(await post(session.url, 'resume'), 200);
    await hold;
    assert.equal(session.paused, false);
    assert.equal(session.hub.state.status, 'running');
  } finally {
    await session.close();
  }
});

test('a run without controls (a replay) refuses stop and pause', async () => {
  const { session } = await open({ meta: { ...META, controls: { stop: false, pause: false } }, onStop: () => assert.fail('stopped') });
  try {
    assert.equal(await post(session.url, 'stop'), 409);
    assert.equal(await post(session.url, 'pause'), 409);
  } finally {
    await session.close();
  }
});

test('the run ended with no page open: the server stops at once and says how to replay', async () => {
  const { session, stderr } = await open();
  await session.finish({ exitCode: 0 });
  assert.match(stderr(), /no page is open; the server stops \(replay the run folder with `bilevel dashboard DIR`\)/);
  assert.equal(session.connections, 0);
});

test('the run ended with a page open: served until the page closes, then stopped', async () => {
  const { session, stderr } = await open({ reconnectSeconds: 0.05 });
  const page = await connect(session.url);
  let finished = false;
  const finishing = session.finish({ exitCode: 130 }).then(() => (finished = true));
  await new Promise((r) => setImmediate(r));
  assert.match(stderr(), /the page stays served until it is closed/);
  await page.waitFor(/"status":"ended"/);
  assert.equal(finished, false);
  page.req.destroy();
  await finishing;
});

test('the Close button ends the lingering; Ctrl-C (interrupt) does too', async () => {
  const a = await open();
  const pageA = await connect(a.session.url);
  assert.equal(await post(a.session.url, 'close'), 409, 'not before the run ended');
  const finishing = a.session.finish({});
  assert.equal(await post(a.session.url, 'close'), 200);
  await finishing;
  pageA.req.destroy();

  const b = await open();
  const pageB = await connect(b.session.url);
  let interrupt = () => undefined as void;
  const finishingB = b.session.finish({}, new Promise<void>((r) => (interrupt = r)));
  interrupt();
  await finishingB;
  await pageB.waitFor(/"closing":true/); // the page is told the dashboard closed
  pageB.req.destroy();
});

test('linger 0 stops with the run; a linger waits for a page that is not open yet, at most that long', async () => {
  const { session } = await open({ linger: 0 });
  const page = await connect(session.url);
  await session.finish({});
  page.req.destroy();

  const b = await open({ linger: 30, reconnectSeconds: 0.05 });
  const finishing = b.session.finish({});
  const late = await connect(b.session.url); // arrives after the run ended: sees the final state
  await late.waitFor(/"status":"ended"/);
  late.req.destroy();
  await finishing; // ended by the page closing, not by the 30 s
  await assert.rejects(openDashboard({ meta: META, stderr: sink().stream, linger: -1 }), /linger must be a finite number of seconds ≥ 0, received -1/);
});

test('waitForPage resolves when a page connects, or when it is interrupted', async () => {
  const { session } = await open();
  try {
    let settled = false;
    const waiting = session.waitForPage().then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false, 'no page yet');
    const page = await connect(session.url);
    await waiting;
    assert.equal(session.connections, 1);
    await session.waitForPage(); // a page is open: at once
    page.req.destroy();
  } finally {
    await session.close();
  }
  const { session: other } = await open();
  try {
    await other.waitForPage(Promise.resolve('SIGINT'));
    assert.equal(other.connections, 0);
  } finally {
    await other.close();
  }
});
