/**
 * An executor gave up: the service it runs on (the Redis of a queue) stayed unreachable for longer than its timeout.
 * The runs whose results arrived are stored; the others are pending and run when the same sweep is started again.
 */
export class ExecutorUnavailableError extends Error {
  override readonly name = 'ExecutorUnavailableError';
}
