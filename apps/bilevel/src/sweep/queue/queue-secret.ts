import { createHmac, timingSafeEqual } from 'node:crypto';
import { InputError } from '@bilevel/io';
import type { RunResult } from '../../bench/execute-run';
import type { RunSpec } from '../../bench/expand-grid';
import { canonicalJson } from '../canonical-json';
import { readPrivateFile } from './private-file';

/** Environment variable holding the queue secret when no `--secret-file` is given. */
export const SECRET_ENV = 'BILEVEL_QUEUE_SECRET';
/** Shortest secret accepted: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_SECRET_LENGTH = 32;

/** Where {@link readQueueSecret} looks. */
export interface QueueSecretSource {
  /** `--secret-file FILE`: mode 600, the secret on one line (see {@link readPrivateFile}). Takes precedence. */
  readonly secretFile?: string;
  /** Environment to read {@link SECRET_ENV} from. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The secret a sweep shares with its workers: from `--secret-file FILE`, else from env `BILEVEL_QUEUE_SECRET`;
 * never from the command line, where `ps` shows it. At least {@link MIN_SECRET_LENGTH} characters. A sweep signs
 * every job with it and a worker every result ({@link signJob}, {@link signResult}: HMAC-SHA256), so a job or a
 * result written into Redis by anyone without it is refused. Missing or too short: an InputError saying how to make
 * one; the secret itself is never printed.
 *
 * @example
 * // openssl rand -hex 32 > ~/.bilevel-queue-secret && chmod 600 ~/.bilevel-queue-secret
 * const secret = readQueueSecret({ secretFile: `${homedir()}/.bilevel-queue-secret` });
 */
export function readQueueSecret(source: QueueSecretSource = {}): Buffer {
  const env = source.env ?? process.env;
  let text: string;
  let where: string;
  if (source.secretFile !== undefined) {
    text = readPrivateFile(source.secretFile, '--secret-file');
    where = `--secret-file ${source.secretFile}`;
  } else if (env[SECRET_ENV] !== undefined && env[SECRET_ENV] !== '') {
    text = env[SECRET_ENV]!.trim();
    where = SECRET_ENV;
  } else {
    throw new InputError(
      `the queue needs a secret shared by the sweep and its workers (they sign jobs and results with it): ` +
        `give --secret-file FILE (mode 600) or set ${SECRET_ENV}; make one with: openssl rand -hex 32 > FILE && chmod 600 FILE`,
      '--queue',
    );
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new InputError(`the secret has ${text.length} characters; expected at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 32)`, where);
  }
  return Buffer.from(text, 'utf8');
}

/** What a worker returns for a run: the result's JSON text and its tag (the sweep checks the tag, then parses). */
export interface SignedResult {
  readonly json: string;
  readonly tag: string;
}

/** The tag of a job: HMAC-SHA256 of its run key and the canonical JSON of its spec. */
export function signJob(secret: Buffer, key: string, spec: RunSpec): string {
  return mac(secret, 'bilevel-job-v1', key, canonicalJson(spec));
}

/** Whether `tag` is the tag of this job (constant-time comparison). */
export function verifyJob(secret: Buffer, key: string, spec: unknown, tag: unknown): boolean {
  let text: string;
  try {
    text = canonicalJson(spec);
  } catch {
    return false;
  }
  return sameTag(mac(secret, 'bilevel-job-v1', key, text), tag);
}

/** A worker's return value for run `key`: the result as JSON text and the HMAC-SHA256 of key and text. */
export function signResult(secret: Buffer, key: string, result: RunResult): SignedResult {
  const json = JSON.stringify(result);
  return { json, tag: mac(secret, 'bilevel-result-v1', key, json) };
}

/**
 * The result a worker returned for run `key`, if it carries a valid tag ({@link signResult}); undefined for anything
 * else (a forged or altered value, a worker with another secret, an older worker's plain result).
 */
export function openResult(secret: Buffer, key: string, value: unknown): unknown {
  const v = value as Partial<SignedResult> | null | undefined;
  if (v === null || typeof v !== 'object' || typeof v.json !== 'string') return undefined;
  if (!sameTag(mac(secret, 'bilevel-result-v1', key, v.json), v.tag)) return undefined;
  try {
    return JSON.parse(v.json) as unknown;
  } catch {
    return undefined;
  }
}

/** HMAC-SHA256 over a domain label, the run key and the payload, separated so no field can shift into another. */
function mac(secret: Buffer, domain: string, key: string, payload: string): string {
  return createHmac('sha256', secret).update(`${domain}\n${key}\n`).update(payload).digest('hex');
}

function sameTag(expected: string, got: unknown): boolean {
  if (typeof got !== 'string' || got.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(got));
}
