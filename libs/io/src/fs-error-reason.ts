/** Reasons of the system errors a user's paths run into, in words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'busy',
};

/**
 * Why a file-system call failed, in words a user reads, for an error message: "no such file or folder" rather than
 * `ENOENT: no such file or directory, open '…'` (the path is named by the message that embeds this). An error
 * without a known code gives its own message.
 *
 * @example
 * try { readFileSync(path); } catch (err) { throw new InputError(`cannot read the file (${fsErrorReason(err)})`, path); }
 */
export function fsErrorReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  return err instanceof Error ? err.message : String(err);
}
