// ensureNumba on a scripted system: which commands it runs, and what it concludes, when numba is present,
// installable, installable only after an update, or not installable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandResult } from './ensure-torch';
import { ensureNumba } from './ensure-numba';

const ok = (stdout = ''): CommandResult => ({ status: 0, stdout, stderr: '' });
const fail = (stderr: string): CommandResult => ({ status: 100, stdout: '', stderr });

/** A fake system: whether numba imports (in Debian's python only), whether apt-get works (and only after an update), and a log. */
function system(options: { numba: boolean; apt: 'works' | 'after-update' | 'fails' }) {
  const state = { ...options, updated: false };
  const log: string[] = [];
  const run = (command: string, args: readonly string[]): CommandResult => {
    log.push([command, ...args].join(' '));
    if (args[0] === '-c') return command === '/usr/bin/python3' && state.numba ? ok() : fail('ModuleNotFoundError: No module named numba');
    const apt = command === 'apt-get' ? args : args.slice(3);
    if (apt[0] === 'update') {
      state.updated = true;
      return ok();
    }
    if (state.apt === 'fails' || (state.apt === 'after-update' && !state.updated)) return fail('E: Unable to locate package python3-numba');
    if (apt.includes('python3-numba')) state.numba = true;
    return ok();
  };
  return { run, log };
}

test('numba present: nothing is installed, Debian python is chosen', () => {
  const s = system({ numba: true, apt: 'fails' });
  const r = ensureNumba(s.run, true);
  assert.equal(r.python, '/usr/bin/python3');
  assert.deepEqual(r.installed, []);
  assert.ok(!s.log.some((l) => l.includes('apt-get')), s.log.join('\n'));
});

test('numba missing: python3-numba is installed with apt-get (root), after an update when the first try fails', () => {
  const s = system({ numba: false, apt: 'after-update' });
  const r = ensureNumba(s.run, true);
  assert.equal(r.python, '/usr/bin/python3');
  assert.deepEqual(r.installed, ['python3-numba']);
  assert.deepEqual(
    s.log.filter((l) => l.startsWith('apt-get')),
    ['apt-get install -y --no-install-recommends python3-numba', 'apt-get update', 'apt-get install -y --no-install-recommends python3-numba'],
  );
});

test('not root: apt-get goes through sudo -n (no password prompt)', () => {
  const s = system({ numba: false, apt: 'works' });
  const r = ensureNumba(s.run, false);
  assert.equal(r.python, '/usr/bin/python3');
  assert.ok(s.log.includes('sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-numba'), s.log.join('\n'));
});

test('numba not installable: skipped with a message that says why', () => {
  const s = system({ numba: false, apt: 'fails' });
  const r = ensureNumba(s.run, true);
  assert.equal(r.python, null);
  assert.ok('skipped' in r && /numba peer skipped/.test(r.skipped) && /Unable to locate package python3-numba/.test(r.skipped), JSON.stringify(r));
  assert.deepEqual(r.installed, []);
});
