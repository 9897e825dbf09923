import { existsSync, readdirSync } from 'node:fs';
import type { CliUnderTest } from './cli-under-test';
import { keepOnlyTrap } from './uncaught-trap';

/** The result of one case, with the problems found in it (empty when the case passed every check). */
export interface CaseResult {
  /** The command line run. */
  readonly argv: readonly string[];
  /** Its exit code (-1 when the program threw instead of returning one). */
  readonly code: number;
  /** What it ended as: the outcome its exit code documents, `help`, or `crash` when it has problems. */
  readonly outcome: string;
  /** Wall time of the case, ms (reported; the bound is on CPU time). */
  readonly ms: number;
  /** CPU time of the process during the case (user and system, all threads), ms. */
  readonly cpuMs: number;
  /** The `error:` line it printed, or ''. */
  readonly errorLine: string;
  /** What was wrong with it, one sentence each. */
  readonly problems: readonly string[];
}

/** Lines of stderr a bad-input case may print besides its error line: commander's hints. */
const HINT_LINES = [/^\(run with --help for the options\)$/, /^\(Did you mean .+\?\)$/];

/** Whether a stderr line is a structured (pino JSON) log line. */
function isLogLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return typeof (JSON.parse(line) as { level?: unknown }).level === 'number';
  } catch {
    return false;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/**
 * Runs one case of `cli` in process and checks it: a documented exit code (never the internal error's, never a
 * throw, never an uncaught error after it), within `maxCpuMs` of CPU time (the process's, user and system: a bound
 * on the work, whatever the machine's load); a bad-input case prints exactly one `error:` line (plus commander's
 * hints and indented items) that names an option given or one of the argv tokens, and leaves its `--out` folder
 * `out` unwritten. `uncaught` is the list of {@link withUncaughtTrap}.
 */
export async function runCase(cli: CliUnderTest, argv: readonly string[], out: string, maxCpuMs: number, uncaught: unknown[]): Promise<CaseResult> {
  const problems: string[] = [];
  const before = uncaught.length;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let code = -1;
  let stdout = '';
  let stderr = '';
  // commander's help exits with process.exitCode, which the test runner sets to 1 once any test failed
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    ({ code, stdout, stderr } = await cli.run([...argv]));
  } catch (err) {
    problems.push(`main threw: ${(err as Error)?.stack ?? String(err)}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ms = performance.now() - t0;
  process.exitCode = exitCode;
  keepOnlyTrap();
  // errors reported asynchronously after the promise settled (rxjs reports a throwing subscriber with setTimeout)
  await new Promise((resolve) => setTimeout(resolve, 5));
  for (const err of uncaught.slice(before)) problems.push(`uncaught after the case: ${(err as Error)?.stack ?? String(err)}`);
  if (code === cli.internal) problems.push(`exit ${code} (internal error): ${stderr.split('\n').filter((l) => !isLogLine(l)).slice(0, 12).join('\n')}`);
  else if (code !== -1 && !cli.documented.has(code)) problems.push(`undocumented exit code ${code}`);
  if (cpuMs > maxCpuMs) problems.push(`took ${cpuMs.toFixed(0)} ms of CPU (bound ${maxCpuMs} ms; ${ms.toFixed(0)} ms of wall time)`);
  const name = escapeRegExp(cli.name);
  const text = stderr.split('\n').filter((l) => l !== '' && !isLogLine(l));
  const errorLines = text.filter((l) => new RegExp(`^(${name}: )?error: `).test(l));
  let outcome = problems.length > 0 ? 'crash' : (cli.documented.get(code) ?? 'crash');
  if (code === cli.ok && outcome !== 'crash' && /^Usage: /m.test(stdout) && !existsSync(out)) outcome = 'help';
  if (code === cli.badInput) {
    const usage = text.some((l) => l.startsWith('Usage: '));
    if (usage && errorLines.length === 0) {
      // no command, or `help UNKNOWN`: commander prints the help to stderr (no error line)
      if (argv.length === 0 || argv[0] === 'help') outcome = problems.length > 0 ? 'crash' : 'help';
      else problems.push(`bad input printed the help but no error line`);
    } else {
      // indented lines after the error line are its items (a configuration file's problems, all listed at once)
      const others = text.filter((l) => !errorLines.includes(l) && !HINT_LINES.some((h) => h.test(l)) && !/^ {2}\S/.test(l));
      if (errorLines.length !== 1 || others.length > 0) problems.push(`bad input: expected one error line, got ${errorLines.length} and ${others.length} other lines: ${JSON.stringify(text.slice(0, 4))}`);
      const line = errorLines[0] ?? '';
      const tokens = argv.flatMap((t) => (t.startsWith('--') && t.includes('=') ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)] : [t]));
      // an option named, a file read (`bilevel: error: /path/file.csv: line 1, …`), or a token given (one character
      // only as the subject: `bilevel: error: ٣: …`)
      const names =
        /--[a-z][\w-]*|unknown command|too many arguments/.test(line) ||
        new RegExp(`^${name}: error: /[^:]+: `).test(line) ||
        tokens.some((t) => (t.trim().length >= 2 && line.includes(t)) || (t.trim().length === 1 && line.startsWith(`${cli.name}: error: ${t}: `)));
      if (errorLines.length === 1 && !names) problems.push(`bad input: the error line names no option or token given: ${line}`);
    }
    if (existsSync(out) && readdirSync(out).length > 0) problems.push(`bad input but ${out} was written: ${readdirSync(out).join(', ')}`);
  }
  return { argv, code, outcome, ms, cpuMs, errorLine: errorLines[0] ?? '', problems };
}
