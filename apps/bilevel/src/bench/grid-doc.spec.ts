// The grid file's schema is documented in docs/sweeps.md ("The grid file"), every key of it, and `bilevel sweep
// --help` says where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GRID_FILE_KEYS } from './grid-spec';
import { cli } from '../in-process-cli';
import { EXIT } from '../exit-codes';

const DOC = readFileSync(new URL('../../../../docs/sweeps.md', import.meta.url), 'utf8');
const section = DOC.slice(DOC.indexOf('## The grid file'), DOC.indexOf('\n## ', DOC.indexOf('## The grid file') + 1));

test('docs/sweeps.md documents every key of the grid file at each level', () => {
  assert.ok(section.length > 0, 'the section "The grid file"');
  const missing = Object.entries(GRID_FILE_KEYS).flatMap(([level, keys]) => keys.filter((k) => !section.includes(`\`${k}\``) && !section.includes(`"${k}"`)).map((k) => `${level}.${k}`));
  assert.deepEqual(missing, []);
});

test('bilevel sweep --help names the document of the grid file', async () => {
  const r = await cli(['sweep', '--help']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.match(r.stdout.replace(/\s+/g, ' '), /docs\/sweeps\.md/);
});
