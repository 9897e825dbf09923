import { basename } from 'node:path';
import type { ReconstructionGrid } from '@bilevel/problems';
import { encodeGrayPng } from '@bilevel/problems';

/** Height of the band of column headers above the images, in SVG pixels. */
const HEADER = 28;
/** Gap around the tiles, as {@link reconstructionGrid} draws them. */
const GAP = 4;
/** Column headers, left to right. */
export const RECONSTRUCTION_COLUMNS = ['clean', 'measured', 'reconstructed'] as const;

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The reconstructions picture a person reads: the grid of {@link reconstructionGrid} (one row per image: clean |
 * measured | reconstructed) under a band of column headers, each row's image file name on its clean tile and the PSNR
 * against the clean image on the measured and reconstructed tiles (white boxes, so that they read on any image). An
 * SVG with the grid embedded as a PNG, rendered to PNG by `svgToPng` with the plots' fonts.
 *
 * @example writeFileAtomic('runs/dn/reconstructions.png', svgToPng(reconstructionsFigureSvg(reconstructionGrid(problem, x)), { width: grid.width * 2 }));
 */
export function reconstructionsFigureSvg(grid: ReconstructionGrid): string {
  const png = Buffer.from(encodeGrayPng(grid.width, grid.height, grid.data)).toString('base64');
  const tileW = (grid.width - 4 * GAP) / 3;
  const tileH = grid.rows.length ? (grid.height - (grid.rows.length + 1) * GAP) / grid.rows.length : 0;
  const height = grid.height + HEADER;
  const text: string[] = RECONSTRUCTION_COLUMNS.map(
    (name, col) => `<text x="${GAP + col * (tileW + GAP) + tileW / 2}" y="${HEADER - 9}" text-anchor="middle" font-size="14" font-family="sans-serif">${name}</text>`,
  );
  const label = (x: number, y: number, s: string) => {
    const w = 7 * s.length + 8;
    return `<rect x="${x}" y="${y - 14}" width="${w}" height="18" fill="white" fill-opacity="0.85"/><text x="${x + 4}" y="${y}" font-size="12" font-family="sans-serif">${escape(s)}</text>`;
  };
  grid.rows.forEach((r, row) => {
    const bottom = HEADER + GAP + row * (tileH + GAP) + tileH - 4;
    // the image's file name (a path or `file#k` for a crop), cut to the tile's width
    const name = basename(r.label);
    const fits = Math.max(4, Math.floor((tileW - 12) / 7));
    text.push(label(GAP + 2, bottom, name.length > fits ? `${name.slice(0, fits - 1)}…` : name));
    text.push(label(GAP + (tileW + GAP) + 2, bottom, `PSNR ${r.psnrObserved.toFixed(2)} dB`));
    text.push(label(GAP + 2 * (tileW + GAP) + 2, bottom, `PSNR ${r.psnrReconstructed.toFixed(2)} dB`));
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${grid.width}" height="${height}" viewBox="0 0 ${grid.width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<image x="0" y="${HEADER}" width="${grid.width}" height="${grid.height}" image-rendering="pixelated" xlink:href="data:image/png;base64,${png}"/>`,
    ...text,
    '</svg>',
  ].join('\n');
}
