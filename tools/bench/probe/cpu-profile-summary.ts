import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) the summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly hitCount?: number;
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Self time of one group of frames, as a share of all samples. */
export interface ProfileShare {
  readonly what: string;
  readonly percent: number;
}

/** Which part of the stack a frame belongs to: a tfjs package, WebAssembly code, the project, Node or V8 (GC…). */
export function frameGroup(functionName: string, url: string): string {
  if (url.includes('tfjs-backend-wasm')) return 'tfjs-backend-wasm (JS glue)';
  if (url.includes('tfjs-core')) return 'tfjs-core (ops, tape, engine)';
  if (url.includes('@tensorflow')) return 'other tfjs';
  if (url.startsWith('wasm://') || functionName.startsWith('wasm-function') || url === '' && /^\$?[A-Z_]/.test(functionName) && functionName.includes('$')) return 'WebAssembly (kernels)';
  if (url.includes('/libs/') || url.includes('/apps/')) return 'project libs';
  if (url.startsWith('node:')) return 'node internals';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(idle)') return functionName;
  return url === '' ? `native: ${functionName}` : 'other JS';
}

/**
 * Self-time shares of a `.cpuprofile`: by group ({@link frameGroup}) and the top functions, each in percent of the
 * samples. Self time only (the function's own code, not its callees), so the shares add up to 100.
 */
export function cpuProfileSummary(path: string, top = 12): { byGroup: ProfileShare[]; topFunctions: ProfileShare[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  if (total === 0) throw new RangeError(`cpuProfileSummary: ${path} has no samples`);
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url } = n.callFrame;
    const g = frameGroup(functionName, url);
    groups.set(g, (groups.get(g) ?? 0) + hits);
    const f = `${functionName || '(anonymous)'} ${url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(libs|apps|tools)\//, '$1/')}`;
    functions.set(f, (functions.get(f) ?? 0) + hits);
  }
  const shares = (m: Map<string, number>, k: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([what, hits]) => ({ what, percent: +((100 * hits) / total).toFixed(1) }));
  return { byGroup: shares(groups, 20), topFunctions: shares(functions, top) };
}
