#!/usr/bin/env node
// Starts a throw-away redis-server (Debian's package) for the distributed-sweep tests, CI and local trials:
// bound to 127.0.0.1 only, `--protected-mode yes`, no persistence (no RDB snapshots, no AOF), its working
// directory a fresh temporary folder removed on stop. Waits until the server answers PING.
//
//   node tools/redis/start-redis.mjs [--port N] [--json] [--exit-with-stdin]
//       foreground: prints the URL (or a JSON line), stops the server on SIGINT/SIGTERM, and with --exit-with-stdin
//       also when its stdin closes (a parent that spawned it with a pipe and died leaves no server behind)
//   node tools/redis/start-redis.mjs --stop redis://127.0.0.1:N   asks the server there to shut down (no save)
//
// As a module: `const redis = await startRedis({ port })` → { url, port, pid, dir, stop() }.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The only interface the server listens on. */
export const LOOPBACK = '127.0.0.1';
/** How long to wait for the first PONG before giving up (redis-server starts in ~10 ms; CI machines are slow). */
const READY_TIMEOUT_MS = 10_000;
/** How long a stop waits for the process to exit after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** Attempts at a free port (another process may take the one we found before redis-server binds it). */
const PORT_ATTEMPTS = 3;

/** Thrown when the redis-server binary is not installed (ENOENT), so callers can skip or fail clearly. */
export class RedisServerMissingError extends Error {
  name = 'RedisServerMissingError';
}

/**
 * Starts redis-server on 127.0.0.1.
 * @param {{ port?: number, binary?: string, readyTimeoutMs?: number }} [options] `port`: 0 or absent picks a free
 *   one; `binary`: the executable (default `redis-server` on the PATH, or env REDIS_SERVER).
 * @returns {Promise<{ url: string, port: number, pid: number, dir: string, stop: () => Promise<void>, ended: Promise<void> }>}
 *   `stop` ends the server and removes its folder (idempotent); `ended` resolves once it has exited, however.
 */
export async function startRedis(options = {}) {
  const { port = 0, binary = process.env.REDIS_SERVER || 'redis-server', readyTimeoutMs = READY_TIMEOUT_MS } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`startRedis: options.port is ${JSON.stringify(port)}; expected an integer in [0, 65535] (0: a free port)`);
  }
  let lastError;
  for (let attempt = 0; attempt < (port === 0 ? PORT_ATTEMPTS : 1); attempt++) {
    const chosen = port === 0 ? await freePort() : port;
    try {
      return await startOn(chosen, binary, readyTimeoutMs);
    } catch (err) {
      if (err instanceof RedisServerMissingError) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

async function startOn(port, binary, readyTimeoutMs) {
  // a server already there would answer our PING: refuse a taken port before starting
  if (!(await isFree(port))) throw new Error(`startRedis: port ${port} on ${LOOPBACK} is in use`);
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-redis-'));
  const args = [
    '--bind', LOOPBACK,
    '--port', String(port),
    '--protected-mode', 'yes',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--logfile', '',
    '--loglevel', 'warning',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((resolve) => child.once('error', resolve));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  const wait = { cancelled: false };
  const outcome = await Promise.race([
    waitForPong(port, readyTimeoutMs, wait).then((ok) => ({ ok })),
    exited.then((e) => ({ exited: e })),
    spawnError.then((error) => ({ error })),
  ]);
  wait.cancelled = true;
  if (!outcome.ok || child.exitCode !== null || child.signalCode !== null) {
    child.kill('SIGKILL');
    cleanup();
    if (outcome.error?.code === 'ENOENT') {
      throw new RedisServerMissingError(`redis-server not found (${binary}): install Debian's package (apt-get install redis-server) or set REDIS_SERVER`);
    }
    const why = outcome.error
      ? outcome.error.message
      : outcome.exited
        ? `it exited (${outcome.exited.code ?? outcome.exited.signal})`
        : `no PONG within ${readyTimeoutMs} ms`;
    throw new Error(`startRedis: redis-server on ${LOOPBACK}:${port} did not start: ${why}\n${output.trim()}`);
  }
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    })());
  // ended by someone else (SHUTDOWN, a signal): remove the folder all the same
  const ended = exited.then(() => cleanup());
  return { url: `redis://${LOOPBACK}:${port}`, port, pid: child.pid, dir, stop, ended };
}

/** Whether `port` can be bound on the loopback interface right now. */
function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/** A TCP port that was free a moment ago on the loopback interface. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Sends one inline command to host:port and resolves with the first reply line (or rejects on a socket error or
 * after `timeoutMs`).
 */
export function sendCommand(port, command, { host = LOOPBACK, timeoutMs = 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (fn, value) => {
      clearTimeout(timer);
      socket.destroy();
      fn(value);
    };
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end >= 0) finish(resolve, reply.slice(0, end));
    });
    socket.once('error', (err) => finish(reject, err));
    // SHUTDOWN closes the connection without a reply
    socket.once('close', () => finish(resolve, reply));
  });
}

async function waitForPong(port, timeoutMs, wait) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !wait.cancelled) {
    try {
      if ((await sendCommand(port, 'PING', { timeoutMs: 500 })) === '+PONG') return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Asks the server at a `redis://127.0.0.1:PORT` URL to shut down without saving. */
export async function stopRedis(url) {
  const match = /^redis:\/\/(127\.0\.0\.1|localhost):(\d+)\/?$/.exec(url);
  if (!match) throw new RangeError(`stopRedis: url is ${JSON.stringify(url)}; expected redis://127.0.0.1:PORT (servers started by this script)`);
  await sendCommand(Number(match[2]), 'SHUTDOWN NOSAVE', { host: match[1] });
}

async function cli(argv) {
  const value = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(['--port', '--json', '--stop', '--exit-with-stdin', '--help']);
  const unknown = argv.filter((a, i) => a.startsWith('--') ? !known.has(a) : !['--port', '--stop'].includes(argv[i - 1]));
  if (argv.includes('--help') || unknown.length) {
    if (unknown.length) process.stderr.write(`start-redis: unknown argument(s) ${unknown.join(' ')}\n`);
    process.stderr.write('usage: start-redis.mjs [--port N] [--json] [--exit-with-stdin] | --stop redis://127.0.0.1:N\n');
    return unknown.length ? 2 : 0;
  }
  const stopUrl = value('--stop');
  if (stopUrl !== undefined) {
    await stopRedis(stopUrl);
    process.stdout.write(`stopped ${stopUrl}\n`);
    return 0;
  }
  const portText = value('--port') ?? '0';
  if (!/^\d+$/.test(portText)) {
    process.stderr.write(`start-redis: --port is "${portText}"; expected an integer in [0, 65535]\n`);
    return 2;
  }
  let redis;
  try {
    redis = await startRedis({ port: Number(portText) });
  } catch (err) {
    process.stderr.write(`start-redis: ${err.message}\n`);
    return err instanceof RedisServerMissingError ? 3 : 1;
  }
  const line = argv.includes('--json') ? JSON.stringify({ url: redis.url, port: redis.port, pid: redis.pid, dir: redis.dir }) : redis.url;
  process.stdout.write(`${line}\n`);
  // stop the server on a signal, or (--exit-with-stdin) when the parent closes our stdin
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    redis.ended.then(resolve);
    if (argv.includes('--exit-with-stdin')) {
      process.stdin.on('data', () => undefined);
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
    }
  });
  await redis.stop();
  process.stdin.destroy(); // it was being read (--exit-with-stdin): let the process end
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await cli(process.argv.slice(2));
}
