// `npm run bench -- kernels`: GFLOP/s of each kernel, WASM SIMD vs WASM scalar vs pure TS, one JSON
// line each, plus gemv 512x512 from C (gcc -O3 -march=native) when gcc is available.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  // The LSTM's non-recurrent products at I = H = 280, T = 24 tokens (chunking), register-blocked
  // gemm against the per-token gemv / gemvT (gemv, gemvT) doing the same work.
  {
    const T = 24, I = 280, H = 280, G = 4 * H, lda = I + H;
    const W = alloc(G * lda), X = alloc(T * I), Z = alloc(T * 6 * H), dZ = alloc(T * G), dX = alloc(T * I), dW = alloc(G * lda);
    const tW = arr(G * lda), tX = arr(T * I), tZ = arr(T * 6 * H), tdZ = arr(T * G), tdX = arr(T * I), tdW = arr(G * lda);
    const flops = 2 * T * G * I;
    const row = (name: string, gemm: () => void, perToken: () => void, ts: () => void) => {
      const g = flops / secondsPerCall(gemm) / 1e9, v = flops / secondsPerCall(perToken) / 1e9, t = flops / secondsPerCall(ts) / 1e9;
      emit({ kernel: name, shape: `T${T} 4H${G} I${I}`, gflops_simd: round(g, 2), gflops_per_token_gemv: round(v, 2), gflops_ts: round(t, 2), gemm_over_gemv: round(g / v, 2) });
    };
    row('gemm_nt (forward input part)', () => k.gemm_nt(T, G, I, X, I, W, lda, Z, 6 * H),
      () => { for (let t = 0; t < T; t++) k.gemv(G, I, W, lda, X + t * I * 4, Z + t * 6 * H * 4); },
      () => ref.gemmNT(T, G, I, tX, 0, I, tW, 0, lda, tZ, 0, 6 * H));
    row('gemm_nn (input gradient)', () => k.gemm_nn(T, I, G, dZ, G, W, lda, dX, I),
      () => { for (let t = 0; t < T; t++) k.gemvT(G, I, W, lda, dZ + t * G * 4, dX + t * I * 4); },
      () => ref.gemmNN(T, I, G, tdZ, 0, G, tW, 0, lda, tdX, 0, I));
    row('gemm_tn (weight gradient)', () => k.gemm_tn(G, I, T, dZ, G, X, I, dW, lda),
      () => { for (let t = 0; t < T; t++) k.ger(G, I, 1, dZ + t * G * 4, X + t * I * 4, dW, lda); },
      () => ref.gemmTN(G, I, T, tdZ, 0, G, tX, 0, I, tdW, 0, lda));
  }
  // C peer
  const dir = mkdtempSync(join(tmpdir(), 'asyngrad-gemv-'));
  try {
    const flagsets = [['-O3', '-march=native'], ['-O3', '-march=native', '-ffast-math']];
    for (const flags of flagsets) {
      const exe = join(dir, `gemv${flags.length}`);
      execFileSync('gcc', [...flags, '-o', exe, packageFile('bench', 'c', 'gemv.c')], { stdio: 'pipe' });
      const gf = Number(execFileSync(exe, ['512', '512'], { encoding: 'utf8' }).split(' ')[0]);
      emit({ kernel: 'gemv', shape: '512x512', system: `C gcc ${flags.join(' ')}`, gflops_c: round(gf, 2), wasm_simd_over_c: round(gemv512 / gf, 2) });
    }
  } catch (e) {
    emit({ kernel: 'gemv', shape: '512x512', system: 'C', skipped: `gcc not available or failed: ${(e as Error).message.split('\n')[0]}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
