// The I/O helpers moved to @bilevel/io; code that imports them from @bilevel/problems keeps working (the same
// objects, so `instanceof InputError` holds whichever import made the error) and is told to move: each re-export
// carries a @deprecated doc comment, which editors and typescript-eslint's no-deprecated rule report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import * as io from '@bilevel/io';
import * as problems from './index';

test('every value of @bilevel/io is still exported by @bilevel/problems, the same object', () => {
  const names = Object.keys(io);
  assert.ok(names.includes('InputError') && names.includes('readJsonFile') && names.includes('prepareOutDir'), names.join(', '));
  for (const name of names) assert.equal((problems as Record<string, unknown>)[name], (io as Record<string, unknown>)[name], name);
  assert.ok(new io.InputError('x') instanceof problems.InputError);
});

test('each re-export of @bilevel/io from @bilevel/problems is marked @deprecated', () => {
  const path = new URL('./index.ts', import.meta.url);
  const file = ts.createSourceFile(path.pathname, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specifiers = file.statements
    .filter((s): s is ts.ExportDeclaration => ts.isExportDeclaration(s) && !!s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === '@bilevel/io')
    .flatMap((s) => (s.exportClause && ts.isNamedExports(s.exportClause) ? [...s.exportClause.elements] : []));
  const reexported = specifiers.map((e) => e.name.text);
  // the values of @bilevel/io, and its one exported type
  assert.deepEqual(reexported.filter((n) => n !== 'ReadRegularFileOptions').sort(), Object.keys(io).sort());
  assert.ok(reexported.includes('ReadRegularFileOptions'));
  const notDeprecated = specifiers.filter((e) => ts.getJSDocDeprecatedTag(e) === undefined).map((e) => e.name.text);
  assert.deepEqual(notDeprecated, []);
});
