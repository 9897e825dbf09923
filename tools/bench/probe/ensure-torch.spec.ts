// ensureTorch on a scripted system: which commands it runs, and what it concludes, when torch and OpenBLAS are
// present, installable, installable only after an update, or not installable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandResult } from './ensure-torch';
import { ensureTorch } from './ensure-torch';

const ok = (stdout = ''): CommandResult => ({ status: 0, stdout, stderr: '' });
const fail = (stderr: string): CommandResult => ({ status: 100, stdout: '', stderr });

/** A fake system: which packages are installed, whether apt-get works (and only after an update), and a log. */
function system(options: { torch: boolean; openblas: boolean; apt: 'works' | 'after-update' | 'fails' }) {
  const state = { ...options, updated: false };
  const log: string[] = [];
  const run = (command: string, args: readonly string[]): CommandResult => {
    const line = [command, ...args].join(' ');
    log.push(line);
    if (args[0] === '-c') return command === '/usr/bin/python3' && state.torch ? ok() : fail('ModuleNotFoundError: No module named torch');
    if (command === 'dpkg-query') return state.openblas ? ok('install ok installed') : fail('no packages found');
    const apt = command === 'apt-get' ? args : args.slice(3);
    if (apt[0] === 'update') {
      state.updated = true;
      return ok();
    }
    if (state.apt === 'fails' || (state.apt === 'after-update' && !state.updated)) return fail('E: Unable to locate package python3-torch');
    if (apt.includes('python3-torch')) state.torch = true;
    if (apt.includes('libopenblas0-pthread')) state.openblas = true;
    return ok();
  };
  return { run, log };
}

test('torch and OpenBLAS present: nothing is installed, Debian python is chosen', () => {
  const s = system({ torch: true, openblas: true, apt: 'fails' });
  const r = ensureTorch(s.run, true);
  assert.equal(r.python, '/usr/bin/python3');
  assert.deepEqual(r.installed, []);
  assert.ok(!s.log.some((l) => l.includes('apt-get')), s.log.join('\n'));
});

test('torch missing: both packages are installed with apt-get (root), after an update when the first try fails', () => {
  const s = system({ torch: false, openblas: false, apt: 'after-update' });
  const r = ensureTorch(s.run, true);
  assert.equal(r.python, '/usr/bin/python3');
  assert.deepEqual(r.installed, ['python3-torch', 'libopenblas0-pthread']);
  assert.deepEqual(
    s.log.filter((l) => l.startsWith('apt-get')),
    ['apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread', 'apt-get update', 'apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread'],
  );
});

test('not root: apt-get goes through sudo -n (no password prompt)', () => {
  const s = system({ torch: true, openblas: false, apt: 'works' });
  const r = ensureTorch(s.run, false);
  assert.deepEqual(r.installed, ['libopenblas0-pthread']);
  assert.ok(s.log.includes('sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas0-pthread'), s.log.join('\n'));
});

test('torch not installable: skipped with a message that says why', () => {
  const s = system({ torch: false, openblas: false, apt: 'fails' });
  const r = ensureTorch(s.run, true);
  assert.equal(r.python, null);
  assert.ok('skipped' in r && /PyTorch peer skipped: .*apt-get install python3-torch libopenblas0-pthread failed with status 100: E: Unable to locate package/.test(r.skipped), JSON.stringify(r));
});

test('OpenBLAS not installable: torch still runs, with a note that its figures are not representative', () => {
  const s = system({ torch: true, openblas: false, apt: 'fails' });
  const r = ensureTorch(s.run, true);
  assert.equal(r.python, '/usr/bin/python3');
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0], /libopenblas0-pthread is missing .*not representative/);
});
