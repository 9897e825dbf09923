import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a TypeScript file of this folder in a fresh `node [nodeFlags] --expose-gc --import tsx` process with one JSON argument
 * and resolves to the JSON of its last stdout line (a fresh process: no heap, JIT or GC history of the caller).
 * Rejects with the child's stderr tail when it exits non-zero.
 */
export function spawnJson<T>(file: string, args: object, nodeFlags: readonly string[] = []): Promise<T> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return new Promise((resolve, reject) => {
    const argv = [...nodeFlags, '--expose-gc', '--import', 'tsx', path, JSON.stringify(args)];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`spawnJson: ${file} exited with ${code}: ${err.split('\n').filter((l) => !l.startsWith('var Module')).slice(-8).join('\n')}`));
        return;
      }
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`spawnJson: ${file} printed no JSON last line: ${line.slice(0, 200)}`));
      }
    });
  });
}
