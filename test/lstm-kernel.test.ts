// Bi-LSTM kernels (assembly/lstm.ts) against their f64 twin (src/reference/lstm.ts), and the twin
// against finite differences of a full Bi-LSTM loss.
import { describe, expect, it } from 'vitest';
import { rng, testWasm } from './helpers.js';
import {
  lstmBackward,
  lstmCacheFloats,
  lstmForward,
  lstmParamCount,
  lstmScratchBytes,
  softmaxParamCount,
  softmaxPredict,
  softmaxXent,
  type Vec,
} from '../src/reference/lstm.js';

const t = testWasm(256);
const r = rng(7);

function rand(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}
/** copies a into fresh wasm memory (plus a 16-byte guard filled with a sentinel); returns its byte offset */
function put(a: Float32Array | Int32Array): number {
  const p = t.alloc(a.length * 4 + 16);
  if (a instanceof Int32Array) t.i32.set(a, p / 4);
  else t.f32.set(a, p / 4);
  t.f32.fill(12345, p / 4 + a.length, p / 4 + a.length + 4);
  return p;
}
function zeros(n: number): number {
  return put(new Float32Array(n));
}
function get(p: number, n: number): Float32Array {
  return t.f32.slice(p / 4, p / 4 + n);
}
function guardIntact(p: number, n: number): void {
  for (let i = 0; i < 4; i++) expect(t.f32[p / 4 + n + i]).toBe(12345);
}
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4, what = ''): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) throw new Error(`${what} index ${i}: ${got[i]} vs ${want[i]}`);
  }
}

const shapes: [number, number][] = [[5, 3], [17, 9], [32, 16], [4, 1], [1, 4]];
const lengths = [1, 2, 7];

interface Case {
  I: number; H: number; T: number; xstride: number;
  W: Float32Array; X: Float32Array;
}
function makeCase(I: number, H: number, T: number, wScale = 0.5): Case {
  const xstride = I + 3;
  return { I, H, T, xstride, W: rand(lstmParamCount(I, H), wScale), X: rand(T * xstride) };
}

/** runs lstm_forward in wasm for one direction, writing into the half `half` of a T x 2H buffer */
function wasmForward(c: Case, reverse: boolean, pW: number, pX: number, pHout: number) {
  const { I, H, T, xstride } = c;
  const pCache = zeros(lstmCacheFloats(H, T));
  t.k.lstm_forward(pW, I, H, T, pX, xstride, reverse ? 1 : 0, pCache, pHout + (reverse ? H * 4 : 0), 2 * H);
  return pCache;
}
function refForward(c: Case, reverse: boolean, hout: Vec) {
  const { I, H, T, xstride } = c;
  const cache = new Float64Array(lstmCacheFloats(H, T));
  lstmForward(c.W, 0, I, H, T, c.X, 0, xstride, reverse, cache, 0, hout, reverse ? H : 0, 2 * H);
  return cache;
}

describe('fast sigmoid / tanh', () => {
  it('match Math to ~1e-6 relative and saturate without NaN', () => {
    let worstS = 0, worstT = 0;
    for (let x = -60; x <= 60; x += 0.00731) {
      const s = t.k.lstm_sigmoid(x), th = t.k.lstm_tanh(x);
      const es = 1 / (1 + Math.exp(-x)), et = Math.tanh(x);
      if (Math.abs(x) < 25) worstS = Math.max(worstS, Math.abs(s - es) / es);
      worstT = Math.max(worstT, Math.abs(th - et) / Math.max(Math.abs(et), 1e-30));
    }
    for (const x of [1e-8, -1e-8, 1e-20, 0, 0.3, -0.624, 0.626, 88, -88, 1e30, -1e30]) {
      expect(Math.abs(t.k.lstm_tanh(x) - Math.tanh(x))).toBeLessThanOrEqual(1e-6 * Math.abs(Math.tanh(x)) + 1e-30);
      const s = t.k.lstm_sigmoid(x);
      expect(Number.isFinite(s)).toBe(true);
      expect(Math.abs(s - 1 / (1 + Math.exp(-x)))).toBeLessThan(1e-6);
    }
    expect(worstS).toBeLessThan(2e-6);
    expect(worstT).toBeLessThan(2e-6);
  });
});

describe('gemv / gemvT (the unrolled kernels of the LSTM recurrence) match the reference on unroll tails', () => {
  for (const [m, n] of [[1, 1], [4, 3], [5, 7], [8, 8], [8, 16], [13, 17], [16, 33], [17, 40], [64, 65]] as const) {
    it(`${m}x${n} (lda = n + 3)`, () => {
      const lda = n + 3;
      const A = rand(m * lda), x = rand(Math.max(m, n)), y0 = rand(Math.max(m, n));
      let py = put(y0);
      t.k.gemv(m, n, put(A), lda, put(x), py);
      const want = Float64Array.from(y0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[i] += A[i * lda + j] * x[j];
      close(get(py, y0.length), want, 1e-5, 'gemv');
      guardIntact(py, y0.length);
      py = put(y0);
      t.k.gemvT(m, n, put(A), lda, put(x), py);
      const wantT = Float64Array.from(y0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wantT[j] += A[i * lda + j] * x[i];
      close(get(py, y0.length), wantT, 1e-5, 'gemvT');
      guardIntact(py, y0.length);
    });
  }
});

describe('lstm_forward matches the reference', () => {
  for (const [I, H] of shapes) {
    for (const T of lengths) {
      it(`I=${I} H=${H} T=${T}, both directions into one T x 2H buffer`, () => {
        const c = makeCase(I, H, T);
        const pW = put(c.W), pX = put(c.X), pHout = zeros(T * 2 * H);
        const want = new Float64Array(T * 2 * H);
        for (const reverse of [false, true]) {
          const pCache = wasmForward(c, reverse, pW, pX, pHout);
          const cache = refForward(c, reverse, want);
          close(get(pCache, cache.length), cache, 1e-4, `cache rev=${reverse}`);
          guardIntact(pCache, cache.length);
        }
        close(get(pHout, want.length), want, 1e-4, 'hout');
        guardIntact(pHout, want.length);
        // the inputs are read-only
        close(get(pW, c.W.length), c.W, 0);
        close(get(pX, c.X.length), c.X, 0);
      });
    }
  }
});

describe('lstm_backward matches the reference', () => {
  for (const [I, H] of shapes) {
    for (const T of lengths) {
      for (const reverse of [false, true]) {
        it(`I=${I} H=${H} T=${T} reverse=${reverse}: dW (incl. db) and dX accumulate`, () => {
          const c = makeCase(I, H, T);
          const pW = put(c.W), pX = put(c.X), pHout = zeros(T * 2 * H);
          const pCache = wasmForward(c, reverse, pW, pX, pHout);
          const hout = new Float64Array(T * 2 * H);
          const cache = refForward(c, reverse, hout);
          const dhStride = 2 * H + 1, dxStride = I + 2;
          const dh = rand(T * dhStride);
          const dW0 = rand(c.W.length), dX0 = rand(T * dxStride);
          const pdW = put(dW0), pdX = put(dX0), pdh = put(dh);
          const pScratch = t.alloc(lstmScratchBytes(H, T) + 16);
          t.f32.fill(12345, (pScratch + lstmScratchBytes(H, T)) / 4, (pScratch + lstmScratchBytes(H, T)) / 4 + 4);
          const off = reverse ? H : 0; // read the half of a T x (2H+1) dh buffer
          t.k.lstm_backward(pW, I, H, T, pX, c.xstride, reverse ? 1 : 0, pCache, pdh + off * 4, dhStride, pdW, pdX, dxStride, pScratch);
          const dW = Float64Array.from(dW0), dX = Float64Array.from(dX0);
          lstmBackward(c.W, 0, I, H, T, c.X, 0, c.xstride, reverse, cache, 0, dh, off, dhStride, dW, 0, dX, 0, dxStride);
          close(get(pdW, dW.length), dW, 1e-4, 'dW');
          close(get(pdX, dX.length), dX, 1e-4, 'dX');
          guardIntact(pdW, dW.length);
          guardIntact(pdX, dX.length);
          guardIntact(pScratch, lstmScratchBytes(H, T) / 4);
          // dX = 0 skips the input gradient and leaves dW the same
          const pdW2 = put(dW0);
          t.k.lstm_backward(pW, I, H, T, pX, c.xstride, reverse ? 1 : 0, pCache, pdh + off * 4, dhStride, pdW2, 0, dxStride, pScratch);
          close(get(pdW2, dW.length), get(pdW, dW.length), 1e-6, 'dW (dX = 0)');
        });
      }
    }
  }

  it('accumulates: calling backward twice doubles dW and dX, and leaves the cache intact', () => {
    const c = makeCase(17, 9, 7);
    const { I, H, T } = c;
    const pW = put(c.W), pX = put(c.X), pHout = zeros(T * 2 * H);
    const pCache = wasmForward(c, false, pW, pX, pHout);
    const cache0 = get(pCache, lstmCacheFloats(H, T));
    const pdh = put(rand(T * H));
    const pdW = zeros(c.W.length), pdX = zeros(T * I);
    const pScratch = t.alloc(lstmScratchBytes(H, T));
    t.k.lstm_backward(pW, I, H, T, pX, c.xstride, 0, pCache, pdh, H, pdW, pdX, I, pScratch);
    const once = get(pdW, c.W.length), onceX = get(pdX, T * I);
    close(get(pCache, cache0.length), cache0, 0, 'cache');
    t.k.lstm_backward(pW, I, H, T, pX, c.xstride, 0, pCache, pdh, H, pdW, pdX, I, pScratch);
    close(get(pdW, c.W.length), once.map((v) => 2 * v), 1e-6, 'dW');
    close(get(pdX, T * I), onceX.map((v) => 2 * v), 1e-6, 'dX');
  });
});

describe('large pre-activations stay finite', () => {
  for (const reverse of [false, true]) {
    it(`|z| ~ 50, reverse=${reverse}`, () => {
      const I = 13, H = 7, T = 7;
      const c = makeCase(I, H, T, 20); // |z| ~ 25 typical, > 50 for some rows
      for (let i = 0; i < c.X.length; i++) c.X[i] = Math.sign(c.X[i] || 1) * (0.5 + 0.5 * Math.abs(c.X[i]));
      const pW = put(c.W), pX = put(c.X), pHout = zeros(T * 2 * H);
      const pCache = wasmForward(c, reverse, pW, pX, pHout);
      const hout = new Float64Array(T * 2 * H);
      const cache = refForward(c, reverse, hout);
      // check that the test really reaches large pre-activations
      let zmax = 0;
      for (let tt = 0; tt < T; tt++) {
        for (let r0 = 0; r0 < 4 * H; r0++) {
          let z = c.W[4 * H * (I + H) + r0];
          for (let j = 0; j < I; j++) z += c.W[r0 * (I + H) + j] * c.X[tt * c.xstride + j];
          zmax = Math.max(zmax, Math.abs(z));
        }
      }
      expect(zmax).toBeGreaterThan(50);
      const gotCache = get(pCache, cache.length);
      for (const v of gotCache) expect(Number.isFinite(v)).toBe(true);
      close(gotCache, cache, 1e-4, 'cache');
      const dh = rand(T * 2 * H, 10);
      const pdh = put(dh), pdW = zeros(c.W.length), pdX = zeros(T * I);
      t.k.lstm_backward(pW, I, H, T, pX, c.xstride, reverse ? 1 : 0, pCache, pdh + (reverse ? 4 * H : 0), 2 * H, pdW, pdX, I, t.alloc(lstmScratchBytes(H, T)));
      const gW = get(pdW, c.W.length), gX = get(pdX, T * I);
      for (const v of gW) expect(Number.isFinite(v)).toBe(true);
      for (const v of gX) expect(Number.isFinite(v)).toBe(true);
      const dW = new Float64Array(c.W.length), dX = new Float64Array(T * I);
      lstmBackward(c.W, 0, I, H, T, c.X, 0, c.xstride, reverse, cache, 0, dh, reverse ? H : 0, 2 * H, dW, 0, dX, 0, I);
      // saturated gates: the f32 kernels may differ from f64 by ~1e-7 relative in a gate, which a
      // huge weight multiplies; compare at a looser tolerance
      close(gW, dW, 1e-3, 'dW');
      close(gX, dX, 1e-3, 'dX');
    });
  }
  it('huge inputs (1e30) and huge weights give no NaN', () => {
    const I = 6, H = 5, T = 3;
    const c = makeCase(I, H, T, 1);
    c.X.fill(1e30);
    c.X[1] = -1e30;
    const pW = put(c.W), pX = put(c.X), pHout = zeros(T * 2 * H);
    const pCache = wasmForward(c, false, pW, pX, pHout);
    for (const v of get(pCache, lstmCacheFloats(H, T))) expect(Number.isFinite(v)).toBe(true);
    const pdW = zeros(c.W.length);
    t.k.lstm_backward(pW, I, H, T, pX, c.xstride, 0, pCache, put(rand(T * H)), H, pdW, 0, I, t.alloc(lstmScratchBytes(H, T)));
    for (const v of get(pdW, 4 * H * (I + H))) expect(Number.isNaN(v)).toBe(false);
  });
});

describe('softmax_xent / softmax_predict match the reference', () => {
  for (const [C, D, T] of [[1, 2, 1], [3, 6, 2], [5, 10, 7], [22, 34, 7], [9, 32, 4]] as const) {
    it(`C=${C} D=${D} T=${T}`, () => {
      const V = rand(softmaxParamCount(C, D)), Hcat = rand(T * D, 2);
      const labels = new Int32Array(T);
      for (let i = 0; i < T; i++) labels[i] = Math.floor(r() * C);
      if (T > 2) labels[1] = -1;
      const dV0 = rand(V.length);
      const pV = put(V), pH = put(Hcat), pL = put(labels), pdV = put(dV0);
      const pdH = put(rand(T * D)), pP = zeros(T * C);
      const loss = t.k.softmax_xent(pV, C, D, T, pH, pL, pdV, pdH, pP);
      const dV = Float64Array.from(dV0), dH = new Float64Array(T * D), probs = new Float64Array(T * C);
      const want = softmaxXent(V, 0, C, D, T, Hcat, 0, labels, 0, dV, 0, dH, 0, probs);
      expect(Math.abs(loss - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
      close(get(pdV, dV.length), dV, 1e-4, 'dV');
      close(get(pdH, dH.length), dH, 1e-4, 'dHcat');
      close(get(pP, probs.length), probs, 1e-5, 'probs');
      guardIntact(pdH, dH.length);
      guardIntact(pP, probs.length);
      if (T > 2) for (let j = 0; j < D; j++) expect(t.f32[pdH / 4 + D + j]).toBe(0);
      const pOut = put(new Int32Array(T));
      t.k.softmax_predict(pV, C, D, T, pH, pOut);
      const out = new Int32Array(T);
      softmaxPredict(V, 0, C, D, T, Hcat, 0, out, 0);
      expect(Array.from(t.i32.slice(pOut / 4, pOut / 4 + T))).toEqual(Array.from(out));
    });
  }
});

// A full Bi-LSTM over one parameter vector [Wf bf | Wb bb | V bV] and inputs X (T x I).
function biLstm(I: number, H: number, C: number, T: number, theta: Vec, X: Vec, labels: Int32Array, grad: { dTheta: Float64Array; dX: Float64Array } | null): number {
  const P = lstmParamCount(I, H), D = 2 * H;
  const Hcat = new Float64Array(T * D);
  const cf = new Float64Array(lstmCacheFloats(H, T)), cb = new Float64Array(lstmCacheFloats(H, T));
  lstmForward(theta, 0, I, H, T, X, 0, I, false, cf, 0, Hcat, 0, D);
  lstmForward(theta, P, I, H, T, X, 0, I, true, cb, 0, Hcat, H, D);
  const dHcat = new Float64Array(T * D);
  const dummy = new Float64Array(softmaxParamCount(C, D));
  const loss = softmaxXent(theta, 2 * P, C, D, T, Hcat, 0, labels, 0, grad ? grad.dTheta : dummy, grad ? 2 * P : 0, dHcat, 0);
  if (grad) {
    lstmBackward(theta, 0, I, H, T, X, 0, I, false, cf, 0, dHcat, 0, D, grad.dTheta, 0, grad.dX, 0, I);
    lstmBackward(theta, P, I, H, T, X, 0, I, true, cb, 0, dHcat, H, D, grad.dTheta, P, grad.dX, 0, I);
  }
  return loss;
}

describe('reference gradients against finite differences (full Bi-LSTM, f64)', () => {
  for (const [I, H, C, T] of [[3, 2, 3, 4], [5, 3, 4, 7], [2, 5, 2, 1]] as const) {
    it(`I=${I} H=${H} C=${C} T=${T}: W, b, V, bV and X`, () => {
      const P = lstmParamCount(I, H);
      const n = 2 * P + softmaxParamCount(C, 2 * H);
      const theta = Float64Array.from(rand(n, 0.8));
      const X = Float64Array.from(rand(T * I));
      const labels = new Int32Array(T);
      for (let i = 0; i < T; i++) labels[i] = Math.floor(r() * C);
      if (T > 3) labels[2] = -1;
      const grad = { dTheta: new Float64Array(n), dX: new Float64Array(T * I) };
      biLstm(I, H, C, T, theta, X, labels, grad);
      const eps = 1e-6;
      const check = (a: Float64Array, g: Float64Array, what: string) => {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          a[i] = v + eps;
          const lp = biLstm(I, H, C, T, theta, X, labels, null);
          a[i] = v - eps;
          const lm = biLstm(I, H, C, T, theta, X, labels, null);
          a[i] = v;
          const fd = (lp - lm) / (2 * eps);
          if (!(Math.abs(fd - g[i]) <= 1e-6 * (1 + Math.abs(fd)))) throw new Error(`${what}[${i}]: analytic ${g[i]} vs fd ${fd}`);
        }
      };
      check(theta, grad.dTheta, 'theta'); // Wf, bf, Wb, bb, V, bV: every coordinate
      check(X, grad.dX, 'X');
      // the gradient is not trivially zero in any block
      const nz = (a: number, b: number) => grad.dTheta.subarray(a, b).some((v) => Math.abs(v) > 1e-6);
      expect(nz(0, P - 4 * H) && nz(P - 4 * H, P) && nz(P, 2 * P) && nz(2 * P, n)).toBe(true);
    });
  }
});

describe('the wasm Bi-LSTM pipeline matches the reference end to end', () => {
  it('I=17 H=9 C=5 T=7: forward x2, softmax_xent, backward x2 into one dX', () => {
    const I = 17, H = 9, C = 5, T = 7, D = 2 * H, P = lstmParamCount(I, H);
    const n = 2 * P + softmaxParamCount(C, D);
    const theta = rand(n, 0.5), X = rand(T * I);
    const labels = new Int32Array(T);
    for (let i = 0; i < T; i++) labels[i] = Math.floor(r() * C);
    const grad = { dTheta: new Float64Array(n), dX: new Float64Array(T * I) };
    const want = biLstm(I, H, C, T, theta, X, labels, grad);
    const pw = put(theta), pX = put(X), pL = put(labels);
    const pHcat = zeros(T * D), pdHcat = zeros(T * D), pg = zeros(n), pdX = zeros(T * I), pP = zeros(T * C);
    const cf = zeros(lstmCacheFloats(H, T)), cb = zeros(lstmCacheFloats(H, T));
    const scr = t.alloc(lstmScratchBytes(H, T));
    t.k.lstm_forward(pw, I, H, T, pX, I, 0, cf, pHcat, D);
    t.k.lstm_forward(pw + P * 4, I, H, T, pX, I, 1, cb, pHcat + H * 4, D);
    const loss = t.k.softmax_xent(pw + 2 * P * 4, C, D, T, pHcat, pL, pg + 2 * P * 4, pdHcat, pP);
    t.k.lstm_backward(pw, I, H, T, pX, I, 0, cf, pdHcat, D, pg, pdX, I, scr);
    t.k.lstm_backward(pw + P * 4, I, H, T, pX, I, 1, cb, pdHcat + H * 4, D, pg + P * 4, pdX, I, scr);
    expect(Math.abs(loss - want)).toBeLessThan(1e-4 * (1 + want));
    close(get(pg, n), grad.dTheta, 1e-4, 'dTheta');
    close(get(pdX, T * I), grad.dX, 1e-4, 'dX');
  });
});
