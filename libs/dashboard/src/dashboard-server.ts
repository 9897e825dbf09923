import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { DashboardEvent, DashboardHub } from './dashboard-hub';
import { createToken } from './dashboard-token';
import { checkRequest } from './request-guard';

/** What the page's buttons ask for. */
export type DashboardAction = 'stop' | 'pause' | 'resume' | 'close';

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  readonly hub: DashboardHub;
  /**
   * Called when a page asks to stop, pause or resume the run, or to close the dashboard; returns false when the
   * action does not apply (the page is told 409). Default: every action refused.
   */
  readonly onAction?: (action: DashboardAction) => boolean;
  /** Called when a page connects to or leaves the event stream, with the number connected. */
  readonly onConnections?: (count: number) => void;
  /** Port on 127.0.0.1; default 0: a free one chosen by the system. */
  readonly port?: number;
  /** The token (tests); default a fresh random one ({@link createToken}). */
  readonly token?: string;
  /** Seconds between keep-alive comments on the event stream. Default 15. */
  readonly keepAliveSeconds?: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** The page's address with the token: `http://127.0.0.1:PORT/?token=…`. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Pages connected to the event stream now. */
  readonly connections: number;
  /** Ends the event streams and stops listening. */
  close(): Promise<void>;
}

/** A page whose event stream holds more unsent bytes than this is dropped (it reconnects and gets the whole state). */
const MAX_BUFFERED_BYTES = 8 * 2 ** 20;

const require = createRequire(import.meta.url);
const page = (name: string) => readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');

/** The page's own files, read once: nothing else on disk is ever served. */
function assets(): Record<string, { readonly type: string; readonly body: string }> {
  return {
    '/assets/uplot.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8') },
    '/assets/uplot.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') },
    '/assets/dashboard.js': { type: 'text/javascript; charset=utf-8', body: page('dashboard.js') },
    '/assets/dashboard.css': { type: 'text/css; charset=utf-8', body: page('dashboard.css') },
  };
}

/** Headers of every response: no caching, no referrer (the token is in the address), nothing loaded from elsewhere. */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

/**
 * Serves the live page of a run on 127.0.0.1 (a free port by default) from a {@link DashboardHub}: the page and its
 * bundled assets (uPlot from node_modules, the page's script and style; no CDN, so it works offline), the event
 * stream (Server-Sent Events: the hub's init, then its updates), a sweep run's curve (`/curve?key=`), and the
 * buttons' POSTs (`/action/stop|pause|resume|close`). Every request is checked first ({@link checkRequest}):
 * loopback Host, the one-time token (constant-time comparison), the token header and the Origin on POSTs. Any other
 * path is 404; no file is served by name.
 *
 * @example
 * const hub = new DashboardHub();
 * const server = await startDashboardServer({ hub, onAction: (a) => a === 'stop' && (stopRun(), true) });
 * console.error(`dashboard: ${server.url}`);
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { hub } = options;
  const token = options.token ?? createToken();
  const files = assets();
  const html = page('index.html').replaceAll('{{TOKEN}}', encodeURIComponent(token));
  const streams = new Set<ServerResponse>();
  const keepAliveMs = (options.keepAliveSeconds ?? 15) * 1000;
  let port = 0;

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const refuse = (res: ServerResponse, status: number, reason: string) => send(res, status, 'text/plain; charset=utf-8', `${reason}\n`);

  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const write = (event: DashboardEvent) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        return;
      }
      res.write(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = hub.subscribe(write);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    keepAlive.unref();
    options.onConnections?.(streams.size);
    res.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      if (streams.delete(res)) options.onConnections?.(streams.size);
    });
    req.socket.setNoDelay(true);
  };

  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      refuse(res, 400, 'bad request');
      return;
    }
    const refusal = checkRequest(req, url, token, port);
    if (refusal) {
      refuse(res, refusal.status, refusal.reason);
      req.resume();
      return;
    }
    const path = url.pathname;
    if (req.method === 'POST') {
      req.resume();
      const m = /^\/action\/(stop|pause|resume|close)$/.exec(path);
      if (!m) return refuse(res, 404, 'not found');
      const done = options.onAction?.(m[1] as DashboardAction) ?? false;
      return done ? send(res, 200, 'application/json', '{"ok":true}') : refuse(res, 409, `${m[1]} does not apply now`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, POST');
      return refuse(res, 405, 'method not allowed');
    }
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', html);
    if (path === '/events') return openStream(req, res);
    if (path === '/curve') {
      const curve = hub.curve(url.searchParams.get('key') ?? '');
      return curve ? send(res, 200, 'application/json', JSON.stringify(curve)) : refuse(res, 404, 'no such curve');
    }
    const asset = Object.hasOwn(files, path) ? files[path] : undefined;
    if (asset) return send(res, 200, asset.type, asset.body);
    return refuse(res, 404, 'not found');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // the event stream stays open
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // the server must not keep a finished program alive by itself: the caller decides how long to linger
  server.unref();
  return {
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    get connections() {
      return streams.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        hub.flush();
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
