// Tokens: random, URL-safe, compared in constant time whatever the lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, sameToken } from './dashboard-token';

test('tokens are 32 URL-safe characters (192 random bits), different each time', () => {
  const a = createToken();
  const b = createToken();
  assert.match(a, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(a, b);
});

test('sameToken accepts the token only: not a prefix, an extension, another case, empty or missing', () => {
  const t = createToken();
  assert.equal(sameToken(t, t), true);
  for (const wrong of [t.slice(0, -1), `${t}x`, t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase(), '', null, undefined, 'x'.repeat(5000)]) {
    assert.equal(sameToken(wrong, t), false, `accepted ${String(wrong).slice(0, 40)}`);
  }
});
