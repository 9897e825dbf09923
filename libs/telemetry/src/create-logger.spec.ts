import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLogger, silentLogger } from './create-logger';

/** A writable stream that keeps what it receives, written synchronously. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('JSON mode writes one parseable line per call, object fields first-class, name and level kept', () => {
  const out = collector();
  const log = createLogger({ destination: out.stream, pretty: false, name: 'bilevel' });

  log.child({ run: 'r1' }).info({ iter: 3, h: 0.5 }, 'outer step');
  log.debug({ iter: 4 }, 'hidden at info');

  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.level, 30);
  assert.equal(rec.name, 'bilevel');
  assert.equal(rec.run, 'r1');
  assert.equal(rec.iter, 3);
  assert.equal(rec.msg, 'outer step');
});

test('pretty mode writes a human-readable single line, without colours when colorize is false', () => {
  const out = collector();
  const log = createLogger({ destination: out.stream, pretty: true, colorize: false, level: 'debug' });

  log.debug({ iter: 7 }, 'inner step');

  const text = out.text();
  assert.match(text, /DEBUG: inner step/);
  assert.match(text, /"iter":7/);
  assert.equal(text.trimEnd().split('\n').length, 1);
  assert.doesNotMatch(text, /\x1b\[/); // eslint-disable-line no-control-regex
});

test('createLogger validates its options and names function, field, value and expectation', () => {
  assert.throws(() => createLogger({ level: 'loud' }), /createLogger: options\.level is "loud"; expected one of fatal, error/);
  assert.throws(() => createLogger({ destination: -1 }), /createLogger: options\.destination is -1; expected a file descriptor/);
  assert.throws(() => createLogger({ destination: {} as never }), /options\.destination is an object/);
  assert.throws(() => createLogger({ pretty: 'yes' as never }), /options\.pretty is "yes"; expected a boolean/);
  assert.throws(() => createLogger({ name: 3 as never }), /options\.name is 3; expected a string/);
});

test('silentLogger has every level disabled', () => {
  const log = silentLogger();
  assert.equal(log.isLevelEnabled('fatal'), false);
  log.error({ a: 1 }, 'nothing happens');
});

// The program must be able to exit right after logging: run a child that logs and calls process.exit at once.
const MODULE_URL = pathToFileURL(fileURLToPath(new URL('./create-logger.ts', import.meta.url))).href;
for (const pretty of [false, true]) {
  test(`no line is lost when the process exits right after logging (pretty: ${pretty})`, () => {
    const N = 2000;
    const code = `
      import { createLogger } from ${JSON.stringify(MODULE_URL)};
      const log = createLogger({ pretty: ${pretty}, colorize: false });
      for (let i = 0; i < ${N}; i++) log.info({ i }, 'line');
      log.info('last line');
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });

    assert.equal(child.status, 0, child.stderr);
    const lines = child.stderr.trimEnd().split('\n');
    assert.equal(lines.length, N + 1);
    assert.match(lines[N], /last line/);
  });
}
