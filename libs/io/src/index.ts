// @bilevel/io: the small I/O layer both programs (and the data loaders of @bilevel/problems) share. Bad user input is
// an InputError (one line: what, where, what was expected; the programs exit with code 2); a user's file is read by
// readRegularFile (devices, pipes, sockets and oversized files refused before reading), JSON and options files by
// readJsonFile and readOptionsFile; a run's output folder is checked and created by checkOutDir, prepareOutDir and
// checkWritableDir. The argv fuzzer of a command-line program (test support) is the `@bilevel/io/testing` entry point.
export { InputError } from './input-error';
export { fsErrorReason } from './fs-error-reason';
export { readRegularFile } from './read-regular-file';
export type { ReadRegularFileOptions } from './read-regular-file';
export { MAX_OPTIONS_FILE_BYTES, readJsonFile, readOptionsFile } from './options-file';
export { checkOutDir, checkWritableDir, defaultOutDir, prepareOutDir } from './output-folder';
