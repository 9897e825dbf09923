// TypeDoc plugin: names each entry-point module after the package import that reaches it (`@bilevel/linalg`,
// `@bilevel/autodiff/tfjs`) instead of its folder (`linalg/src`).
import { Converter, ReflectionKind } from 'typedoc';
import { importName } from './import-name.mjs';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = module.sources?.[0]?.fullFileName;
      const name = file ? importName(file) : undefined;
      if (name) module.name = name;
    }
  });
}
