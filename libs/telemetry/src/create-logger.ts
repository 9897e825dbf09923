import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describeValue } from './describe-value';

/** Options of {@link createLogger}; every field is optional. */
export interface CreateLoggerOptions {
  /** Minimum level written: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Default `'info'`. */
  level?: string;
  /**
   * Human-readable single-line output through pino-pretty instead of JSON lines. Default: whether the
   * destination is a terminal (`process.stderr.isTTY` for the default destination).
   */
  pretty?: boolean;
  /** Where lines go: a file descriptor or a writable stream. Default `2` (stderr). */
  destination?: NodeJS.WritableStream | number;
  /** Logger name, written as the `name` field of every line. Default: none. */
  name?: string;
  /** ANSI colours in pretty mode. Default: pretty, a terminal destination and no `NO_COLOR` in the environment. */
  colorize?: boolean;
}

/** The levels of {@link createLogger}, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LEVELS: readonly string[] = LOG_LEVELS;

/**
 * A pino logger for programs: JSON lines by default, or pino-pretty output when `pretty` is set (the default on a
 * terminal). Both modes write synchronously in the calling thread — pretty printing goes through pino-pretty's
 * `prettyFactory` into a synchronous sink, never a worker-thread transport — so a program may call
 * `process.exit()` right after logging without losing lines.
 *
 * Log structured fields first, message second, and shapes or norms rather than raw arrays:
 * @example
 * const log = createLogger({ name: 'bilevel' }).child({ run: 'soba-1' });
 * log.info({ iter: 100, h: 0.0123, gradNorm: 4.2e-3 }, 'outer step');
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createLogger: options is ${describeValue(options)}; expected an object or undefined`);
  }
  const { level = 'info', destination = 2, name } = options;
  if (typeof level !== 'string' || !LEVELS.includes(level)) {
    throw new RangeError(`createLogger: options.level is ${describeValue(level)}; expected one of ${LEVELS.join(', ')}`);
  }
  const isFd = typeof destination === 'number';
  if (isFd ? !Number.isInteger(destination) || destination < 0 : typeof destination?.write !== 'function') {
    throw new TypeError(
      `createLogger: options.destination is ${describeValue(destination)}; expected a file descriptor (non-negative integer) or a writable stream`,
    );
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`createLogger: options.name is ${describeValue(name)}; expected a string or undefined`);
  }
  for (const field of ['pretty', 'colorize'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'boolean') {
      throw new TypeError(`createLogger: options.${field} is ${describeValue(options[field])}; expected a boolean or undefined`);
    }
  }
  const isTerminal = isFd ? destination === 2 && process.stderr.isTTY === true : (destination as { isTTY?: boolean }).isTTY === true;
  const pretty = options.pretty ?? isTerminal;
  const colorize = options.colorize ?? (pretty && isTerminal && !process.env.NO_COLOR);

  // A SonicBoom in sync mode writes each line with fs.writeSync before `log.info` returns.
  const sink: DestinationStream = isFd ? pino.destination({ dest: destination, sync: true }) : (destination as DestinationStream);
  const out: DestinationStream = pretty ? prettySink(sink, colorize) : sink;
  return pino({ level, ...(name === undefined ? {} : { name }) }, out);
}

/** A logger that writes nothing, for tests and for library callers that pass no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function prettySink(sink: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return { write: (line: string) => sink.write(prettify(line)) };
}
