// Register-blocked matrix products (C += A op B) for the parts of the LSTM that are not recurrent:
// the input projection of every token, the input gradient and the weight gradient. A gemv reads
// each matrix element once per multiply-add and keeps one accumulator chain per row, so it is bound
// by loads and add latency; these kernels keep an 8-accumulator tile of C in registers and load
// 6 vectors per 8 multiply-adds. No allocation; pointers are byte offsets, strides in floats.
// Pure-TS twins: src/reference/linalg.ts (gemmNT, gemmNN, gemmTN).
import { dot } from './linalg';
import { f4, hsum4x4 } from './vmath';

// C[m, n:n+4] += sum over the K % 4 tail columns k >= k0 of A[m, k] * B[n+j, k]
@inline function ntTail(K: i32, k0: i32, a: usize, b0: usize, b1: usize, b2: usize, b3: usize, c: usize): void {
  for (let k = k0; k < K; k++) {
    const o = f4(k);
    const av = load<f32>(a + o);
    store<f32>(c, load<f32>(c) + av * load<f32>(b0 + o));
    store<f32>(c, load<f32>(c, 4) + av * load<f32>(b1 + o), 4);
    store<f32>(c, load<f32>(c, 8) + av * load<f32>(b2 + o), 8);
    store<f32>(c, load<f32>(c, 12) + av * load<f32>(b3 + o), 12);
  }
}

// C (M x N, ldc) += A (M x K, lda) B^T where B is N x K (ldb): C[m, n] += dot(A row m, B row n).
// Tiles of 2 rows of A x 4 rows of B; the B tile (4 rows) stays in L1 while every row of A passes.
export function gemm_nt(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const K4 = K & ~3;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const b0 = B + f4(n) * <usize>ldb;
    const b1 = b0 + f4(ldb), b2 = b1 + f4(ldb), b3 = b2 + f4(ldb);
    let m = 0;
    for (; m + 2 <= M; m += 2) {
      const a0 = A + f4(m) * <usize>lda;
      const a1 = a0 + f4(lda);
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = f4(k);
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o);
        c00 = f32x4.add(c00, f32x4.mul(x0, y));
        c10 = f32x4.add(c10, f32x4.mul(x1, y));
        y = v128.load(b1 + o);
        c01 = f32x4.add(c01, f32x4.mul(x0, y));
        c11 = f32x4.add(c11, f32x4.mul(x1, y));
        y = v128.load(b2 + o);
        c02 = f32x4.add(c02, f32x4.mul(x0, y));
        c12 = f32x4.add(c12, f32x4.mul(x1, y));
        y = v128.load(b3 + o);
        c03 = f32x4.add(c03, f32x4.mul(x0, y));
        c13 = f32x4.add(c13, f32x4.mul(x1, y));
      }
      const r0 = C + f4(m) * <usize>ldc + f4(n);
      const r1 = r0 + f4(ldc);
      v128.store(r0, f32x4.add(v128.load(r0), hsum4x4(c00, c01, c02, c03)));
      v128.store(r1, f32x4.add(v128.load(r1), hsum4x4(c10, c11, c12, c13)));
      if (K4 < K) {
        ntTail(K, K4, a0, b0, b1, b2, b3, r0);
        ntTail(K, K4, a1, b0, b1, b2, b3, r1);
      }
    }
    if (m < M) {
      const a0 = A + f4(m) * <usize>lda;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = f4(k);
        const x0 = v128.load(a0 + o);
        c00 = f32x4.add(c00, f32x4.mul(x0, v128.load(b0 + o)));
        c01 = f32x4.add(c01, f32x4.mul(x0, v128.load(b1 + o)));
        c02 = f32x4.add(c02, f32x4.mul(x0, v128.load(b2 + o)));
        c03 = f32x4.add(c03, f32x4.mul(x0, v128.load(b3 + o)));
      }
      const r0 = C + f4(m) * <usize>ldc + f4(n);
      v128.store(r0, f32x4.add(v128.load(r0), hsum4x4(c00, c01, c02, c03)));
      if (K4 < K) ntTail(K, K4, a0, b0, b1, b2, b3, r0);
    }
  }
  for (; n < N; n++) {
    const bn = B + f4(n) * <usize>ldb;
    for (let m = 0; m < M; m++) {
      const c = C + f4(m) * <usize>ldc + f4(n);
      store<f32>(c, load<f32>(c) + dot(K, A + f4(m) * <usize>lda, bn));
    }
  }
}

// The axpy-form tile: C[m:m+4, n:n+8] += A[m:m+4, :] B[:, n:n+8], A's element (m, k) at
// A + m*am + k*ak bytes, B's row k at B + k*bk bytes. Per k: two vectors of B's row and four
// broadcast elements of A, 8 multiply-adds into 8 independent accumulators.
@inline function tile4x8(K: i32, A: usize, am: usize, ak: usize, B: usize, bk: usize, C: usize, cm: usize): void {
  let a0 = A;
  let a1 = a0 + am, a2 = a1 + am, a3 = a2 + am;
  let b = B;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const y0 = v128.load(b), y1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(x, y0));
    c01 = f32x4.add(c01, f32x4.mul(x, y1));
    x = v128.load32_splat(a1);
    c10 = f32x4.add(c10, f32x4.mul(x, y0));
    c11 = f32x4.add(c11, f32x4.mul(x, y1));
    x = v128.load32_splat(a2);
    c20 = f32x4.add(c20, f32x4.mul(x, y0));
    c21 = f32x4.add(c21, f32x4.mul(x, y1));
    x = v128.load32_splat(a3);
    c30 = f32x4.add(c30, f32x4.mul(x, y0));
    c31 = f32x4.add(c31, f32x4.mul(x, y1));
    a0 += ak;
    a1 += ak;
    a2 += ak;
    a3 += ak;
    b += bk;
  }
  const r = C;
  v128.store(r, f32x4.add(v128.load(r), c00));
  v128.store(r, f32x4.add(v128.load(r, 16), c01), 16);
  v128.store(r + cm, f32x4.add(v128.load(r + cm), c10));
  v128.store(r + cm, f32x4.add(v128.load(r + cm, 16), c11), 16);
  v128.store(r + 2 * cm, f32x4.add(v128.load(r + 2 * cm), c20));
  v128.store(r + 2 * cm, f32x4.add(v128.load(r + 2 * cm, 16), c21), 16);
  v128.store(r + 3 * cm, f32x4.add(v128.load(r + 3 * cm), c30));
  v128.store(r + 3 * cm, f32x4.add(v128.load(r + 3 * cm, 16), c31), 16);
}

// One row of C, 8 columns (the M % 4 rows)
@inline function tile1x8(K: i32, A: usize, ak: usize, B: usize, bk: usize, C: usize): void {
  let a0 = A;
  let b = B;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const x = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(x, v128.load(b)));
    c01 = f32x4.add(c01, f32x4.mul(x, v128.load(b, 16)));
    a0 += ak;
    b += bk;
  }
  v128.store(C, f32x4.add(v128.load(C), c00));
  v128.store(C, f32x4.add(v128.load(C, 16), c01), 16);
}

// Columns [n0, N) of C (N - n0 < 8): a 4-column strip, then single columns.
function axpyFormTail(M: i32, N: i32, n0: i32, K: i32, A: usize, am: usize, ak: usize, B: usize, bk: usize, C: usize, cm: usize): void {
  let n = n0;
  if (n + 4 <= N) {
    for (let m = 0; m < M; m++) {
      let a0 = A + <usize>m * am;
      let b = B + f4(n);
      let c00 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        c00 = f32x4.add(c00, f32x4.mul(v128.load32_splat(a0), v128.load(b)));
        a0 += ak;
        b += bk;
      }
      const r = C + <usize>m * cm + f4(n);
      v128.store(r, f32x4.add(v128.load(r), c00));
    }
    n += 4;
  }
  for (; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let a0 = A + <usize>m * am;
      let b = B + f4(n);
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        s += load<f32>(a0) * load<f32>(b);
        a0 += ak;
        b += bk;
      }
      const r = C + <usize>m * cm + f4(n);
      store<f32>(r, load<f32>(r) + s);
    }
  }
}

// C (M x N, ldc) += A (M x K, lda) B (K x N, ldb). Column strips outer: an 8-column strip of B
// (K x 32 bytes) stays in L1 while every 4-row block of A passes (the LSTM's input gradient:
// M = T tokens, K = 4H, B = W_x).
export function gemm_nn(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const am = f4(lda), bk = f4(ldb), cm = f4(ldc);
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    let m = 0;
    for (; m + 4 <= M; m += 4) tile4x8(K, A + <usize>m * am, am, 4, B + f4(n), bk, C + <usize>m * cm + f4(n), cm);
    for (; m < M; m++) tile1x8(K, A + <usize>m * am, 4, B + f4(n), bk, C + <usize>m * cm + f4(n));
  }
  if (n < N) axpyFormTail(M, N, n, K, A, am, 4, B, bk, C, cm);
}

// C (M x N, ldc) += A^T B, A K x M (lda), B K x N (ldb): C[m, n] += sum_k A[k, m] B[k, n].
// Row blocks outer: B (K x N) stays in L1/L2 and each row of C is written once (the LSTM's weight
// gradient: M = 4H, K = T tokens, B = the inputs).
export function gemm_tn(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const ak = f4(lda), bk = f4(ldb), cm = f4(ldc);
  const N8 = N & ~7;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    for (let n = 0; n < N8; n += 8) tile4x8(K, A + f4(m), 4, ak, B + f4(n), bk, C + <usize>m * cm + f4(n), cm);
  }
  for (; m < M; m++) {
    for (let n = 0; n < N8; n += 8) tile1x8(K, A + f4(m), ak, B + f4(n), bk, C + <usize>m * cm + f4(n));
  }
  if (N8 < N) axpyFormTail(M, N, N8, K, A, 4, ak, B, bk, C, cm);
}
