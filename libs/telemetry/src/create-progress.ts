import { SingleBar } from 'cli-progress';
import { describeValue } from './describe-value';

/** Options of {@link createProgress}. */
export interface CreateProgressOptions {
  /** Number of iterations of a complete run (positive, finite). Required. */
  total: number;
  /** Draw the bar. Default: whether `stream` is a terminal (`process.stderr.isTTY` for the default stream). */
  enabled?: boolean;
  /** Text before the bar. Default `'run'`. */
  label?: string;
  /** Where the bar is drawn. Default `process.stderr`. */
  stream?: NodeJS.WritableStream;
}

/** A progress display; when disabled, both methods do nothing. */
export interface Progress {
  /**
   * Sets the iteration count to `value` and shows `payload` fields after the ETA, numbers with 4 significant
   * digits, e.g. `{ h: 0.0123, '‖∇h‖': 4.2e-3 }` → `h 0.01230  ‖∇h‖ 0.004200`. Ignored after {@link Progress.stop}.
   */
  update(value: number, payload?: Record<string, string | number>): void;
  /** Draws the last state and releases the terminal line. Calling it again does nothing. */
  stop(): void;
}

/**
 * A single-line terminal progress bar over cli-progress, drawn on stderr (stdout stays free for results):
 * label, bar, `iteration/total`, percent, ETA and a few payload fields, redrawn at most 10 times a second.
 * Disabled (a no-op) by default when stderr is not a terminal, e.g. in CI or when piped to a file.
 *
 * While the bar is drawn, log lines written to the same terminal interleave with it; a program usually lowers
 * the log level to `warn` or disables the bar when logging verbosely.
 *
 * @example
 * const progress = createProgress({ total: 1000, label: 'soba' });
 * for (let k = 1; k <= 1000; k++) progress.update(k, { h: value, '‖∇h‖': gradNorm });
 * progress.stop();
 */
export function createProgress(options: CreateProgressOptions): Progress {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createProgress: options is ${describeValue(options)}; expected an object with a total`);
  }
  const { total, label = 'run', stream = process.stderr } = options;
  if (typeof total !== 'number' || !Number.isFinite(total) || total <= 0) {
    throw new RangeError(`createProgress: options.total is ${describeValue(total)}; expected a positive finite number`);
  }
  if (typeof label !== 'string') {
    throw new TypeError(`createProgress: options.label is ${describeValue(label)}; expected a string`);
  }
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw new TypeError(`createProgress: options.stream is ${describeValue(stream)}; expected a writable stream`);
  }
  const enabled = options.enabled ?? (stream as { isTTY?: boolean }).isTTY === true;
  if (typeof enabled !== 'boolean') {
    throw new TypeError(`createProgress: options.enabled is ${describeValue(enabled)}; expected a boolean or undefined`);
  }

  if (!enabled) {
    return {
      update: (value, payload) => checkUpdate(value, payload),
      stop: () => {},
    };
  }

  const bar = new SingleBar({
    stream,
    format: '{label} |{bar}| {value}/{total} {percentage}% | ETA {eta_formatted} | {fields}',
    barsize: 30,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    // draw even on a stream that is not a terminal when the caller forces `enabled: true`
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  bar.start(total, 0, { label, fields: '' });
  let stopped = false;
  return {
    update(value, payload) {
      checkUpdate(value, payload);
      if (stopped) return;
      bar.update(value, { label, fields: payload === undefined ? '' : formatFields(payload) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function checkUpdate(value: unknown, payload: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Progress.update: value is ${describeValue(value)}; expected a finite number >= 0`);
  }
  if (payload !== undefined && (payload === null || typeof payload !== 'object' || Array.isArray(payload))) {
    throw new TypeError(`Progress.update: payload is ${describeValue(payload)}; expected an object of strings and numbers`);
  }
}

function formatFields(payload: Record<string, string | number>): string {
  return Object.entries(payload)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join('  ');
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  return x.toPrecision(4);
}
