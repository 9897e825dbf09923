import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgress } from './create-progress';

/** A fake terminal: collects what is written; `isTTY` decides whether cli-progress draws with cursor moves. */
function fakeTerminal(isTTY: boolean): { stream: Writable & { isTTY: boolean; columns: number }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }),
    { isTTY, columns: 160 },
  );
  return { stream, text: () => chunks.join('') };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

test('on a terminal the bar shows label, iteration/total, percent, ETA and payload fields', () => {
  const term = fakeTerminal(true);
  const progress = createProgress({ total: 200, label: 'soba', stream: term.stream });

  progress.update(50, { h: 0.0123456, '‖∇h‖': 4.2e-3, phase: 'inner' });
  progress.stop();

  const text = stripAnsi(term.text());
  assert.match(text, /soba \|[█░]+\| 50\/200 25% \| ETA \S+ \| h 0\.01235 {2}‖∇h‖ 0\.004200 {2}phase inner/);
});

test('enabled defaults to the stream being a terminal: nothing is written to a pipe or file', () => {
  const pipe = fakeTerminal(false);
  const progress = createProgress({ total: 10, stream: pipe.stream });

  progress.update(3, { h: 1 });
  progress.stop();

  assert.equal(pipe.text(), '');
});

test('enabled: false is a no-op even on a terminal, and still validates its arguments', () => {
  const term = fakeTerminal(true);
  const progress = createProgress({ total: 10, enabled: false, stream: term.stream });

  progress.update(3);
  progress.stop();

  assert.equal(term.text(), '');
  assert.throws(() => progress.update(NaN), /Progress\.update: value is NaN; expected a finite number >= 0/);
});

test('stop is idempotent and updates after stop are ignored', () => {
  const term = fakeTerminal(true);
  const progress = createProgress({ total: 10, stream: term.stream });
  progress.update(10);
  progress.stop();
  const before = term.text();

  progress.update(5, { h: 2 });
  progress.stop();

  assert.equal(term.text(), before);
});

test('createProgress validates its options', () => {
  assert.throws(() => createProgress({ total: 0 }), /createProgress: options\.total is 0; expected a positive finite number/);
  assert.throws(() => createProgress({ total: Infinity }), /options\.total is Infinity/);
  assert.throws(() => createProgress({ total: 5, label: 7 as never }), /options\.label is 7; expected a string/);
  assert.throws(() => createProgress({ total: 5, enabled: 'yes' as never }), /options\.enabled is "yes"; expected a boolean/);
  assert.throws(() => createProgress({ total: 5, stream: {} as never }), /options\.stream is an object; expected a writable stream/);
});
