#!/usr/bin/env node
// `npm run build`: compiles every library and app to ESM JavaScript with declaration files and source maps
// (`dist/` beside `src/`), with TypeScript's own solution builder over the project references of tsconfig.build.json
// (incremental: an unchanged project is not rebuilt; `--force` rebuilds all). `--clean` deletes the outputs instead.
//
// The sources import relative modules without an extension (`./solver`), which tsx and `moduleResolution: bundler`
// accept but Node's ESM loader and a consumer's `NodeNext` resolution do not. Rather than rewrite every import of the
// sources, two small transformers give each relative specifier of the emitted JavaScript and declarations the file
// it names (`./solver.js`, `./parts/index.js`), as the compiler resolved it; a specifier that names no source file
// fails the build. Files the code reads at run time beside itself (the dashboard's page, the worker entries `.mjs`)
// are copied from src to dist.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const solution = join(root, 'tsconfig.build.json');
/** Files under src/ that are read or loaded at run time and that the compiler does not emit. */
const ASSETS = /\.(mjs|js|json|html|css)$/;

/** The emitted specifier for `spec` imported from the source file `from`, or `spec` itself when not relative. */
export function fullSpecifier(spec, from) {
  if (spec === '.' || spec === '..') return `${spec}/index.js`;
  if (!spec.startsWith('./') && !spec.startsWith('../')) return spec;
  if (/\.(m?js|cjs|json)$/.test(spec)) return spec;
  const base = join(dirname(from), spec);
  if (existsSync(`${base}.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.ts'))) return `${spec.replace(/\/$/, '')}/index.js`;
  throw new Error(`build: ${relative(root, from)} imports '${spec}', which names no .ts file or folder with an index.ts`);
}

/** A transformer that rewrites the module specifiers of imports, re-exports, `import()` calls and import types. */
function specifierTransformer(context) {
  const f = context.factory;
  return (file) => {
    if (file.kind !== ts.SyntaxKind.SourceFile) return file;
    const from = file.fileName;
    const literal = (node) => f.createStringLiteral(fullSpecifier(node.text, from));
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
        return f.updateCallExpression(node, node.expression, node.typeArguments, [literal(node.arguments[0]), ...node.arguments.slice(1)]);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const argument = f.updateLiteralTypeNode(node.argument, literal(node.argument.literal));
        return f.updateImportTypeNode(node, argument, node.attributes, node.qualifier, node.typeArguments, node.isTypeOf);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(file, visit, context);
  };
}

/** Copies the run-time assets of `src` (see ASSETS) to the same places under `dist`. */
function copyAssets(projectDir) {
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (ASSETS.test(name)) {
        const target = join(projectDir, 'dist', relative(join(projectDir, 'src'), path));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
      }
    }
  };
  walk(join(projectDir, 'src'));
}

/** The project folders the solution references (libs/x, apps/y), in the solution file's order. */
function projects() {
  const config = ts.readConfigFile(solution, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  return config.config.references.map((r) => join(root, dirname(r.path)));
}

function main(argv) {
  const clean = argv.includes('--clean');
  const report = ts.createDiagnosticReporter(ts.sys, process.stdout.isTTY);
  const host = ts.createSolutionBuilderHost(ts.sys, undefined, report, report);
  const builder = ts.createSolutionBuilder(host, [solution], { verbose: argv.includes('--verbose'), force: argv.includes('--force') });
  if (clean) {
    for (const dir of projects()) rmSync(join(dir, 'dist'), { recursive: true, force: true });
    return 0;
  }
  const transformers = { after: [specifierTransformer], afterDeclarations: [specifierTransformer] };
  const status = builder.build(undefined, undefined, undefined, () => transformers);
  if (status !== ts.ExitStatus.Success) return 1;
  for (const dir of projects()) copyAssets(dir);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
