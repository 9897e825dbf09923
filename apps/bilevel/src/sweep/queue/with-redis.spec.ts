import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { launchRedis, withRedis } from './with-redis';

test('launchRedis without redis-server: reports it missing (withRedis then skips, or fails under BILEVEL_REQUIRE_REDIS=1)', async () => {
  const r = await launchRedis({ ...process.env, REDIS_SERVER: '/nonexistent/redis-server' });
  assert.ok('missing' in r, 'reported as missing, not thrown');
  assert.match(r.missing, /redis-server not found .*apt-get install redis-server/);
});

test('the test Redis: loopback only, protected mode, no persistence; stopped afterwards', (t) => {
  let seenUrl = '';
  return withRedis(t, async (url) => {
    seenUrl = url;
    assert.match(url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
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
    const after = new Redis(seenUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
