/** What was wrong with a checkpoint, as a stable machine-readable code. */
export type CheckpointErrorCode =
  | 'too-short'
  | 'bad-magic'
  | 'bad-version'
  | 'truncated'
  | 'checksum'
  | 'header'
  | 'section'
  | 'kind'
  | 'too-large'
  | 'io';

/**
 * A checkpoint that was refused: corrupt, truncated, of another kind, too large, or unreadable. The message names
 * the function, the source (file path or label) and what was expected; `code` says which check failed, `source`
 * which file or buffer it was. Nothing is returned from a refused checkpoint, so a run is never half-loaded.
 */
export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  readonly source: string;

  constructor(code: CheckpointErrorCode, source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.code = code;
    this.source = source;
  }
}
