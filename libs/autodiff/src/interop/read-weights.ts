import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError, readRegularFile } from '@bilevel/io';
import type { ManifestGroup, ManifestWeight } from './layers-json';

/** A URL scheme (`http:`, `file:`, `indexeddb:`); a Windows drive letter is caught by `isAbsolute` first. */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The path of a weights shard named in a manifest: relative to model.json's folder and inside it (as
 * `model.save('file://…')` writes them). Absolute paths, URLs and paths leading out of the folder are refused.
 */
function shardPath(dir: string, name: string, where: string): string {
  if (isAbsolute(name) || SCHEME.test(name)) {
    throw new InputError(`the weights file ${JSON.stringify(name)} is not a path relative to the model's folder; weights files are read from the folder of model.json only`, where);
  }
  const path = resolve(dir, name);
  const rel = relative(dir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(`the weights file ${JSON.stringify(name)} is outside the model's folder ${dir}; weights files are read from the folder of model.json only`, where);
  }
  return path;
}

/**
 * Reads the float32 weights of a manifest from its shard files (each by the safe reader of @bilevel/io: regular
 * files only, size-capped): each group's shards are joined in order and must hold exactly the bytes its weight specs
 * describe (a shorter file is truncated, a longer one is not the file the manifest describes); float32 values are
 * read little-endian (the format's byte order) and must be finite. Returns the float32 weights by name; weights of
 * other dtypes are skipped (the caller refuses them where a layer reads them). The total is capped by `maxBytes`,
 * checked from the manifest before anything is read.
 */
export function readWeights(
  dir: string,
  groups: readonly ManifestGroup[],
  weights: readonly ManifestWeight[],
  options: { readonly maxBytes: number; readonly where: string },
): Map<string, Float32Array> {
  const { maxBytes, where } = options;
  const total = groups.reduce((s, g) => s + g.bytes, 0);
  if (total > maxBytes) {
    throw new InputError(`weightsManifest describes ${total} bytes of weights, more than the limit of ${maxBytes} (option maxWeightBytes)`, where);
  }
  const out = new Map<string, Float32Array>();
  groups.forEach((group, g) => {
    const files = group.paths.map((p) => shardPath(dir, p, where));
    const parts: Buffer[] = [];
    let got = 0;
    for (const file of files) {
      // the group may not hold more than it describes: reading stops one byte past that
      const part = readRegularFile(file, {
        maxBytes: group.bytes - got,
        what: 'weights file',
        tooLarge: (size, grew) =>
          `${grew ? 'grew while it was read and now holds' : 'holds'} more bytes than weightsManifest[${g}] describes (${group.bytes} bytes of weights in ${files.length === 1 ? 'this file' : `its ${files.length} files`}${got > 0 ? `, ${got} of them in the files before` : ''}${grew ? '' : `; this file has ${size}`}): not the weights of this model.json`,
      });
      parts.push(part);
      got += part.length;
    }
    if (got < group.bytes) {
      const names = group.paths.map((p) => JSON.stringify(p)).join(', ');
      const first = weights.find((w) => w.group === g && w.offset + w.bytes > got);
      throw new InputError(
        `weights truncated: weightsManifest[${g}] describes ${group.bytes} bytes but ${names} ${group.paths.length === 1 ? 'holds' : 'hold'} ${got}${first ? ` (weight ${JSON.stringify(first.name)} and those after it are cut)` : ''}`,
        files.length === 1 ? files[0] : where,
      );
    }
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const w of weights) {
      if (w.group !== g || w.dtype !== 'float32') continue;
      const values = new Float32Array(w.bytes / 4);
      for (let i = 0; i < values.length; i++) {
        const v = view.getFloat32(w.offset + 4 * i, true);
        if (!Number.isFinite(v)) throw new InputError(`weight ${JSON.stringify(w.name)} holds ${v} at entry ${i}; the weights must be finite numbers`, files.length === 1 ? files[0] : where);
        values[i] = v;
      }
      out.set(w.name, values);
    }
  });
  return out;
}
