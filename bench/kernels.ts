// `npm run bench -- kernels`: GFLOP/s of each kernel, WASM SIMD vs WASM scalar vs pure TS, one JSON
// line each, plus gemv 512x512 from C (gcc -O3 -march=native) when gcc is available.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ref from '../src/reference/linalg.js';
import { compileKernels, heapBase, instantiate } from '../src/runtime/wasm.js';
import { packageFile } from '../src/runtime/package-root.js';
import { emit, round, secondsPerCall } from './timing.js';

export async function benchKernels(): Promise<void> {
  const module = compileKernels();
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true });
  const k = instantiate(module, memory);
  const f32 = new Float32Array(memory.buffer);
  let next = Math.ceil(heapBase(module) / 64) * 64;
  const alloc = (n: number) => {
    const p = next;
    next = Math.ceil((next + n * 4) / 64) * 64;
    for (let i = 0; i < n; i++) f32[p / 4 + i] = Math.sin(i) * 0.5;
    return p;
  };
  // Pure-TS twins run on their own (non-shared) arrays, as a TS implementation would.
  const arr = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);

  const vec = (name: string, n: number, flops: number, wasm: (simd: boolean) => void, ts: () => void) => {
    const simd = flops / secondsPerCall(() => wasm(true)) / 1e9;
    const scalar = flops / secondsPerCall(() => wasm(false)) / 1e9;
    const t = flops / secondsPerCall(ts) / 1e9;
    emit({ kernel: name, shape: String(n), gflops_simd: round(simd, 2), gflops_scalar: round(scalar, 2), gflops_ts: round(t, 2), simd_over_ts: round(simd / t, 2) });
  };
  for (const n of [4096, 1 << 16, 1 << 20]) {
    const x = alloc(n), y = alloc(n);
    const tx = arr(n), ty = arr(n);
    vec('axpy', n, 2 * n, (s) => (s ? k.axpy : k.axpy_scalar)(n, 1e-6, x, y), () => ref.axpy(n, 1e-6, tx, 0, ty, 0));
    vec('dot', n, 2 * n, (s) => (s ? k.dot : k.dot_scalar)(n, x, y), () => ref.dot(n, tx, 0, ty, 0));
    vec('scal', n, n, (s) => (s ? k.scal : k.scal_scalar)(n, 1.0000001, x), () => ref.scal(n, 1.0000001, tx, 0));
  }
  const shapes: [number, number][] = [[128, 128], [256, 256], [512, 512], [1024, 1024], [880, 450]];
  let gemv512 = 0;
  for (const [m, n] of shapes) {
    const A = alloc(m * n), x = alloc(Math.max(m, n)), y = alloc(Math.max(m, n));
    const tA = arr(m * n), tx = arr(Math.max(m, n)), ty = arr(Math.max(m, n));
    for (const name of ['gemv', 'gemvT'] as const) {
      const flops = 2 * m * n;
      const simd = flops / secondsPerCall(() => k[name](m, n, A, n, x, y)) / 1e9;
      const scalar = flops / secondsPerCall(() => k[`${name}_scalar`](m, n, A, n, x, y)) / 1e9;
      const t = flops / secondsPerCall(() => ref[name](m, n, tA, 0, n, tx, 0, ty, 0)) / 1e9;
      if (name === 'gemv' && m === 512 && n === 512) gemv512 = simd;
      emit({ kernel: name, shape: `${m}x${n}`, gflops_simd: round(simd, 2), gflops_scalar: round(scalar, 2), gflops_ts: round(t, 2), simd_over_ts: round(simd / t, 2) });
    }
  }
  // C peer
  try {
    const dir = mkdtempSync(join(tmpdir(), 'asyngrad-gemv-'));
    const flagsets = [['-O3', '-march=native'], ['-O3', '-march=native', '-ffast-math']];
    for (const flags of flagsets) {
      const exe = join(dir, `gemv${flags.length}`);
      execFileSync('gcc', [...flags, '-o', exe, packageFile('bench', 'c', 'gemv.c')], { stdio: 'pipe' });
      const gf = Number(execFileSync(exe, ['512', '512'], { encoding: 'utf8' }).split(' ')[0]);
      emit({ kernel: 'gemv', shape: '512x512', system: `C gcc ${flags.join(' ')}`, gflops_c: round(gf, 2), wasm_simd_over_c: round(gemv512 / gf, 2) });
    }
  } catch (e) {
    emit({ kernel: 'gemv', shape: '512x512', system: 'C', skipped: `gcc not available or failed: ${(e as Error).message.split('\n')[0]}` });
  }
}
