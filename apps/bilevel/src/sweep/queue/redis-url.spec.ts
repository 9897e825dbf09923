import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { InputError } from '@bilevel/io';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRedis, CONNECT_TIMEOUT_MS, maskCredentials, parseRedisUrl, PASSWORD_ENV, resolveRedisTarget } from './redis-url';
import { QueueExecutor } from './queue-executor';
import { workerCommand } from './queue-worker';

/**
 * A hang guard, not a timing: the error must come (an ioredis retry loop would never end it), and a generous bound
 * keeps a busy machine from failing the test; the message itself says which timeout fired.
 */
const FAST_MS = CONNECT_TIMEOUT_MS + 10_000;

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('parseRedisUrl: host, port, optional database; canonical URL', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379'), { url: 'redis://127.0.0.1:6379', host: '127.0.0.1', port: 6379, db: 0 });
  assert.deepEqual(parseRedisUrl('redis://queue.lab:6380/2'), { url: 'redis://queue.lab:6380/2', host: 'queue.lab', port: 6380, db: 2 });
  assert.deepEqual(parseRedisUrl(' redis://[::1]:7000/ '), { url: 'redis://[::1]:7000', host: '::1', port: 7000, db: 0 });
  // credentials of a server on the network: kept for the connection, never shown
  assert.deepEqual(parseRedisUrl('redis://:s%40cret@queue.lab:6379'), { url: 'redis://:***@queue.lab:6379', host: 'queue.lab', port: 6379, db: 0, password: 's@cret' });
  assert.deepEqual(parseRedisUrl('redis://lab:pw@queue.lab:6379/1'), { url: 'redis://lab:***@queue.lab:6379/1', host: 'queue.lab', port: 6379, db: 1, username: 'lab', password: 'pw' });
  assert.throws(() => parseRedisUrl('redis://:pw@queue.lab'), (err: unknown) => err instanceof Error && err.message.includes('redis://***@queue.lab') && !err.message.includes('pw@'));
});

test('parseRedisUrl: a malformed URL never shows its password, whatever the scheme and the characters in it', () => {
  // Arrange: passwords with the characters that defeat a naive mask ("/", "@", ":", "#", "?"), under schemes we refuse
  const password = 'Zq7/se@cr:et#x?y';
  const cases = [
    `rediss://lab:${password}@db.lab:6380`,
    `rediss://:${password}@db.lab:6380/0`,
    `redis://:${password}@db.lab`,
    `redis://lab:${password}@db.lab:6379/x`,
    `http://:${password}@db.lab:6379`,
    `:${password}@db.lab:6379`,
    `redis://:${password}@`,
    `redis://:${encodeURIComponent(password)}@db.lab:99999`,
  ];
  for (const text of cases) {
    // Act / Assert
    assert.throws(
      () => parseRedisUrl(text),
      (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        for (const piece of ['Zq7', 'se@cr', 'cr:et', 'Zq7%2F']) assert.ok(!err.message.includes(piece), `${err.message} shows the password`);
        assert.match(err.message, /\*\*\*@/);
        return true;
      },
      text,
    );
  }
  assert.throws(() => parseRedisUrl(`rediss://:${password}@db.lab:6380`), /TLS \(rediss:\/\/\) is not supported/);
  assert.equal(maskCredentials('rediss://me:p/a@ss@db.lab:6380'), 'rediss://***@db.lab:6380');
  // a well-formed URL keeps its password for the connection and shows it masked
  assert.equal(parseRedisUrl(`redis://:${encodeURIComponent(password)}@db.lab:6379`).password, password);
});

test('resolveRedisTarget: the password from the URL, else a mode-600 file, else BILEVEL_REDIS_PASSWORD; errors never show it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-url-'));
  const file = join(dir, 'pw');
  writeFileSync(file, 'from-file-Kx3\n', { mode: 0o600 });
  assert.equal(resolveRedisTarget('redis://h:1', { passwordFile: file, env: { [PASSWORD_ENV]: 'from-env' } }).password, 'from-file-Kx3');
  assert.equal(resolveRedisTarget('redis://h:1', { env: { [PASSWORD_ENV]: 'from-env' } }).password, 'from-env');
  assert.equal(resolveRedisTarget('redis://h:1', { env: {} }).password, undefined);
  assert.equal(resolveRedisTarget('redis://h:1', { env: { [PASSWORD_ENV]: 'from-env' } }).url, 'redis://h:1', 'the shown URL has no password');
  assert.throws(() => resolveRedisTarget('redis://:inurl@h:1', { passwordFile: file }), /holds a password and --queue-password-file gives one too/);
  const open = join(dir, 'open');
  writeFileSync(open, 'readable-Kx3\n', { mode: 0o644 });
  assert.throws(
    () => resolveRedisTarget('redis://h:1', { passwordFile: open }),
    (err: unknown) => err instanceof InputError && /--queue-password-file .*open: other users may read it \(mode 644\); expected mode 600/.test(err.message) && !err.message.includes('readable-Kx3'),
  );
  assert.throws(() => resolveRedisTarget('redis://h:1', { passwordFile: join(dir, 'none') }), /--queue-password-file .*none: cannot read the file \(no such file\)/);
});

test('parseRedisUrl: anything else is an InputError naming --queue, the value and the expected form', () => {
  const bad = ['', '127.0.0.1:6379', 'http://127.0.0.1:6379', 'redis://127.0.0.1', 'redis://127.0.0.1:0', 'redis://127.0.0.1:70000',
    'redis://127.0.0.1:6379/x', 'redis://127.0.0.1:6379?db=1', 'rediss://127.0.0.1:6379', 'redis://:6379'];
  for (const text of bad) {
    assert.throws(
      () => parseRedisUrl(text),
      (err: unknown) => err instanceof InputError && /^--queue: /.test(err.message) && err.message.includes(JSON.stringify(text)) && /expected redis:\/\/HOST:PORT/.test(err.message),
      text,
    );
  }
});

test('unreachable Redis: InputError "cannot reach Redis at …: <reason>" quickly, from the check, the sweep and the worker', async () => {
  const url = `redis://127.0.0.1:${await closedPort()}`;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('uncaughtException', onUnhandled);
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const attempt of [
      () => checkRedis(parseRedisUrl(url)),
      () => QueueExecutor.open({ queue: url, secret: Buffer.from('s'.repeat(32)) }),
      () => workerCommand({ queue: url, secret: Buffer.from('s'.repeat(32)) }, { signals: false }),
    ]) {
      const t0 = performance.now();
      await assert.rejects(attempt, (err: unknown) => err instanceof InputError && err.message.includes(`cannot reach Redis at ${url}: `) && /ECONNREFUSED/.test(err.message));
      assert.ok(performance.now() - t0 < FAST_MS, `took ${(performance.now() - t0).toFixed(0)} ms`);
    }
    // a late ioredis error event would surface here
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('uncaughtException', onUnhandled);
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a server that never answers: InputError within the timeout, no hang', async () => {
  // accepts connections and stays silent, as a firewall-dropped or wedged server would
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const t0 = performance.now();
    await assert.rejects(checkRedis(parseRedisUrl(`redis://127.0.0.1:${port}`), { timeoutMs: 500 }), /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: .*500 ms/);
    assert.ok(performance.now() - t0 < FAST_MS, 'it ended: no hang');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
