#!/usr/bin/env node
// Starts a throw-away redis-server (Debian's package) for the distributed-sweep tests, CI and local trials:
// bound to 127.0.0.1 only, `--protected-mode yes`, a generated password (`requirepass`: any other local process is
// refused), no persistence (no RDB snapshots, no AOF), its working directory a fresh temporary folder (mode 700,
// holding the config file with the password, so `ps` never shows it) removed on stop. Waits until the server
// answers PING.
//
//   node tools/redis/start-redis.mjs [--port N] [--json] [--password-file FILE] [--exit-with-stdin]
//       foreground: the password is env BILEVEL_REDIS_PASSWORD if set (letters, digits, - and _), else generated;
//       prints the URL, the password and how to hand it to `bilevel` without showing it in `ps` (or a
//       JSON line with url and password); with --password-file, writes the password there (a new file, mode 600)
//       and prints only the recipe. Stops the server on SIGINT/SIGTERM, and with --exit-with-stdin also when its
//       stdin closes (a parent that spawned it with a pipe and died leaves no server behind)
//   node tools/redis/start-redis.mjs --stop redis://127.0.0.1:N   asks the server there to shut down (no save); the
//       password comes from env BILEVEL_REDIS_PASSWORD or --password-file FILE
//
// As a module: `const redis = await startRedis({ port })` → { url, password, port, pid, dir, stop() }.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
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

/** Environment variable `bilevel` reads the Redis password from (see apps/bilevel/src/sweep/queue/redis-url.ts). */
export const PASSWORD_ENV = 'BILEVEL_REDIS_PASSWORD';

/** A fresh password: 32 random bytes, base64url (43 characters, none that a URL or a shell would mangle). */
export function generatePassword() {
  return randomBytes(32).toString('base64url');
}

/** Thrown when the redis-server binary is not installed (ENOENT), so callers can skip or fail clearly. */
export class RedisServerMissingError extends Error {
  name = 'RedisServerMissingError';
}

/**
 * Starts redis-server on 127.0.0.1 with a password.
 * @param {{ port?: number, binary?: string, readyTimeoutMs?: number, password?: string }} [options] `port`: 0 or
 *   absent picks a free one; `binary`: the executable (default `redis-server` on the PATH, or env REDIS_SERVER);
 *   `password`: default a generated one ({@link generatePassword}); letters, digits, `-` and `_` only.
 * @returns {Promise<{ url: string, password: string, port: number, pid: number, dir: string, stop: () => Promise<void>, ended: Promise<void> }>}
 *   `url` holds no password; `stop` ends the server and removes its folder (idempotent); `ended` resolves once it
 *   has exited, however.
 */
export async function startRedis(options = {}) {
  const { port = 0, binary = process.env.REDIS_SERVER || 'redis-server', readyTimeoutMs = READY_TIMEOUT_MS, password = generatePassword() } = options;
  if (typeof password !== 'string' || !/^[A-Za-z0-9_-]{16,200}$/.test(password)) {
    throw new RangeError('startRedis: options.password must be 16–200 letters, digits, "-" or "_"');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`startRedis: options.port is ${JSON.stringify(port)}; expected an integer in [0, 65535] (0: a free port)`);
  }
  let lastError;
  for (let attempt = 0; attempt < (port === 0 ? PORT_ATTEMPTS : 1); attempt++) {
    const chosen = port === 0 ? await freePort() : port;
    try {
      return await startOn(chosen, binary, readyTimeoutMs, password);
    } catch (err) {
      if (err instanceof RedisServerMissingError) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

async function startOn(port, binary, readyTimeoutMs, password) {
  // a server already there would answer our PING: refuse a taken port before starting
  if (!(await isFree(port))) throw new Error(`startRedis: port ${port} on ${LOOPBACK} is in use`);
  // mkdtemp makes the folder mode 700: the config file with the password is ours alone, and not in `ps`
  const dir = mkdtempSync(join(tmpdir(), 'bilevel-redis-'));
  const config = join(dir, 'redis.conf');
  const lines = [
    `bind ${LOOPBACK}`,
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    'daemonize no',
    'logfile ""',
    'loglevel warning',
  ];
  writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o600 });
  const child = spawn(binary, [config], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    waitForPong(port, password, readyTimeoutMs, wait).then((ok) => ({ ok })),
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
  return { url: `redis://${LOOPBACK}:${port}`, password, port, pid: child.pid, dir, stop, ended };
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
 * Sends one inline command to host:port (after `AUTH password` when a password is given) and resolves with the
 * command's first reply line (or rejects on a socket error, a refused password, or after `timeoutMs`).
 */
export function sendCommand(port, command, { host = LOOPBACK, timeoutMs = 1000, password } = {}) {
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
    let authed = password === undefined;
    socket.once('connect', () => socket.write(password === undefined ? `${command}\r\n` : `AUTH ${password}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      if (!authed) {
        const line = reply.slice(0, end);
        reply = reply.slice(end + 2);
        if (line !== '+OK') return finish(reject, new Error(`AUTH refused: ${line.replace(/^-/, '')}`));
        authed = true;
        socket.write(`${command}\r\n`);
        return;
      }
      finish(resolve, reply.slice(0, end));
    });
    socket.once('error', (err) => finish(reject, err));
    // SHUTDOWN closes the connection without a reply
    socket.once('close', () => finish(resolve, reply));
  });
}

async function waitForPong(port, password, timeoutMs, wait) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !wait.cancelled) {
    try {
      if ((await sendCommand(port, 'PING', { timeoutMs: 500, password })) === '+PONG') return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Asks the server at a `redis://127.0.0.1:PORT` URL (no password in it) to shut down without saving. */
export async function stopRedis(url, password) {
  const match = /^redis:\/\/(127\.0\.0\.1|localhost):(\d+)\/?$/.exec(url);
  if (!match) throw new RangeError(`stopRedis: url is ${JSON.stringify(url.replace(/\/\/.*@/, '//***@'))}; expected redis://127.0.0.1:PORT (servers started by this script)`);
  await sendCommand(Number(match[2]), 'SHUTDOWN NOSAVE', { host: match[1], password });
}

/** What to tell the user: how to give the password to `bilevel` without it showing in `ps`. */
export function recipe(url, passwordFile) {
  const give = passwordFile
    ? [`the password is in ${passwordFile} (mode 600); give it to bilevel as a file:`,
      `  npx bilevel worker --queue ${url} --queue-password-file ${passwordFile} --secret-file SECRET`,
      `  npx bilevel sweep GRID.json --queue ${url} --queue-password-file ${passwordFile} --secret-file SECRET`]
    : ['give the password to bilevel through the environment (or a mode-600 file and --queue-password-file FILE), never in the URL, which ps shows:',
      `  read -rs ${PASSWORD_ENV}   # paste the password, then: export ${PASSWORD_ENV}`,
      `  npx bilevel worker --queue ${url} --secret-file SECRET`,
      `  npx bilevel sweep GRID.json --queue ${url} --secret-file SECRET`];
  return [...give, 'SECRET: a file shared by the sweep and its workers (openssl rand -hex 32 > SECRET && chmod 600 SECRET)'].join('\n');
}

async function cli(argv) {
  const value = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(['--port', '--json', '--stop', '--password-file', '--exit-with-stdin', '--help']);
  const withValue = ['--port', '--stop', '--password-file'];
  const unknown = argv.filter((a, i) => a.startsWith('--') ? !known.has(a) : !withValue.includes(argv[i - 1]));
  if (argv.includes('--help') || unknown.length) {
    if (unknown.length) process.stderr.write(`start-redis: unknown argument(s) ${unknown.join(' ')}\n`);
    process.stderr.write('usage: start-redis.mjs [--port N] [--json] [--password-file FILE] [--exit-with-stdin] | --stop redis://127.0.0.1:N [--password-file FILE]\n');
    return unknown.length ? 2 : 0;
  }
  const passwordFile = value('--password-file');
  const stopUrl = value('--stop');
  if (stopUrl !== undefined) {
    let password = process.env[PASSWORD_ENV] || undefined;
    try {
      if (passwordFile !== undefined) password = readFileSync(passwordFile, 'utf8').trim();
      await stopRedis(stopUrl, password);
    } catch (err) {
      process.stderr.write(`start-redis: ${err.message}\n`);
      return 1;
    }
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
    // a password in the environment is kept (a server restarted for the same clients), else one is generated
    const given = process.env[PASSWORD_ENV] || undefined;
    redis = await startRedis({ port: Number(portText), ...(given ? { password: given } : {}) });
    if (passwordFile !== undefined) writeFileSync(passwordFile, `${redis.password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await redis?.stop();
    const why = err.code === 'EEXIST' ? `--password-file ${passwordFile} exists; give a new file` : err.message;
    process.stderr.write(`start-redis: ${why}\n`);
    return err instanceof RedisServerMissingError ? 3 : 1;
  }
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ url: redis.url, password: redis.password, port: redis.port, pid: redis.pid, dir: redis.dir })}\n`);
  } else {
    const password = passwordFile === undefined ? [`password: ${redis.password}`] : [];
    process.stdout.write(`${[redis.url, ...password, recipe(redis.url, passwordFile)].join('\n')}\n`);
  }
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
