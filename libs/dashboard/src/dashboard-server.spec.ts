// The dashboard server on loopback: the token on every request, loopback Host only, the token header and the
// Origin on POSTs, the page's own files and nothing else, the event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DashboardHub } from './dashboard-hub';
import { startDashboardServer } from './dashboard-server';
import type { DashboardAction } from './dashboard-server';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:port with the headers given (Host included: fetch cannot set it). */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withServer(fn: (s: { port: number; token: string; hub: DashboardHub; actions: DashboardAction[] }) => Promise<void>) {
  const hub = new DashboardHub();
  const actions: DashboardAction[] = [];
  const server = await startDashboardServer({ hub, onAction: (a) => (actions.push(a), a !== 'close') });
  try {
    await fn({ port: server.port, token: server.token, hub, actions });
  } finally {
    await server.close();
  }
}

test('the page and its bundled assets are served with the token, with a strict content policy', () =>
  withServer(async ({ port, token }) => {
    const page = await send(port, `/?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(`/assets/uplot.js\\?token=${token}`));
    assert.doesNotMatch(page.body, /https?:\/\//, 'no address elsewhere: works offline');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    for (const asset of ['uplot.js', 'uplot.css', 'dashboard.js', 'dashboard.css']) {
      const r = await send(port, `/assets/${asset}?token=${token}`);
      assert.equal(r.status, 200, asset);
      assert.ok(r.body.length > 500, asset);
    }
    assert.match((await send(port, `/assets/uplot.js?token=${token}`)).body, /uPlot/);
  }));

test('a request without the token, or with a wrong one, is refused (403) on every path', () =>
  withServer(async ({ port, token }) => {
    for (const path of ['/', '/assets/uplot.js', '/events', '/curve?key=a', '/nope']) {
      assert.equal((await send(port, path)).status, 403, path);
      assert.equal((await send(port, `${path}${path.includes('?') ? '&' : '?'}token=${token.slice(1)}`)).status, 403, path);
    }
    const stop = await send(port, '/action/stop', { method: 'POST' });
    assert.equal(stop.status, 403);
  }));

test('another Host (a DNS-rebinding page) is refused with 421, even with the token', () =>
  withServer(async ({ port, token }) => {
    for (const host of ['evil.example:' + port, `127.0.0.1:${port + 1}`, '127.0.0.1', `[::1]:${port}`]) {
      const r = await send(port, `/?token=${token}`, { headers: { host } });
      assert.equal(r.status, 421, host);
    }
    assert.equal((await send(port, `/?token=${token}`, { headers: { host: `localhost:${port}` } })).status, 200);
  }));

test('POST actions need the token header (not the query) and this server as Origin', () =>
  withServer(async ({ port, token, actions }) => {
    assert.equal((await send(port, `/action/stop?token=${token}`, { method: 'POST' })).status, 403, 'query token on a POST');
    assert.equal((await send(port, '/action/stop', { method: 'POST', headers: { 'x-dashboard-token': token, origin: 'http://evil.example' } })).status, 403);
    const ok = await send(port, '/action/stop', { method: 'POST', headers: { 'x-dashboard-token': token, origin: `http://127.0.0.1:${port}` } });
    assert.equal(ok.status, 200);
    assert.equal((await send(port, '/action/close', { method: 'POST', headers: { 'x-dashboard-token': token } })).status, 409, 'an action that does not apply');
    assert.equal((await send(port, '/action/reboot', { method: 'POST', headers: { 'x-dashboard-token': token } })).status, 404);
    assert.deepEqual(actions, ['stop', 'close']);
  }));

test('no file is served by name: traversal and other paths are 404, other methods 405', () =>
  withServer(async ({ port, token }) => {
    for (const path of ['/assets/../package.json', '/assets/%2e%2e/dashboard-server.ts', '/page/index.html', '/assets/dashboard-server.ts', '/..%2f..%2fetc%2fpasswd', '/assets/constructor', '/assets/__proto__']) {
      const r = await send(port, `${path}?token=${token}`);
      assert.equal(r.status, 404, path);
    }
    assert.equal((await send(port, `/?token=${token}`, { method: 'PUT' })).status, 405);
  }));

test('the event stream sends the whole state, then the updates; a curve is fetched by key', () =>
  withServer(async ({ port, token, hub }) => {
    hub.apply({ type: 'state', patch: { status: 'running' } });
    hub.apply({ type: 'curve', key: 'k1', points: [{ iter: 3, metric: 0.25 }] });
    const curve = await send(port, `/curve?key=k1&token=${token}`);
    assert.deepEqual(JSON.parse(curve.body), [{ iter: 3, metric: 0.25 }]);
    assert.equal((await send(port, `/curve?key=k2&token=${token}`)).status, 404);
    const events = await new Promise<string[]>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/events?token=${token}` }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (/event: init/.test(text) && !/event: update/.test(text)) hub.apply({ type: 'state', patch: { iteration: 7 } });
          if (/event: update\ndata: .*\n\n/.test(text)) {
            req.destroy();
            resolve(text.split('\n\n').filter((b) => b.startsWith('event:')));
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(events[0], /^event: init\ndata: \{"kind":"init".*"status":"running"/);
    assert.match(events[1], /^event: update\ndata: \{"kind":"update".*"state":\{"iteration":7\}/);
  }));
