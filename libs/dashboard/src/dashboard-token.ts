import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random bytes of a token: 192 bits, far beyond guessing over a loopback socket. */
const TOKEN_BYTES = 24;

/** A fresh random token (crypto.randomBytes, base64url: safe in a URL and in HTML attributes). */
export function createToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * Whether `given` is the token, compared in constant time: both are hashed to 32 bytes first, so neither their
 * contents nor their lengths show in the time taken (timingSafeEqual needs equal lengths).
 */
export function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}
