/**
 * An output file that could not be written: a full disk (ENOSPC, EDQUOT, EFBIG), a read-only or forbidden folder
 * (EROFS, EACCES, EPERM), a vanished folder (ENOENT)… `path` names the file, `code` is the system error code of the
 * cause (`'EIO'` when it had none), and the message says what was being written and what became of the file
 * (e.g. "the target was left unchanged"). Programs tell it apart from a bug, and from divergence, by its class.
 *
 * @example
 * try {
 *   writeFileAtomic('runs/a/summary.json', text);
 * } catch (err) {
 *   if (err instanceof WriteError) console.error(`could not write ${err.path} (${err.code})`);
 * }
 */
export class WriteError extends Error {
  /** The file that could not be written. */
  readonly path: string;
  /** The system error code of the cause: `ENOSPC`, `EROFS`, `EACCES`, `EFBIG`… (`EIO` when unknown). */
  readonly code: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteError';
    this.path = path;
    this.code = errorCode(options?.cause) ?? 'EIO';
  }

  /** Whether the cause is a folder or file system that refuses writes (EROFS, EACCES, EPERM), not a lack of space. */
  get notWritable(): boolean {
    return NOT_WRITABLE.has(this.code);
  }
}

/** System error codes of a folder that refuses writes. */
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

/** The `code` of a Node system error (`ENOSPC`…), or undefined. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The message of a thrown value, for embedding in another message. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
