// Test helpers: a kernels instance over a fresh shared memory, a seeded PRNG, and the check of
// --keep-best / --patience against a run's dev history.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { packageFile } from '../src/runtime/package-root.js';
import { compileKernels, heapBase, instantiate, type Kernels } from '../src/runtime/wasm.js';

export interface TestWasm {
  k: Kernels;
  memory: WebAssembly.Memory;
  f32: Float32Array;
  i32: Int32Array;
  /** bump allocator over the memory above heap_base, 64-byte aligned; returns a byte offset */
  alloc(bytes: number): number;
}

export function testWasm(pages = 256): TestWasm {
  const module = compileKernels();
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const k = instantiate(module, memory);
  let next = Math.ceil(heapBase(module) / 64) * 64;
  return {
    k,
    memory,
    f32: new Float32Array(memory.buffer),
    i32: new Int32Array(memory.buffer),
    alloc(bytes: number) {
      const p = next;
      next = Math.ceil((next + bytes) / 64) * 64;
      if (next > memory.buffer.byteLength) throw new Error('testWasm: out of memory');
      return p;
    },
  };
}

/** mulberry32: a small seeded PRNG for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The semantics of --keep-best and --patience, checked against a run's dev history. */
export function checkSelection(devScores: number[], bestPass: number | undefined, patience: number, passes: number): void {
  const best = devScores.indexOf(Math.max(...devScores)); // the first pass with the best score
  expect(bestPass).toBe(best + 1);
  expect(devScores.length).toBeLessThan(passes); // it did stop early
  expect(devScores.length - 1 - best).toBe(patience); // right after `patience` evaluations without a better one
}

/** The first n sentences of a bundled CoNLL-2000 file (train.txt, test.txt), written into dir. */
export function conllSubset(dir: string, name: string, n: number): string {
  const text = readFileSync(packageFile('data', 'conll2000', name), 'utf8');
  const path = join(dir, `${name}-${n}`);
  writeFileSync(path, text.split(/\n\s*\n/).slice(0, n).join('\n\n') + '\n');
  return path;
}
