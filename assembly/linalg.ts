// Dense f32 linear algebra over raw pointers into the shared memory. No allocation, ever.
// Each SIMD kernel has a scalar twin here (for the benchmark) and a pure-TS twin in src/reference.
// Matrices are row-major with a row stride `lda` in elements; pointers need no alignment.
import { f4, hsum4 } from './vmath';

// y[i] += a * x[i], i < n
export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
    v128.store(y + o + 16, f32x4.add(v128.load(y + o + 16), f32x4.mul(va, v128.load(x + o + 16))));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

export function axpy_scalar(n: i32, a: f32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

// x[i] *= a
export function scal(n: i32, a: f32, x: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(va, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, a * load<f32>(x + o));
  }
}

export function scal_scalar(n: i32, a: f32, x: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, a * load<f32>(x + o));
  }
}

// sum x[i] * y[i]; two accumulators hide the add latency.
export function dot(n: i32, x: usize, y: usize): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o + 16), v128.load(y + o + 16)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  let s = hsum4(f32x4.add(a0, a1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}

export function dot_scalar(n: i32, x: usize, y: usize): f32 {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(x + o) * load<f32>(y + o);
  }
  return s;
}

// y[i] += sum_j A[i, j] * x[j]   (A is m x n, row stride lda)
// Four rows at a time so that each load of x feeds four multiply-adds, and the column loop unrolled
// through the load immediate offsets, so V8 computes one address per row per 8 columns instead of
// per 4 (x2 only: at x4 TurboFan hoists all 20 loads and spills). The LSTM recurrence runs on it.
export function gemv(m: i32, n: i32, A: usize, lda: i32, x: usize, y: usize): void {
  const rs = <usize>lda << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = A + <usize>i * rs;
    const r1 = r0 + rs;
    const r2 = r1 + rs;
    const r3 = r2 + rs;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const o = f4(j);
      const p0 = r0 + o, p1 = r1 + o, p2 = r2 + o, p3 = r3 + o, px = x + o;
      let xv = v128.load(px);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(p0), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(p1), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(p2), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(p3), xv));
      xv = v128.load(px, 16);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(p0, 16), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(p1, 16), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(p2, 16), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(p3, 16), xv));
    }
    for (; j + 4 <= n; j += 4) {
      const o = f4(j);
      const xv = v128.load(x + o);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(r0 + o), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(r1 + o), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(r2 + o), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(r3 + o), xv));
    }
    let s0 = hsum4(a0), s1 = hsum4(a1), s2 = hsum4(a2), s3 = hsum4(a3);
    for (; j < n; j++) {
      const o = f4(j);
      const xj = load<f32>(x + o);
      s0 += load<f32>(r0 + o) * xj;
      s1 += load<f32>(r1 + o) * xj;
      s2 += load<f32>(r2 + o) * xj;
      s3 += load<f32>(r3 + o) * xj;
    }
    const yo = y + f4(i);
    store<f32>(yo, load<f32>(yo) + s0);
    store<f32>(yo + 4, load<f32>(yo + 4) + s1);
    store<f32>(yo + 8, load<f32>(yo + 8) + s2);
    store<f32>(yo + 12, load<f32>(yo + 12) + s3);
  }
  for (; i < m; i++) {
    const yo = y + f4(i);
    store<f32>(yo, load<f32>(yo) + dot(n, A + <usize>i * rs, x));
  }
}

export function gemv_scalar(m: i32, n: i32, A: usize, lda: i32, x: usize, y: usize): void {
  const rs = <usize>lda << 2;
  for (let i = 0; i < m; i++) {
    const r = A + <usize>i * rs;
    let s: f32 = 0;
    for (let j = 0; j < n; j++) s += load<f32>(r + (<usize>j << 2)) * load<f32>(x + (<usize>j << 2));
    const yo = y + (<usize>i << 2);
    store<f32>(yo, load<f32>(yo) + s);
  }
}

// y[j] += sum_i A[i, j] * x[i]   (A is m x n): four rows at a time, so y is loaded and stored
// once per four rows; the column loop unrolled x4 through the immediate offsets, as in gemv.
export function gemvT(m: i32, n: i32, A: usize, lda: i32, x: usize, y: usize): void {
  const rs = <usize>lda << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = A + <usize>i * rs;
    const r1 = r0 + rs;
    const r2 = r1 + rs;
    const r3 = r2 + rs;
    const xo = x + f4(i);
    const c0 = load<f32>(xo), c1 = load<f32>(xo, 4), c2 = load<f32>(xo, 8), c3 = load<f32>(xo, 12);
    const v0 = f32x4.splat(c0), v1 = f32x4.splat(c1), v2 = f32x4.splat(c2), v3 = f32x4.splat(c3);
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const o = f4(j);
      const p0 = r0 + o, p1 = r1 + o, p2 = r2 + o, p3 = r3 + o, py = y + o;
      let acc = v128.load(py);
      acc = f32x4.add(acc, f32x4.mul(v0, v128.load(p0)));
      acc = f32x4.add(acc, f32x4.mul(v1, v128.load(p1)));
      acc = f32x4.add(acc, f32x4.mul(v2, v128.load(p2)));
      acc = f32x4.add(acc, f32x4.mul(v3, v128.load(p3)));
      v128.store(py, acc);
      acc = v128.load(py, 16);
      acc = f32x4.add(acc, f32x4.mul(v0, v128.load(p0, 16)));
      acc = f32x4.add(acc, f32x4.mul(v1, v128.load(p1, 16)));
      acc = f32x4.add(acc, f32x4.mul(v2, v128.load(p2, 16)));
      acc = f32x4.add(acc, f32x4.mul(v3, v128.load(p3, 16)));
      v128.store(py, acc, 16);
      acc = v128.load(py, 32);
      acc = f32x4.add(acc, f32x4.mul(v0, v128.load(p0, 32)));
      acc = f32x4.add(acc, f32x4.mul(v1, v128.load(p1, 32)));
      acc = f32x4.add(acc, f32x4.mul(v2, v128.load(p2, 32)));
      acc = f32x4.add(acc, f32x4.mul(v3, v128.load(p3, 32)));
      v128.store(py, acc, 32);
      acc = v128.load(py, 48);
      acc = f32x4.add(acc, f32x4.mul(v0, v128.load(p0, 48)));
      acc = f32x4.add(acc, f32x4.mul(v1, v128.load(p1, 48)));
      acc = f32x4.add(acc, f32x4.mul(v2, v128.load(p2, 48)));
      acc = f32x4.add(acc, f32x4.mul(v3, v128.load(p3, 48)));
      v128.store(py, acc, 48);
    }
    for (; j + 4 <= n; j += 4) {
      const o = f4(j);
      let acc = v128.load(y + o);
      acc = f32x4.add(acc, f32x4.mul(v0, v128.load(r0 + o)));
      acc = f32x4.add(acc, f32x4.mul(v1, v128.load(r1 + o)));
      acc = f32x4.add(acc, f32x4.mul(v2, v128.load(r2 + o)));
      acc = f32x4.add(acc, f32x4.mul(v3, v128.load(r3 + o)));
      v128.store(y + o, acc);
    }
    for (; j < n; j++) {
      const o = f4(j);
      store<f32>(y + o, load<f32>(y + o) + c0 * load<f32>(r0 + o) + c1 * load<f32>(r1 + o) + c2 * load<f32>(r2 + o) + c3 * load<f32>(r3 + o));
    }
  }
  for (; i < m; i++) axpy(n, load<f32>(x + f4(i)), A + <usize>i * rs, y);
}

export function gemvT_scalar(m: i32, n: i32, A: usize, lda: i32, x: usize, y: usize): void {
  const rs = <usize>lda << 2;
  for (let i = 0; i < m; i++) {
    const r = A + <usize>i * rs;
    const xi = load<f32>(x + (<usize>i << 2));
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + xi * load<f32>(r + o));
    }
  }
}

// A[i, j] += a * x[i] * y[j]  (rank-1 update, used for outer-product gradients)
export function ger(m: i32, n: i32, a: f32, x: usize, y: usize, A: usize, lda: i32): void {
  const rs = <usize>lda << 2;
  for (let i = 0; i < m; i++) {
    const xi = a * load<f32>(x + (<usize>i << 2));
    if (xi != 0) axpy(n, xi, y, A + <usize>i * rs);
  }
}

// x[i] *= m[i], i < n (dropout: m holds 0 or 1/(1-p) per element)
export function vmul(n: i32, x: usize, m: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), v128.load(m + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * load<f32>(m + o));
  }
}

// dst[i] = src[i], i < n (a worker's private snapshot of shared weights)
export function copy(n: i32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 2);
}
