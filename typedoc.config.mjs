// TypeDoc configuration of the API reference (`npm run docs:api` writes docs/api/; tools/docs/api-docs.spec.ts
// validates it). The entry points are every library's public entry points, read from the `exports` of
// libs/*/package.json, so a new package or subpath is documented without editing this file.
import { libraryEntryPoints } from './tools/docs/import-name.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  name: 'bilevel toolkit',
  tsconfig: 'tools/docs/tsconfig.typedoc.json',
  entryPoints: libraryEntryPoints(import.meta.dirname),
  plugin: ['./tools/docs/typedoc-package-names.mjs'],
  readme: 'tools/docs/api-readme.md',
  out: 'docs/api',
  sourceLinkTemplate: 'https://github.com/bilevel-toolkit/bilevel/blob/{gitRevision}/{path}#L{line}',
  treatWarningsAsErrors: true,
};
export default config;
