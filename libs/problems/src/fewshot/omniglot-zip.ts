import AdmZip from 'adm-zip';
import { InputError } from '@bilevel/io';

/** Limits on one Omniglot zip archive, checked before anything is inflated. */
export interface OmniglotZipLimits {
  /** The most entries (files and folders) an archive may declare. Default 100,000 (the full Omniglot set has 32,460 drawings). */
  readonly maxEntries?: number;
  /** The largest uncompressed size a drawing may declare, in bytes. Default 1 MiB (Omniglot's PNGs are ~300 bytes). */
  readonly maxEntryBytes?: number;
}

/** Default of {@link OmniglotZipLimits.maxEntries}: the full Omniglot set has 32,460 drawings. */
export const OMNIGLOT_DEFAULT_MAX_ENTRIES = 100_000;
/** Default of {@link OmniglotZipLimits.maxEntryBytes}, 1 MiB: Omniglot's PNGs are about 300 bytes. */
export const OMNIGLOT_DEFAULT_MAX_ENTRY_BYTES = 1 << 20;
/** The longest entry name read, in bytes, and the most `/`-separated parts it may have (Omniglot's have 3 or 4). */
const MAX_NAME_BYTES = 1024;
const MAX_NAME_PARTS = 16;

/** One drawing of an Omniglot archive: where it is, and how to read its PNG bytes. */
export interface OmniglotDrawing {
  readonly alphabet: string;
  readonly character: string;
  /** The drawing's file name, e.g. `0108_01.png`. */
  readonly file: string;
  /** The entry's full name in the archive. */
  readonly entryName: string;
  /** Its uncompressed size and CRC-32 as the central directory declares them. */
  readonly size: number;
  readonly crc: number;
  /** The archive's path, for messages. */
  readonly source: string;
  /** Inflates the entry (at most `size` bytes) and checks its CRC-32; any failure is an {@link InputError} at `source`. */
  read(): Buffer;
}

/** Entries a zip made on macOS or Windows carries besides the data: ignored. */
function isJunk(name: string): boolean {
  const parts = name.split('/');
  const base = parts[parts.length - 1];
  return parts[0] === '__MACOSX' || base.startsWith('.') || base === 'Thumbs.db' || base === 'desktop.ini';
}

/** Why an entry name is refused (a path leaving the archive or a hostile name), or undefined if it is fine. */
function unsafeName(name: string): string | undefined {
  if (name.includes('\0')) return 'a NUL character';
  if (name.includes('\\')) return 'a backslash (Omniglot archives separate folders with "/")';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive letter';
  if (name.split('/').some((p) => p === '..')) return 'a ".." part that leaves the archive';
  if (name.split('/').some((p) => p === '.')) return 'a "." part';
  return undefined;
}

/** Thrown by the name decoder handed to adm-zip, so an over-long name stops its parsing before it does any work on it. */
class NameRefused extends Error {}

/** UTF-8 names, refused past {@link MAX_NAME_BYTES} bytes or {@link MAX_NAME_PARTS} parts (adm-zip's folder bookkeeping is quadratic in the parts). */
const boundedDecoder = {
  efs: true,
  encode: (data: string): Buffer => Buffer.from(data, 'utf8'),
  decode: (data: Buffer | Uint8Array): string => {
    if (data.length > MAX_NAME_BYTES) throw new NameRefused(`an entry name of ${data.length} bytes, more than the ${MAX_NAME_BYTES} read`);
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    let parts = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 47) parts++;
    if (parts > MAX_NAME_PARTS) throw new NameRefused(`an entry name of ${parts} "/"-separated parts ("${text.slice(0, 60)}…"), more than the ${MAX_NAME_PARTS} read`);
    return text;
  },
};

function positiveInteger(value: number | undefined, fallback: number, field: string, who: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= 1)) throw new InputError(`options.${field} must be a positive integer, received ${String(value)}`, who);
  return value;
}

/** Validated limits of {@link listOmniglotZip}. */
export function omniglotZipLimits(limits: OmniglotZipLimits, who: string): Required<OmniglotZipLimits> {
  return {
    maxEntries: positiveInteger(limits.maxEntries, OMNIGLOT_DEFAULT_MAX_ENTRIES, 'maxEntries', who),
    maxEntryBytes: positiveInteger(limits.maxEntryBytes, OMNIGLOT_DEFAULT_MAX_ENTRY_BYTES, 'maxEntryBytes', who),
  };
}

const SHAPE = 'an Omniglot archive holds <alphabet>/<character>/<drawing>.png, optionally all under one top folder';

function libraryError(err: unknown, source: string, what: string): InputError {
  if (err instanceof InputError) return err;
  if (err instanceof NameRefused) return new InputError(`not an Omniglot archive: ${err.message}; ${SHAPE}`, source);
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ERR_BUFFER_TOO_LARGE') return new InputError(`${what}: the data inflates to more than its declared size`, source);
  return new InputError(`${what}: ${e?.message ?? String(err)}`, source);
}

/**
 * Lists the drawings of an Omniglot zip archive held in memory (as distributed: `images_background/<alphabet>/
 * <character>/<drawing>.png`, 105 × 105 1-bit PNGs), reading it with adm-zip without inflating anything: the
 * drawings are inflated one at a time by {@link OmniglotDrawing.read}.
 *
 * Checked before anything is inflated, each an {@link InputError} at `source`: the archive's structure (adm-zip:
 * end record, central directory, local headers), the number of entries it declares (`maxEntries`), each entry's
 * name (UTF-8, at most 1024 bytes and 16 parts; no `..` or `.` part, no absolute path, drive letter, backslash or
 * NUL: path traversal is refused even though nothing is written to disk), its compression (stored or deflate, not
 * encrypted) and declared size (`maxEntryBytes`), and the Omniglot layout: every file is
 * `<alphabet>/<character>/<drawing>.png`, all under the same top folder or none (`__MACOSX/`, hidden files,
 * `Thumbs.db` and `desktop.ini` are skipped). adm-zip caps each inflation at the declared size and checks the
 * CRC-32 (adm-zip ≥ 0.6, CVE-2026-39244), so a zip bomb costs no more than its declared sizes, which the caller
 * bounds in total.
 *
 * @example listOmniglotZip(readFileSync('images_background_small1.zip'), 'small1.zip').length // 2,720
 */
export function listOmniglotZip(bytes: Uint8Array, source: string, limits: OmniglotZipLimits = {}): OmniglotDrawing[] {
  const { maxEntries, maxEntryBytes } = omniglotZipLimits(limits, 'listOmniglotZip');
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let entries: AdmZip.IZipEntry[];
  try {
    const zip = new AdmZip(buffer, { noSort: true, readEntries: false, decoder: boundedDecoder });
    const declared = zip.getEntryCount();
    if (declared > maxEntries) throw new InputError(`the archive declares ${declared} entries, more than the limit of ${maxEntries} (option maxEntries)`, source);
    entries = zip.getEntries();
  } catch (err) {
    throw libraryError(err, source, 'not a readable zip archive (adm-zip)');
  }
  const files: { entry: AdmZip.IZipEntry; parts: string[] }[] = [];
  for (const entry of entries) {
    const name = entry.entryName;
    const unsafe = unsafeName(name);
    if (unsafe) throw new InputError(`entry "${name.slice(0, 200)}": the name has ${unsafe}; ${SHAPE}`, source);
    if (entry.isDirectory || isJunk(name)) continue;
    files.push({ entry, parts: name.split('/') });
  }
  if (files.length === 0) throw new InputError(`not an Omniglot archive: it holds no files; ${SHAPE}`, source);
  // the layout: all names have 4 parts under one top folder, or all have 3
  const top = files[0].parts.length === 4 ? files[0].parts[0] : undefined;
  const drawings: OmniglotDrawing[] = [];
  for (const { entry, parts } of files) {
    const name = entry.entryName;
    const shaped = top === undefined ? parts.length === 3 : parts.length === 4 && parts[0] === top;
    const rel = top === undefined ? parts : parts.slice(1);
    if (!shaped || rel.some((p) => p === '')) {
      const expected = top === undefined ? '<alphabet>/<character>/<drawing>.png' : `${top}/<alphabet>/<character>/<drawing>.png like the first file`;
      throw new InputError(`not an Omniglot archive: entry "${name.slice(0, 200)}" is not ${expected}; ${SHAPE}`, source);
    }
    const [alphabet, character, file] = rel;
    if (!/\.png$/i.test(file)) throw new InputError(`not an Omniglot archive: entry "${name.slice(0, 200)}" is not a .png file; ${SHAPE}`, source);
    const header = entry.header;
    if (header.encrypted) throw new InputError(`entry "${name}" is encrypted; expected plain (stored or deflated) PNG files`, source);
    if (header.method !== 0 && header.method !== 8) throw new InputError(`entry "${name}": compression method ${header.method}; expected 0 (stored) or 8 (deflate)`, source);
    const size = header.size;
    if (!(Number.isSafeInteger(size) && size >= 0)) throw new InputError(`entry "${name}" declares the size ${size}; expected a byte count`, source);
    if (size > maxEntryBytes) throw new InputError(`entry "${name}" declares ${size} bytes, more than the limit of ${maxEntryBytes} for one drawing (option maxEntryBytes)`, source);
    drawings.push({
      alphabet,
      character,
      file,
      entryName: name,
      size,
      crc: header.crc >>> 0,
      source,
      read: () => {
        let data: Buffer;
        try {
          data = entry.getData();
        } catch (err) {
          throw libraryError(err, source, `entry "${name}" cannot be read (adm-zip)`);
        }
        if (data.length !== size) throw new InputError(`entry "${name}" holds ${data.length} bytes, not the ${size} its header declares`, source);
        return data;
      },
    });
  }
  return drawings;
}
