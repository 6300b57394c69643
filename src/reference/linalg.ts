// Pure-TypeScript twins of assembly/linalg.ts: the plain definition each SIMD kernel must match.
// Arrays are views; offsets are element indices.

export function axpy(n: number, a: number, x: Float32Array, xo: number, y: Float32Array, yo: number): void {
  for (let i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
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
