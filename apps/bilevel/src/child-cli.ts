// Test support: the `bilevel` program run in a child process under watch, for inputs that could hang the process or
// exhaust its memory (devices, pipes, decompression bombs): several command lines run one after the other in one
// child, each reported with its exit code, output and time; the child's peak memory (resident set) is reported too.
// A watchdog kills the child (SIGKILL, the node process itself) when its resident memory passes a cap or when a
// generous safety timeout expires, so a regression fails the test instead of hanging it or the machine.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = new URL('./main.ts', import.meta.url).href;
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs each command line in process (output captured), prints one JSON line per run, then the peak memory. */
const SCRIPT = `
import { Writable } from 'node:stream';
const { main } = await import(process.env.CHILD_CLI_MAIN);
class Capture extends Writable { text = ''; _write(c, _e, cb) { this.text += c.toString(); cb(); } }
for (const args of JSON.parse(process.env.CHILD_CLI_RUNS)) {
  const stdout = new Capture();
  const stderr = new Capture();
  const t0 = performance.now();
  let code;
  try {
    code = await main(args, { stdout, stderr, tty: false, signals: false });
  } catch (err) {
    code = -1;
    stderr.text += String(err && err.stack || err);
  }
  process.stdout.write('@@run ' + JSON.stringify({ code, stdout: stdout.text, stderr: stderr.text, ms: performance.now() - t0 }) + '\\n');
}
process.stdout.write('@@maxrss ' + process.resourceUsage().maxRSS * 1024 + '\\n');
`;

/** One command line's outcome in the child. */
export interface ChildRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Time from the call of main to its end, in milliseconds (reported, never asserted). */
  readonly ms: number;
}

/** What the child did. */
export interface ChildOutcome {
  /** The runs that ended, in order (fewer than asked when the child was killed). */
  readonly runs: readonly ChildRun[];
  /** Peak resident memory of the child in bytes (from the child itself, or as watched when it was killed). */
  readonly maxRssBytes: number;
  /** Why the watchdog killed the child, if it did. */
  readonly killed?: 'memory' | 'timeout';
  /** The child's own stderr (crashes), for messages. */
  readonly stderr: string;
}

/** Options of {@link childCli}. */
export interface ChildCliOptions {
  /** Kill the child when its resident memory passes this many bytes. Default 3 GiB. */
  readonly maxRssBytes?: number;
  /** Safety net: kill the child after this many milliseconds. Default 300,000. */
  readonly timeoutMs?: number;
}

/** Resident memory of a process in bytes (Linux /proc), or undefined when it cannot be read. */
function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `bilevel ARGS` for each command line of `runs`, one after the other, in one watched child process. */
export function childCli(runs: readonly (readonly string[])[], options: ChildCliOptions = {}): Promise<ChildOutcome> {
  const cap = options.maxRssBytes ?? 3 * 2 ** 30;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: REPO,
    env: { ...process.env, CHILD_CLI_MAIN: MAIN, CHILD_CLI_RUNS: JSON.stringify(runs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let watchedPeak = 0;
  let killed: ChildOutcome['killed'];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const kill = (why: 'memory' | 'timeout') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killed ??= why;
    child.kill('SIGKILL');
  };
  const watch = setInterval(() => {
    const rss = child.pid === undefined ? undefined : residentBytes(child.pid, 'VmRSS');
    const hwm = child.pid === undefined ? undefined : residentBytes(child.pid, 'VmHWM');
    watchedPeak = Math.max(watchedPeak, rss ?? 0, hwm ?? 0);
    if ((rss ?? 0) > cap) kill('memory');
  }, 100);
  const safety = setTimeout(() => kill('timeout'), options.timeoutMs ?? 300_000);
  return new Promise<ChildOutcome>((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(watch);
      clearTimeout(safety);
      reject(e);
    });
    child.on('close', () => {
      clearInterval(watch);
      clearTimeout(safety);
      const lines = out.split('\n');
      const done = lines.filter((l) => l.startsWith('@@run ')).map((l) => JSON.parse(l.slice(6)) as ChildRun);
      const rss = lines.find((l) => l.startsWith('@@maxrss '));
      resolve({ runs: done, maxRssBytes: rss ? Number(rss.slice(9)) : watchedPeak, ...(killed ? { killed } : {}), stderr: err });
    });
  });
}
