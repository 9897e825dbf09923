import type { RedisOptions } from 'bullmq';
import { InputError } from '@bilevel/io';
import { readPrivateFile } from './private-file';

/** The option the Redis URL comes from, named in every error. */
const OPTION = '--queue';

/** Environment variable holding the Redis password when the URL has none and no `--queue-password-file` is given. */
export const PASSWORD_ENV = 'BILEVEL_REDIS_PASSWORD';

/** Default time allowed to connect to Redis and get an answer to PING before {@link checkRedis} gives up. */
export const CONNECT_TIMEOUT_MS = 3000;

/** A Redis server and database, from a `redis://HOST:PORT[/DB]` URL. */
export interface RedisTarget {
  /** The URL in its canonical form (`redis://HOST:PORT/DB`, `/DB` left out for 0). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  /** Credentials of `redis://[USER]:PASSWORD@HOST:PORT` (an ACL user, or the `requirepass` password alone). */
  readonly username?: string;
  readonly password?: string;
}

/**
 * Parses `redis://[[USER]:PASSWORD@]HOST:PORT[/DB]`: optional credentials (for a server on the network, configured
 * with `requirepass` or ACL users), a host name, IPv4 or bracketed IPv6 address, an explicit port in [1, 65535] and
 * an optional database number. Anything else (another scheme, a query, a missing port) is an InputError naming
 * `--queue`, the value (its password masked) and the expected form. The canonical `url` never shows the password.
 *
 * @example
 * parseRedisUrl('redis://127.0.0.1:6379/1'); // { url: 'redis://127.0.0.1:6379/1', host: '127.0.0.1', port: 6379, db: 1 }
 */
export function parseRedisUrl(text: string): RedisTarget {
  const fail = (why: string): never => {
    const shown = typeof text === 'string' ? maskCredentials(text.trim()) : text;
    throw new InputError(`${JSON.stringify(shown)} is not a Redis URL (${why}); expected redis://HOST:PORT or redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379`, OPTION);
  };
  if (typeof text !== 'string' || text.trim() === '') return fail('empty');
  if (/^rediss:\/\//i.test(text.trim())) return fail('TLS (rediss://) is not supported; reach a remote server through an SSH tunnel or a TLS proxy');
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return fail('unparsable');
  }
  if (url.protocol !== 'redis:') return fail(`scheme "${url.protocol.replace(/:$/, '')}"`);
  if (url.search || url.hash) return fail('a query or fragment');
  if (!url.hostname) return fail('no host');
  if (!url.port) return fail('no port');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(`port ${url.port}`);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) return fail(`database "${path}" is not a number`);
  const db = path === '' ? 0 : Number(path);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const auth = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  return { url: `redis://${auth}${url.hostname}:${port}${db ? `/${db}` : ''}`, host, port, db, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * A URL as it may be shown: everything between the scheme and the last `@` (user and password, whatever characters
 * they hold, `/`, `@`, `:` or `#` included) replaced by `***`. A text without `@` is shown as it is.
 *
 * @example
 * maskCredentials('rediss://me:p/a@ss@db.lab:6380'); // 'rediss://***@db.lab:6380'
 */
export function maskCredentials(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return `${scheme}***${text.slice(at)}`;
}

/** Where {@link resolveRedisTarget} finds a password the URL does not hold. */
export interface RedisAuthSource {
  /** `--queue-password-file FILE`: mode 600, the password on one line (see {@link readPrivateFile}). */
  readonly passwordFile?: string;
  /** Environment to read {@link PASSWORD_ENV} from. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The Redis target of `--queue URL` with its password from the URL, else `--queue-password-file FILE`, else env
 * `BILEVEL_REDIS_PASSWORD`: a password kept out of the URL stays out of `ps`. A URL with a password and a password
 * file is an InputError (which one was meant?).
 *
 * @example
 * // BILEVEL_REDIS_PASSWORD=… bilevel worker --queue redis://10.0.0.5:6379
 * const target = resolveRedisTarget('redis://10.0.0.5:6379');
 */
export function resolveRedisTarget(url: string, source: RedisAuthSource = {}): RedisTarget {
  const target = parseRedisUrl(url);
  const fromFile = source.passwordFile !== undefined ? readPrivateFile(source.passwordFile, '--queue-password-file') : undefined;
  if (target.password !== undefined && fromFile !== undefined) {
    throw new InputError('the URL holds a password and --queue-password-file gives one too; keep the password out of the URL (ps shows it)', OPTION);
  }
  const fromEnv = (source.env ?? process.env)[PASSWORD_ENV];
  const password = target.password ?? fromFile ?? (fromEnv ? fromEnv : undefined);
  return password === undefined ? target : { ...target, password };
}

/**
 * ioredis options for BullMQ queues, workers and event listeners on `target`: `maxRetriesPerRequest: null`, as
 * BullMQ requires for the blocking connections of workers (commands wait while the connection is re-established).
 */
export function redisConnection(target: RedisTarget): RedisOptions {
  return { host: target.host, port: target.port, db: target.db, ...credentials(target), maxRetriesPerRequest: null };
}

/**
 * Connects once to `target`, sends PING and disconnects: an unreachable server, a refused connection or a bad
 * database number becomes InputError "cannot reach Redis at redis://…: <reason>" within `timeoutMs`. No reconnection
 * and an error listener attached, so ioredis emits no unhandled error event.
 *
 * @example
 * await checkRedis(parseRedisUrl('redis://127.0.0.1:6379'));
 */
export async function checkRedis(target: RedisTarget, options: { readonly timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`checkRedis: options.timeoutMs is ${timeoutMs}; expected a positive number of milliseconds`);
  }
  let lastError: Error | undefined;
  // ioredis is imported when a queue is used, not by every start of the program
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: target.host,
    port: target.port,
    db: target.db,
    ...credentials(target),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
      })(),
      timeout,
    ]);
  } catch (err) {
    // a refused connection rejects connect() with "Connection is closed."; the cause came as an error event
    const reason = describe(lastError ?? (err as Error));
    if (/NOAUTH/.test(reason)) {
      throw new InputError(`Redis at ${target.url} requires a password: give --queue-password-file FILE or set ${PASSWORD_ENV} (${reason})`, OPTION);
    }
    if (/WRONGPASS|invalid password|invalid username-password/i.test(reason)) {
      throw new InputError(`Redis at ${target.url} refused the password (${reason}); check --queue-password-file or ${PASSWORD_ENV}`, OPTION);
    }
    throw new InputError(`cannot reach Redis at ${target.url}: ${reason}`, OPTION);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** A short reason: ioredis wraps a refused connection as "connect ECONNREFUSED 127.0.0.1:1". */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err.message ?? String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

function credentials(target: RedisTarget): { username?: string; password?: string } {
  return { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
}
