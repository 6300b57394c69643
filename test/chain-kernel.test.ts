// The Bi-LSTM-CRF's output layer: output_scores / output_backward (assembly/lstm.ts) and the chain CRF
// over emission scores, chain_xent / chain_marginals / chain_viterbi (assembly/crf.ts), against their
// f64 twins; the twins against finite differences and brute-force enumeration.
import { describe, expect, it } from 'vitest';
import { rng, testWasm } from './helpers.js';
import { chainScores, chainViterbi, chainXent, crfForwardBackward, crfPathScore, crfScratchBytes } from '../src/reference/crf.js';
import { outputBackward, outputScores, softmaxParamCount } from '../src/reference/lstm.js';

const t = testWasm(256);
const r = rng(11);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
function put(a: Float32Array | Int32Array): number {
  const p = t.alloc(a.length * 4 + 16);
  if (a instanceof Int32Array) t.i32.set(a, p / 4);
  else t.f32.set(a, p / 4);
  t.f32.fill(12345, p / 4 + a.length, p / 4 + a.length + 4);
  return p;
}
const get = (p: number, n: number) => t.f32.slice(p / 4, p / 4 + n);
function guardIntact(p: number, n: number): void {
  for (let i = 0; i < 4; i++) expect(t.f32[p / 4 + n + i]).toBe(12345);
}
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) throw new Error(`${what} index ${i}: ${got[i]} vs ${want[i]}`);
  }
}
const labelsOf = (T: number, Y: number) => Int32Array.from({ length: T }, () => Math.floor(r() * Y));

describe('output_scores / output_backward match the reference', () => {
  for (const [C, D, T] of [[1, 2, 1], [5, 10, 7], [22, 34, 9], [45, 16, 3]] as const) {
    it(`C=${C} D=${D} T=${T}`, () => {
      const V = rand(softmaxParamCount(C, D)), Hcat = rand(T * D, 2), G = rand(T * C), dV0 = rand(V.length);
      const pV = put(V), pH = put(Hcat), pOut = put(new Float32Array(T * C)), pG = put(G), pdV = put(dV0), pdH = put(rand(T * D));
      t.k.output_scores(pV, C, D, T, pH, pOut);
      const want = new Float64Array(T * C);
      outputScores(V, 0, C, D, T, Hcat, 0, want, 0);
      close(get(pOut, T * C), want, 1e-5, 'scores');
      guardIntact(pOut, T * C);
      t.k.output_backward(pV, C, D, T, pH, pG, pdV, pdH);
      const dV = Float64Array.from(dV0), dH = new Float64Array(T * D);
      outputBackward(V, 0, C, D, T, Hcat, 0, G, 0, dV, 0, dH, 0);
      close(get(pdV, dV.length), dV, 1e-5, 'dV');
      close(get(pdH, dH.length), dH, 1e-5, 'dHcat');
      guardIntact(pdV, dV.length);
      guardIntact(pdH, dH.length);
    });
  }
});

describe('chain CRF kernels match the reference', () => {
  const cases: Array<[number, number, number]> = [[1, 1, 1], [3, 1, 1], [3, 2, 1], [5, 7, 2], [22, 24, 3], [45, 40, 2], [7, 300, 4]];
  for (const [Y, T, scale] of cases) {
    it(`Y=${Y} T=${T} scale ${scale}`, () => {
      const emis = rand(T * Y, scale), trans = rand(Y * Y, scale), labels = labelsOf(T, Y), dT0 = rand(Y * Y);
      // the scratch exactly as sized, with a guard after it
      const scratchBytes = crfScratchBytes(Y, T, 0);
      const scratch = put(new Float32Array(scratchBytes / 4));
      const pE = put(emis), pT = put(trans), pL = put(labels), pdT = put(dT0);
      const loss = t.k.chain_xent(Y, T, pE, pT, pL, pdT, scratch);
      const gE = Float64Array.from(emis), dT = Float64Array.from(dT0);
      const want = chainXent(Y, T, gE, 0, trans, 0, labels, 0, dT, 0);
      expect(Math.abs(loss - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
      close(get(pE, T * Y), gE, 1e-4, 'dEmis');
      close(get(pdT, Y * Y), dT, 1e-4, 'dTrans');
      guardIntact(pE, T * Y);
      guardIntact(pdT, Y * Y);
      // marginals and Viterbi on the original scores
      const pE2 = put(emis), pM = put(new Float32Array(T * Y));
      const m = crfForwardBackward(chainScores(Y, T, emis, 0, trans, 0));
      const logZ = t.k.chain_marginals(Y, T, pE2, pT, pM, scratch);
      expect(Math.abs(logZ - m.logZ)).toBeLessThan(1e-4 * (1 + Math.abs(m.logZ)));
      close(get(pM, T * Y), m.node, 1e-4, 'marginals');
      const pO = put(new Int32Array(T));
      const score = t.k.chain_viterbi(Y, T, pE2, pT, pO, scratch);
      const out = new Int32Array(T);
      const wantScore = chainViterbi(Y, T, emis, 0, trans, 0, out, 0);
      expect(Array.from(t.i32.slice(pO / 4, pO / 4 + T))).toEqual(Array.from(out));
      expect(Math.abs(score - wantScore)).toBeLessThan(1e-4 * (1 + Math.abs(wantScore)));
      guardIntact(scratch, scratchBytes / 4);
    });
  }

  it('stays exact where the scaled pass underflows (large scores, long sentence: the log-space fallback)', () => {
    const Y = 9, T = 200;
    const emis = rand(T * Y, 60), trans = rand(Y * Y, 60), labels = labelsOf(T, Y);
    const scratch = put(new Float32Array(crfScratchBytes(Y, T, 0) / 4));
    const pE = put(emis), pdT = put(new Float32Array(Y * Y));
    const loss = t.k.chain_xent(Y, T, pE, put(trans), put(labels), pdT, scratch);
    const gE = Float64Array.from(emis), dT = new Float64Array(Y * Y);
    const want = chainXent(Y, T, gE, 0, trans, 0, labels, 0, dT, 0);
    expect(t.i32[scratch / 4 + 2]).toBe(1);
    expect(Math.abs(loss - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    close(get(pE, T * Y), gE, 1e-3, 'dEmis');
    close(get(pdT, Y * Y), dT, 1e-3, 'dTrans');
    guardIntact(scratch, crfScratchBytes(Y, T, 0) / 4);
  });
});

describe('the chain CRF reference', () => {
  it('its gradient matches finite differences (emissions and transitions)', () => {
    const Y = 4, T = 5;
    const emis = Float64Array.from(rand(T * Y)), trans = Float64Array.from(rand(Y * Y)), labels = labelsOf(T, Y);
    const nll = (e: Float64Array, tr: Float64Array) => chainXent(Y, T, Float64Array.from(e), 0, tr, 0, labels, 0, new Float64Array(Y * Y), 0);
    const gE = Float64Array.from(emis), gT = new Float64Array(Y * Y);
    chainXent(Y, T, gE, 0, trans, 0, labels, 0, gT, 0);
    const eps = 1e-6;
    for (const [a, g, what] of [[emis, gE, 'emis'], [trans, gT, 'trans']] as const) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        a[i] = v + eps;
        const lp = nll(emis, trans);
        a[i] = v - eps;
        const lm = nll(emis, trans);
        a[i] = v;
        const fd = (lp - lm) / (2 * eps);
        if (!(Math.abs(fd - g[i]) <= 1e-6 * (1 + Math.abs(fd)))) throw new Error(`${what}[${i}]: analytic ${g[i]} vs fd ${fd}`);
      }
    }
  });

  it('log Z and Viterbi agree with enumerating every labelling', () => {
    const Y = 3, T = 4;
    const emis = Float64Array.from(rand(T * Y, 2)), trans = Float64Array.from(rand(Y * Y, 2));
    const sc = chainScores(Y, T, emis, 0, trans, 0);
    let z = 0, best = -Infinity;
    const path = new Array(T).fill(0);
    for (let code = 0; code < Y ** T; code++) {
      for (let i = 0, c = code; i < T; i++, c = Math.floor(c / Y)) path[i] = c % Y;
      const s = crfPathScore(sc, path);
      z += Math.exp(s);
      best = Math.max(best, s);
    }
    expect(crfForwardBackward(sc).logZ).toBeCloseTo(Math.log(z), 10);
    const out = new Int32Array(T);
    expect(chainViterbi(Y, T, emis, 0, trans, 0, out, 0)).toBeCloseTo(best, 10);
    expect(crfPathScore(sc, Array.from(out))).toBeCloseTo(best, 10);
  });
});
