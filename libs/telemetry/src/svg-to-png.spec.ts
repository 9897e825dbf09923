import { test } from 'node:test';
import assert from 'node:assert/strict';
import { svgToPng } from './svg-to-png';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Width and height from the IHDR chunk, which always follows the 8-byte signature (PNG spec §11.2.2). */
const pngSize = (png: Uint8Array) => {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
};
const svgWith = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50" viewBox="0 0 200 50"><rect width="200" height="50" fill="white"/>${body}</svg>`;

test('svgToPng gives PNG bytes at twice the SVG width by default, or at the requested width', () => {
  const svg = svgWith('<circle cx="25" cy="25" r="20" fill="steelblue"/>');

  const png = svgToPng(svg);
  const wide = svgToPng(svg, { width: 1000 });

  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), { width: 400, height: 100 });
  assert.deepEqual(pngSize(wide), { width: 1000, height: 250 });
});

// If no font is found, resvg drops text silently; the image would then equal the one without text.
// On a machine without any system font this fails: pass `fontFiles` to svgToPng there.
test('text in the generic sans-serif family (what Vega writes) renders with the system fonts', () => {
  const blank = svgToPng(svgWith(''));
  const text = svgToPng(svgWith('<text x="10" y="35" font-family="sans-serif" font-size="20">h* ‖∇h‖ 1e-3</text>'));

  assert.notDeepEqual(text, blank);
  assert.ok(text.length > blank.length + 200, `text PNG ${text.length} B vs blank ${blank.length} B`);
});

test('svgToPng validates its arguments', () => {
  assert.throws(() => svgToPng('not svg'), /svgToPng: svg is "not svg"; expected an SVG document string/);
  assert.throws(() => svgToPng(svgWith(''), { width: 0 }), /svgToPng: options\.width is 0; expected an integer number of pixels/);
  assert.throws(() => svgToPng(svgWith(''), { fontFamily: '' }), /options\.fontFamily is ""/);
  assert.throws(() => svgToPng(svgWith(''), { fontFiles: 'a.ttf' as never }), /options\.fontFiles is "a\.ttf"; expected an array/);
});
