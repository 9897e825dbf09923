import { Resvg } from '@resvg/resvg-js';
import { describeValue } from './describe-value';

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Width of the PNG in pixels; the height follows the aspect ratio. Default: twice the SVG's own width. */
  width?: number;
  /**
   * Font used for the generic `sans-serif` family (what Vega writes) and as the default. Default: `'Helvetica'`
   * on macOS, `'Arial'` on Windows, `'DejaVu Sans'` elsewhere. If it is not installed, resvg falls back to some
   * installed font (often a serif one): text still renders, in a different face.
   */
  fontFamily?: string;
  /** Extra font files (.ttf/.otf) to load besides the system fonts, e.g. for machines without any. Default `[]`. */
  fontFiles?: string[];
}

const DEFAULT_FONT = process.platform === 'darwin' ? 'Helvetica' : process.platform === 'win32' ? 'Arial' : 'DejaVu Sans';

/**
 * Rasterises an SVG (e.g. from {@link convergencePlotSvg}) to PNG bytes with resvg, in-process and synchronous.
 *
 * Fonts: resvg does not read fontconfig aliases, so system fonts are loaded (`loadSystemFonts: true`) and the
 * generic `sans-serif` family is mapped to `fontFamily`. Without any font on the machine text silently
 * disappears (shapes still render); pass `fontFiles` there.
 *
 * @example
 * writeFileAtomic('runs/soba-1/convergence.png', svgToPng(svg, { width: 1600 }));
 */
export function svgToPng(svg: string, options: SvgToPngOptions = {}): Uint8Array {
  if (typeof svg !== 'string' || !/<svg[\s>]/.test(svg)) {
    throw new TypeError(`svgToPng: svg is ${describeValue(svg)}; expected an SVG document string`);
  }
  const { width, fontFamily = DEFAULT_FONT, fontFiles = [] } = options;
  if (width !== undefined && (!Number.isInteger(width) || width < 1 || width > 16384)) {
    throw new RangeError(`svgToPng: options.width is ${describeValue(width)}; expected an integer number of pixels in [1, 16384]`);
  }
  if (typeof fontFamily !== 'string' || fontFamily.length === 0) {
    throw new TypeError(`svgToPng: options.fontFamily is ${describeValue(fontFamily)}; expected a font family name`);
  }
  if (!Array.isArray(fontFiles) || fontFiles.some((f) => typeof f !== 'string')) {
    throw new TypeError(`svgToPng: options.fontFiles is ${describeValue(fontFiles)}; expected an array of file paths`);
  }
  const resvg = new Resvg(svg, {
    fitTo: width === undefined ? { mode: 'zoom', value: 2 } : { mode: 'width', value: width },
    font: { loadSystemFonts: true, fontFiles, defaultFontFamily: fontFamily, sansSerifFamily: fontFamily },
    background: 'white',
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
