import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { checkRedis, parseRedisUrl, resolveRedisTarget } from './redis-url';
import { launchRedis, START_REDIS, withRedis } from './with-redis';

test('launchRedis without redis-server: reports it missing (withRedis then skips, or fails under BILEVEL_REQUIRE_REDIS=1)', async () => {
  const r = await launchRedis({ ...process.env, REDIS_SERVER: '/nonexistent/redis-server' });
  assert.ok('missing' in r, 'reported as missing, not thrown');
  assert.match(r.missing, /redis-server not found .*apt-get install redis-server/);
});

test('the test Redis: loopback only, protected mode, a password, no persistence; stopped afterwards', (t) => {
  let seenUrl = '';
  let seenPassword = '';
  return withRedis(t, async (url, redis) => {
    seenUrl = url;
    seenPassword = redis.password;
    assert.match(url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.match(redis.password, /^[A-Za-z0-9_-]{43}$/);
    // a client without the password is refused, and the sweep's check says what to do
    const stranger = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    stranger.on('error', () => undefined);
    try {
      await stranger.connect().catch(() => undefined);
      await assert.rejects(stranger.ping(), /NOAUTH/);
    } finally {
      stranger.disconnect();
    }
    await assert.rejects(checkRedis(parseRedisUrl(url)), /requires a password: give --queue-password-file FILE or set BILEVEL_REDIS_PASSWORD/);
    await assert.rejects(checkRedis(resolveRedisTarget(url, { env: { BILEVEL_REDIS_PASSWORD: 'not-the-password' } })), /refused the password/);
    await checkRedis(resolveRedisTarget(url, { env: redis.env }));
    // ps shows no password
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!ps.includes(redis.password), 'the password is not on any command line');
    assert.match(ps, new RegExp(`redis-server 127\\.0\\.0\\.1:${new URL(url).port}`));
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, password: redis.password });
    client.on('error', () => undefined);
    try {
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      assert.deepEqual(await client.config('GET', 'bind'), ['bind', '127.0.0.1']);
      assert.deepEqual(await client.config('GET', 'protected-mode'), ['protected-mode', 'yes']);
      assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
      assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'no']);
    } finally {
      client.disconnect();
    }
  }).then(async () => {
    if (!seenUrl) return; // skipped: no redis-server here
    const after = new Redis(seenUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, password: seenPassword });
    after.on('error', () => undefined);
    await assert.rejects(after.connect(), 'the server is gone after withRedis');
    after.disconnect();
  });
});

test('withRedis under BILEVEL_REQUIRE_REDIS=1 without redis-server: fails saying so (CI never skips silently)', async (t) => {
  const saved = { server: process.env.REDIS_SERVER, require: process.env.BILEVEL_REQUIRE_REDIS };
  process.env.REDIS_SERVER = '/nonexistent/redis-server';
  process.env.BILEVEL_REQUIRE_REDIS = '1';
  let ran = false;
  try {
    await assert.rejects(
      withRedis(t, async () => {
        ran = true;
      }),
      /redis-server is required \(BILEVEL_REQUIRE_REDIS=1\) but missing/,
    );
    assert.equal(ran, false);
  } finally {
    for (const [key, value] of [['REDIS_SERVER', saved.server], ['BILEVEL_REQUIRE_REDIS', saved.require]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test('start-redis.mjs prints the URL, the generated password and how to pass it through the environment or a file', async (t) => {
  // Arrange / Act: the launcher as a user runs it (plain output)
  const child = spawn(process.execPath, [START_REDIS, '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('SECRET:')) resolve();
      });
      void exited.then((code) => (code === 3 ? resolve() : reject(new Error(`start-redis exited ${code}: ${out}`))));
    });
    if (!out.includes('SECRET:')) return t.skip('redis-server is not installed');
    // Assert
    const [url, passwordLine] = out.split('\n');
    assert.match(url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const password = /^password: ([A-Za-z0-9_-]{43})$/.exec(passwordLine)?.[1];
    assert.ok(password, out);
    assert.match(out, /BILEVEL_REDIS_PASSWORD/);
    assert.match(out, /--queue-password-file FILE/);
    assert.match(out, new RegExp(`npx bilevel worker --queue ${url.replace(/[.]/g, '\\.')} --secret-file SECRET`));
    assert.ok(!out.includes(`:${password}@`), 'the recipe keeps the password out of the URL');
    await checkRedis(resolveRedisTarget(url, { env: { BILEVEL_REDIS_PASSWORD: password } }));
    await assert.rejects(checkRedis(parseRedisUrl(url)), /requires a password/);
  } finally {
    child.stdin.end();
    await exited;
  }
});
