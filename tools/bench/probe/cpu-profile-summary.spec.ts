import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuProfileSummary, frameGroup } from './cpu-profile-summary';

test('frames are grouped by package, WebAssembly, project and runtime', () => {
  assert.equal(frameGroup('getKernel', 'file:///x/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js'), 'tfjs-core (ops, tape, engine)');
  assert.equal(frameGroup('kernelFunc', 'file:///x/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js'), 'tfjs-backend-wasm (JS glue)');
  assert.equal(frameGroup('wasm-function[92]', 'wasm://wasm/0019ea4a'), 'WebAssembly (kernels)');
  assert.equal(frameGroup('step', 'file:///work/main/libs/solvers/src/saba.ts'), 'project libs');
  assert.equal(frameGroup('(garbage collector)', ''), 'garbage collector');
});

test('self-time shares add up to 100 and rank the heaviest first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-profile-summary-'));
  try {
    const path = join(dir, 'p.cpuprofile');
    const frame = (functionName: string, url: string) => ({ functionName, url, scriptId: '0', lineNumber: 0, columnNumber: 0 });
    writeFileSync(
      path,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), hitCount: 0, children: [2, 3, 4] },
          { id: 2, callFrame: frame('getKernel', 'file:///n/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js'), hitCount: 6 },
          { id: 3, callFrame: frame('wasm-function[1]', 'wasm://wasm/ab'), hitCount: 3 },
          { id: 4, callFrame: frame('step', 'file:///r/libs/solvers/src/saba.ts'), hitCount: 1 },
        ],
        startTime: 0,
        endTime: 1000,
      }),
    );
    const s = cpuProfileSummary(path);
    assert.deepEqual(s.byGroup.map((g) => g.percent), [60, 30, 10]);
    assert.equal(s.byGroup[0].what, 'tfjs-core (ops, tape, engine)');
    assert.equal(s.topFunctions[0].what, 'getKernel @tensorflow/tfjs-core/dist/tf-core.node.js');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
