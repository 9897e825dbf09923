import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The project's Redis launcher (tools/redis/start-redis.mjs), run as a program: it is a script, not a library. */
export const START_REDIS = fileURLToPath(new URL('../../../../../tools/redis/start-redis.mjs', import.meta.url));
/** Exit code of start-redis.mjs when redis-server is not installed. */
const MISSING = 3;
/** Time allowed for the launcher to print the URL (node start, redis-server start, first PONG). */
const LAUNCH_TIMEOUT_MS = 20_000;

/** A running test Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:PORT`, without the password. */
  readonly url: string;
  /** The server's generated password (`requirepass`). */
  readonly password: string;
  /** `{ BILEVEL_REDIS_PASSWORD: password }`: the environment a client needs besides the URL. */
  readonly env: Readonly<Record<string, string>>;
  /** Process id of redis-server itself (to kill it in a test); the launcher is another process. */
  readonly pid: number;
  /** Stops the server (it removes its temporary folder). Idempotent. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts a throw-away redis-server on 127.0.0.1 through tools/redis/start-redis.mjs (`--exit-with-stdin`: if this
 * process dies, the launcher sees its stdin close and stops the server). Resolves with `{ missing }` when
 * redis-server is not installed, and rejects on any other failure.
 *
 * @param env Environment of the launcher (e.g. `REDIS_SERVER` to name the binary, `BILEVEL_REDIS_PASSWORD` to set the
 *   password). Default: this process's.
 * @param args More options of the launcher (e.g. `--port N`).
 */
export function launchRedis(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = []): Promise<TestRedis | { readonly missing: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [START_REDIS, '--json', '--exit-with-stdin', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`launchRedis: no URL from start-redis.mjs within ${LAUNCH_TIMEOUT_MS} ms\n${err}`));
    }, LAUNCH_TIMEOUT_MS);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      const { url, password, pid } = JSON.parse(line) as { url: string; password: string; pid: number };
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        })());
      resolve({ url, password, pid, env: { BILEVEL_REDIS_PASSWORD: password }, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === MISSING) resolve({ missing: err.trim() });
      else reject(new Error(`launchRedis: start-redis.mjs exited with code ${code}\n${err}`));
    });
  });
}

/**
 * Runs `fn` with the URL of a fresh test Redis (and the server itself: its password, pid), then stops it. Without
 * redis-server the test is skipped with the reason shown, unless env BILEVEL_REQUIRE_REDIS=1 (CI, where `.ci/run`
 * installs it): then it fails saying so.
 *
 * @example
 * test('through Redis', (t) => withRedis(t, async (url, redis) => { ... redis.password ... }));
 */
export async function withRedis(t: TestContext, fn: (url: string, redis: TestRedis) => Promise<void>): Promise<void> {
  const redis = await launchRedis();
  if ('missing' in redis) {
    if (process.env.BILEVEL_REQUIRE_REDIS === '1') {
      throw new Error(`redis-server is required (BILEVEL_REQUIRE_REDIS=1) but missing: ${redis.missing}`);
    }
    t.skip(`redis-server is not installed (apt-get install redis-server; BILEVEL_REQUIRE_REDIS=1 makes this a failure): ${redis.missing}`);
    return;
  }
  try {
    await fn(redis.url, redis);
  } finally {
    await redis.stop();
  }
}
