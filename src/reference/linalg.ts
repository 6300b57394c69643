// Pure-TypeScript twins of assembly/linalg.ts: the plain definition each SIMD kernel must match.
// Arrays are views; offsets are element indices.

export function axpy(n: number, a: number, x: Float32Array, xo: number, y: Float32Array, yo: number): void {
  for (let i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
}

/** Twin of vmul: x[i] *= m[i]. */
export function vmul(n: number, x: Float32Array, xo: number, m: Float32Array, mo: number): void {
  for (let i = 0; i < n; i++) x[xo + i] *= m[mo + i];
}

export function scal(n: number, a: number, x: Float32Array, xo: number): void {
  for (let i = 0; i < n; i++) x[xo + i] *= a;
}

export function dot(n: number, x: Float32Array, xo: number, y: Float32Array, yo: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/** y += A x, A m x n with row stride lda */
export function gemv(m: number, n: number, A: Float32Array, ao: number, lda: number, x: Float32Array, xo: number, y: Float32Array, yo: number): void {
  for (let i = 0; i < m; i++) y[yo + i] += dot(n, A, ao + i * lda, x, xo);
}

/** y += A^T x */
export function gemvT(m: number, n: number, A: Float32Array, ao: number, lda: number, x: Float32Array, xo: number, y: Float32Array, yo: number): void {
  for (let i = 0; i < m; i++) axpy(n, x[xo + i], A, ao + i * lda, y, yo);
}

/** A += a x y^T */
export function ger(m: number, n: number, a: number, x: Float32Array, xo: number, y: Float32Array, yo: number, A: Float32Array, ao: number, lda: number): void {
  for (let i = 0; i < m; i++) axpy(n, a * x[xo + i], y, yo, A, ao + i * lda);
}

/** C (M x N, ldc) += A (M x K, lda) B^T, B N x K (ldb): twin of assembly/gemm.ts gemm_nt */
export function gemmNT(M: number, N: number, K: number, A: Float32Array, ao: number, lda: number, B: Float32Array, bo: number, ldb: number, C: Float32Array, co: number, ldc: number): void {
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) C[co + m * ldc + n] += dot(K, A, ao + m * lda, B, bo + n * ldb);
}

/** C (M x N, ldc) += A (M x K, lda) B (K x N, ldb): twin of gemm_nn */
export function gemmNN(M: number, N: number, K: number, A: Float32Array, ao: number, lda: number, B: Float32Array, bo: number, ldb: number, C: Float32Array, co: number, ldc: number): void {
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) axpy(N, A[ao + m * lda + k], B, bo + k * ldb, C, co + m * ldc);
}

/** C (M x N, ldc) += A^T B, A K x M (lda), B K x N (ldb): twin of gemm_tn */
export function gemmTN(M: number, N: number, K: number, A: Float32Array, ao: number, lda: number, B: Float32Array, bo: number, ldb: number, C: Float32Array, co: number, ldc: number): void {
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) axpy(N, A[ao + k * lda + m], B, bo + k * ldb, C, co + m * ldc);
}
