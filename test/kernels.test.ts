// Every linear-algebra and update kernel against its pure-TS twin, on random shapes including
// lengths that are not multiples of 4 (the SIMD tails).
import { describe, expect, it } from 'vitest';
import * as ref from '../src/reference/linalg.js';
import * as upd from '../src/reference/update.js';
import { logregGrad } from '../src/reference/logreg.js';
import { rng, testWasm } from './helpers.js';

const t = testWasm(64);
const r = rng(42);
function randArray(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}
/** copies a into fresh wasm memory and returns its byte offset */
function put(a: Float32Array): number {
  const p = t.alloc(a.length * 4 + 16);
  t.f32.set(a, p / 4);
  return p;
}
function get(p: number, n: number): Float32Array {
  return t.f32.slice(p / 4, p / 4 + n);
}
function close(a: Float32Array, b: Float32Array, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > tol * (1 + Math.abs(b[i]))) throw new Error(`index ${i}: ${a[i]} vs ${b[i]}`);
  }
}
const lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257];

describe('vector kernels match the TS reference', () => {
  for (const n of lengths) {
    it(`axpy/scal/dot n=${n}`, () => {
      const x = randArray(n), y = randArray(n);
      for (const name of ['axpy', 'axpy_scalar']) {
        const px = put(x), py = put(y);
        t.k[name](n, 0.37, px, py);
        const want = y.slice();
        ref.axpy(n, 0.37, x, 0, want, 0);
        close(get(py, n), want);
      }
      for (const name of ['scal', 'scal_scalar']) {
        const px = put(x);
        t.k[name](n, -1.5, px);
        const want = x.slice();
        ref.scal(n, -1.5, want, 0);
        close(get(px, n), want);
      }
      for (const name of ['dot', 'dot_scalar']) {
        const got = t.k[name](n, put(x), put(y));
        expect(got).toBeCloseTo(ref.dot(n, x, 0, y, 0), 4);
      }
    });
  }
});

describe('matrix kernels match the TS reference', () => {
  const shapes: [number, number][] = [[1, 1], [3, 5], [4, 4], [5, 7], [8, 13], [13, 8], [17, 33], [64, 65]];
  for (const [m, n] of shapes) {
    it(`gemv / gemvT / ger ${m}x${n} (lda = n + 3)`, () => {
      const lda = n + 3;
      const A = randArray(m * lda);
      const x = randArray(Math.max(m, n)), y0 = randArray(Math.max(m, n));
      for (const name of ['gemv', 'gemv_scalar']) {
        const py = put(y0);
        t.k[name](m, n, put(A), lda, put(x), py);
        const want = y0.slice();
        ref.gemv(m, n, A, 0, lda, x, 0, want, 0);
        close(get(py, y0.length), want, 1e-5);
      }
      for (const name of ['gemvT', 'gemvT_scalar']) {
        const py = put(y0);
        t.k[name](m, n, put(A), lda, put(x), py);
        const want = y0.slice();
        ref.gemvT(m, n, A, 0, lda, x, 0, want, 0);
        close(get(py, y0.length), want, 1e-5);
      }
      const pA = put(A);
      t.k.ger(m, n, 0.5, put(x), put(y0), pA, lda);
      const want = A.slice();
      ref.ger(m, n, 0.5, x, 0, y0, 0, want, 0, lda);
      close(get(pA, A.length), want);
    });
  }
});

describe('register-blocked gemm kernels match the TS reference', () => {
  // every tile and tail: M around the 2- and 4-row tiles, N around the 4- and 8-column tiles and
  // strips, K around the 4-float chunks (and 0); strides wider than the rows
  const cases: [number, number, number][] = [[1, 1, 1], [2, 4, 4], [3, 5, 7], [4, 8, 8], [5, 9, 0], [6, 13, 3], [7, 12, 5], [9, 17, 33], [24, 70, 45], [13, 31, 16]];
  for (const [M, N, K] of cases) {
    it(`gemm_nt / gemm_nn / gemm_tn M=${M} N=${N} K=${K}`, () => {
      const lda = K + 3, ldb = K + 1, ldc = N + 5;
      const C0 = randArray(M * ldc);
      const check = (name: string, A: Float32Array, la: number, B: Float32Array, lb: number, twin: typeof ref.gemmNT) => {
        const pC = put(C0);
        t.f32.fill(12345, pC / 4 + C0.length, pC / 4 + C0.length + 4); // guard after C
        t.k[name](M, N, K, put(A), la, put(B), lb, pC, ldc);
        const want = C0.slice();
        twin(M, N, K, A, 0, la, B, 0, lb, want, 0, ldc);
        // the whole of C, so the padding columns between N and ldc must be untouched too
        close(get(pC, C0.length), want, 1e-5);
        expect(Array.from(get(pC + C0.length * 4, 4))).toEqual([12345, 12345, 12345, 12345]);
      };
      check('gemm_nt', randArray(M * lda), lda, randArray(N * ldb), ldb, ref.gemmNT);
      check('gemm_nn', randArray(M * (K + 2)), K + 2, randArray(Math.max(K, 1) * (N + 3)), N + 3, ref.gemmNN);
      check('gemm_tn', randArray(Math.max(K, 1) * (M + 2)), M + 2, randArray(Math.max(K, 1) * (N + 3)), N + 3, ref.gemmTN);
    });
  }
});

describe('update kernels match the TS reference', () => {
  const P = 203;
  const list: upd.Block[] = [[0, 5, 0], [17, 33, 1], [100, 103, 2], [17, 33, 1]]; // a duplicate block
  function putList(l: readonly upd.Block[]): number {
    const p = t.alloc(l.length * 12);
    l.forEach((b, i) => t.i32.set(b, p / 4 + i * 3));
    return p;
  }
  it('sgd_apply applies each block once and zeroes g', () => {
    const w = randArray(P), g = randArray(P);
    const pw = put(w), pg = put(g), stamps = put(new Float32Array(4));
    t.i32.fill(0, stamps / 4, stamps / 4 + 4);
    const overlap = t.k.sgd_apply(pw, pg, putList(list), list.length, -0.1, stamps, 6);
    const ww = w.slice(), gg = g.slice();
    upd.sgdApply(ww, gg, list, -0.1);
    close(get(pw, P), ww);
    close(get(pg, P), gg);
    expect(overlap).toBe(0);
    // each write finished: the blocks hold the write's (even) tag; block 1, listed twice, did not
    // see itself as another writer
    expect([...t.i32.slice(stamps / 4, stamps / 4 + 3)]).toEqual([6, 6, 6]);
  });
  it('sgd_apply reports a write that overlaps another writer', () => {
    const stamps = t.alloc(16);
    t.i32.set([4 | 1, 0, 0, 0], stamps / 4); // another worker (tag 4) is inside block 0
    expect(t.k.sgd_apply(put(randArray(P)), put(randArray(P)), putList(list), list.length, -0.1, stamps, 6)).toBe(1);
    t.i32.set([4, 0, 0, 0], stamps / 4); // its write is finished: no overlap
    expect(t.k.sgd_apply(put(randArray(P)), put(randArray(P)), putList(list), list.length, -0.1, stamps, 6)).toBe(0);
    t.i32.set([4 | 1, 0, 0, 0], stamps / 4);
    expect(t.k.sgd_apply(put(randArray(P)), put(randArray(P)), putList(list), list.length, -0.1, stamps, 0)).toBe(0);
  });
  it('stamp_hash: bit 0 tells a writer inside; a finished write changes the digest', () => {
    const stamps = t.alloc(32);
    t.i32.set([10, 20, 30, 0], stamps / 4);
    const a = t.k.stamp_hash(stamps, 0, 4);
    expect(a & 1).toBe(0);
    expect(t.k.stamp_hash(stamps, 0, 4)).toBe(a);
    t.i32[stamps / 4 + 1] = 44 | 1; // a writer (tag 44) inside block 1
    expect(t.k.stamp_hash(stamps, 0, 4) & 1).toBe(1);
    t.i32[stamps / 4 + 1] = 44; // done
    const b = t.k.stamp_hash(stamps, 0, 4);
    expect(b & 1).toBe(0);
    expect(b).not.toBe(a);
    expect(t.k.stamp_hash(stamps, 2, 2)).toBe(Math.imul(30, 1000003) | 0); // only [first, first + n)
    // positional: two blocks' changes that would cancel in a plain sum still change the digest
    t.i32.set([10, 20], stamps / 4);
    const c = t.k.stamp_hash(stamps, 0, 2);
    t.i32.set([20, 10], stamps / 4);
    expect(t.k.stamp_hash(stamps, 0, 2)).not.toBe(c);
  });
  it('sgd_apply_range only touches [lo, hi)', () => {
    const w = randArray(P), g = randArray(P);
    const pw = put(w), pg = put(g);
    t.k.sgd_apply_range(pw, pg, putList(list), list.length, -0.3, 20, 110);
    const ww = w.slice(), gg = g.slice();
    upd.sgdApplyRange(ww, gg, list, -0.3, 20, 110);
    close(get(pw, P), ww);
    close(get(pg, P), gg);
  });
  it('adam_apply and adam_dense_range match', () => {
    const w = randArray(P), g = randArray(P), m = randArray(P), v = randArray(P).map(Math.abs);
    const pw = put(w), pg = put(g), pm = put(m), pv = put(v), stamps = t.alloc(16);
    const l = list.slice(0, 3);
    t.k.adam_apply(pw, pg, pm, pv, putList(l), l.length, 0.01, 0.9, 0.95, 1e-4, stamps, 0);
    const [ww, gg, mm, vv] = [w.slice(), g.slice(), m.slice(), v.slice()];
    upd.adamApply(ww, gg, mm, vv, l, 0.01, 0.9, 0.95, 1e-4);
    close(get(pw, P), ww, 1e-4);
    close(get(pm, P), mm);
    close(get(pv, P), vv);
    const g2 = randArray(P), pg2 = put(g2);
    t.k.adam_dense_range(pw, pg2, pm, pv, 0.02, 0.9, 0.95, 1e-4, 3, 150);
    upd.adamRange(ww, g2, mm, vv, 3, 150, 0.02, 0.9, 0.95, 1e-4);
    close(get(pw, P), ww, 1e-4);
  });
  it('adam_apply_lazy, adam_catch_up_list and adam_catch_up_rows match the reference', () => {
    // 3 rows of 7 floats from offset 50 (stamps 10 + row), one dense block [0, 20) with stamp 0
    const w = randArray(P), g = randArray(P), m = randArray(P), v = randArray(P).map(Math.abs);
    const pw = put(w), pg = put(g), pm = put(m), pv = put(v), stamps = t.alloc(64);
    const last = new Int32Array([2, 7, 0]), plast = t.alloc(12);
    t.i32.set(last, plast / 4);
    const l: upd.Block[] = [[0, 20, 0], [57, 7, 11], [64, 7, 12]];
    t.k.adam_apply_lazy(pw, pg, pm, pv, putList(l), l.length, 0.01, 0.9, 0.95, 1e-4, stamps, 0, plast, 8, 10);
    const [ww, gg, mm, vv, ll] = [w.slice(), g.slice(), m.slice(), v.slice(), last.slice()];
    upd.adamApplyLazy(ww, gg, mm, vv, l, 0.01, 0.9, 0.95, 1e-4, ll, 8, 10);
    // row 1 was up to date (k = 0), row 2 missed 7 steps, row 0 (not listed) is left alone
    expect(Array.from(t.i32.slice(plast / 4, plast / 4 + 3))).toEqual([2, 8, 8]);
    expect(Array.from(ll)).toEqual([2, 8, 8]);
    close(get(pw, P), ww, 1e-4);
    close(get(pm, P), mm);
    close(get(pv, P), vv);
    close(get(pg, P), gg);
    // rows 0 and 2 listed before a read at step 9: row 0 catches up 7 steps, row 2 one; the dense
    // block (stamp 0) is left alone
    const l2: upd.Block[] = [[0, 20, 0], [50, 7, 10], [64, 7, 12]];
    t.k.adam_catch_up_list(pw, pm, pv, putList(l2), l2.length, plast, 9, 0.015, 0.9, 0.95, 1e-4, 10);
    upd.adamCatchUpList(ww, mm, vv, l2, ll, 9, 0.015, 0.9, 0.95, 1e-4, 10);
    expect(Array.from(t.i32.slice(plast / 4, plast / 4 + 3))).toEqual([9, 8, 9]);
    expect(Array.from(ll)).toEqual([9, 8, 9]);
    close(get(pw, P), ww, 1e-4);
    close(get(pm, P), mm);
    close(get(pv, P), vv);
    t.k.adam_catch_up_rows(pw, pm, pv, 50, 7, 3, plast, 11, 0.02, 0.9, 0.95, 1e-4);
    upd.adamCatchUpRows(ww, mm, vv, 50, 7, 3, ll, 0, 11, 0.02, 0.9, 0.95, 1e-4);
    expect(Array.from(t.i32.slice(plast / 4, plast / 4 + 3))).toEqual([11, 11, 11]);
    close(get(pw, P), ww, 1e-4);
    close(get(pm, P), mm);
    close(get(pv, P), vv);
  });
  it('lazy Adam rows end where dense Adam leaves them (exactly when eps is ~0)', () => {
    // 4 rows of 6 floats; at each of 40 steps a random subset gets a gradient. Dense: every row
    // takes every step (g = 0 where unused). Lazy: only the used rows, then all caught up at the end.
    const R = 4, D = 6, N = R * D, steps = 40, lrt = 0.01, b1 = 0.9, b2 = 0.99;
    const r = rng(17);
    const grads = Array.from({ length: steps }, () => Array.from({ length: R }, () => (r() < 0.3 ? randArray(D) : null)));
    const run = (eps: number) => {
      const init = randArray(N);
      const dense = [init.slice(), new Float32Array(N), new Float32Array(N)];
      const lazy = [init.slice(), new Float32Array(N), new Float32Array(N)];
      const last = new Int32Array(R);
      grads.forEach((rows, s) => {
        const g = new Float32Array(N), gl = new Float32Array(N);
        const list: upd.Block[] = [];
        rows.forEach((x, i) => { if (x) { g.set(x, i * D); gl.set(x, i * D); list.push([i * D, D, 5 + i]); } });
        upd.adamRange(dense[0], g, dense[1], dense[2], 0, N, lrt, b1, b2, eps);
        upd.adamApplyLazy(lazy[0], gl, lazy[1], lazy[2], list, lrt, b1, b2, eps, last, s + 1, 5);
      });
      upd.adamCatchUpRows(lazy[0], lazy[1], lazy[2], 0, D, R, last, 0, steps, lrt, b1, b2, eps);
      let diff = 0, moved = 0;
      for (let i = 0; i < N; i++) {
        diff = Math.max(diff, Math.abs(lazy[0][i] - dense[0][i]));
        moved = Math.max(moved, Math.abs(dense[0][i] - init[i]));
        expect(lazy[1][i]).toBeCloseTo(dense[1][i], 6);
        expect(lazy[2][i]).toBeCloseTo(dense[2][i], 6);
      }
      return { diff, moved };
    };
    const exact = run(1e-30); // (0 would make dense Adam 0/0 on a row never used)
    expect(exact.moved).toBeGreaterThan(0.05);
    expect(exact.diff).toBeLessThan(1e-5);
    // with eps the catch-up moves a row at most a little further than dense Adam
    const withEps = run(1e-3);
    expect(withEps.diff).toBeLessThan(0.05 * withEps.moved);
  });
  it('add_range sums a listed gradient into another over [lo, hi)', () => {
    const a = randArray(P), b = randArray(P);
    const pa = put(a), pb = put(b);
    t.k.add_range(pa, pb, putList(list), list.length, 10, 120);
    const inList = (i: number) => list.some(([o, l]) => i >= o && i < o + l) && i >= 10 && i < 120;
    const got = get(pa, P), gotB = get(pb, P);
    for (let i = 0; i < P; i++) {
      expect(got[i]).toBeCloseTo(inList(i) ? a[i] + b[i] : a[i], 5);
      expect(gotB[i]).toBe(inList(i) ? 0 : b[i]);
    }
  });
});

describe('logistic-regression gradient', () => {
  it('matches the TS reference and finite differences', () => {
    const C = 5, D = 13, T = 3;
    const w = randArray(C * D + C), x = randArray(D * T);
    const y = Int32Array.from([2, 0, 4]);
    const py = t.alloc(12);
    t.i32.set(y, py / 4);
    const pw = put(w), px = put(x), pg = put(new Float32Array(C * D + C)), scratch = t.alloc(64);
    const loss = t.k.logreg_grad(pw, C, D, px, py, T, 0.1, pg, scratch);
    const g = new Float32Array(C * D + C);
    const want = logregGrad(w, C, D, x, 0, y, 0, T, 0.1, g);
    expect(loss).toBeCloseTo(want, 4);
    close(get(pg, C * D + C), g, 1e-4);
    // finite differences of the reference objective (loss + l2/2 |W|^2)
    const f = (ww: Float32Array) => {
      let sq = 0;
      for (let j = 0; j < C * D; j++) sq += ww[j] * ww[j];
      return logregGrad(ww, C, D, x, 0, y, 0, T, 0.1, new Float32Array(C * D + C)) + 0.05 * sq;
    };
    for (const j of [0, 7, C * D - 1, C * D, C * D + C - 1]) {
      const h = 1e-2;
      const wp = w.slice(), wm = w.slice();
      wp[j] += h;
      wm[j] -= h;
      expect((f(wp) - f(wm)) / (2 * h)).toBeCloseTo(g[j], 3);
    }
  });
});
