import type { TopLevelSpec } from 'vega-lite';
import type { VegaLiteSpec } from './vega-lite-spec';

/**
 * Compiles a Vega-Lite spec and renders it to SVG headless (no browser or canvas). vega and vega-lite are imported
 * here, at the first plot, not when the library loads: together they cost about a second of CPU, which a command
 * that draws nothing (`--help`, a refused option) should not pay. Vega's warnings are kept and appended to the error
 * when rendering fails, prefixed by `fn`.
 *
 * @example
 * const svg = await renderVegaLiteSvg(convergencePlotSpec(records, { title: 'SOBA' }), 'convergencePlotSvg');
 */
export async function renderVegaLiteSvg(spec: VegaLiteSpec, fn: string): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    if (method !== 'log') warnings.push(args.map(String).join(' '));
  });
  const view = new vega.View(vega.parse(compile(spec as TopLevelSpec).spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } catch (err) {
    throw new Error(`${fn}: rendering failed (${(err as Error).message})${warnings.length ? `; vega said: ${warnings.join('; ')}` : ''}`, { cause: err });
  } finally {
    view.finalize();
  }
}
