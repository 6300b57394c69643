// Small dense f64 linear algebra for the Theorem 1 check (matrices of a few hundred rows at most):
// Cholesky solve, the largest eigenvalue by power iteration, all eigenvalues by cyclic Jacobi.
// Row-major Float64Array, n x n.

/** Solves A x = b for symmetric positive definite A (overwritten by its Cholesky factor). */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) throw new Error(`choleskySolve: matrix is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    A[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= A[i * n + k] * x[k];
    x[i] = s / A[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= A[k * n + i] * x[k];
    x[i] = s / A[i * n + i];
  }
  return x;
}

/**
 * Largest eigenvalue of a symmetric positive semidefinite matrix (power iteration from a fixed,
 * irregular start: a constant start vector can be orthogonal to the top eigenvector, as it is for
 * the softmax Hessian at w = 0).
 */
export function powerIteration(A: Float64Array, n: number, iters = 2000, tol = 1e-13): number {
  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + 0.5 * Math.sin(1.7 * i + 0.3);
  const n0 = Math.sqrt(dot(v, v));
  for (let i = 0; i < n; i++) v[i] /= n0;
  let w = new Float64Array(n);
  let lambda = 0;
  for (let it = 0; it < iters; it++) {
    w.fill(0);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * v[j];
      w[i] = s;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    const next = norm; // ‖A v‖ with ‖v‖ = 1 converges to λ_max for PSD A
    for (let i = 0; i < n; i++) w[i] /= norm;
    [v, w] = [w, v];
    if (Math.abs(next - lambda) <= tol * next) return next;
    lambda = next;
  }
  return lambda;
}

/** All eigenvalues of a symmetric matrix, ascending (cyclic Jacobi; A is copied). */
export function symmetricEigenvalues(A0: Float64Array, n: number, sweeps = 60): Float64Array {
  const A = Float64Array.from(A0);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p], aqq = A[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = A[i * n + i];
  return ev.sort();
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function dist2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
