// CRF kernels (assembly/crf.ts) against their f64 log-space twin (src/reference/crf.ts), and the twin
// against finite differences and brute-force enumeration.
import { describe, expect, it } from 'vitest';
import { rng, testWasm, type TestWasm } from './helpers.js';
import {
  CRF_LIST_ENTRY_BYTES,
  CRF_SCRATCH_COUNT,
  CRF_SCRATCH_FALLBACK,
  CRF_SCRATCH_OVERLAP,
  crfGrad,
  crfListCapacity,
  crfLogZ,
  crfMarginals,
  crfNll,
  crfParamCount,
  crfPathScore,
  crfScores,
  crfScratchBytes,
  crfStampCount,
  crfTouched,
  crfViterbi,
} from '../src/reference/crf.js';

interface Data {
  Y: number;
  F: number;
  E: number;
  featStart: Int32Array;
  featIds: Int32Array;
  labels: Int32Array;
  /** [tok0, T] per sentence */
  sents: Array<[number, number]>;
  w: Float32Array;
}

/** Random model and sentences; a share `bigFrac` of the weights get magnitude ~`big`. */
function randomData(seed: number, Y: number, F: number, E: number, lens: number[], featsPerTok: number, scale = 1, bigFrac = 0.05, big = 6): Data {
  const r = rng(seed);
  const nTok = lens.reduce((a, b) => a + b, 0);
  const featStart = new Int32Array(nTok + 1);
  const ids: number[] = [];
  const labels = new Int32Array(nTok);
  for (let j = 0; j < nTok; j++) {
    featStart[j] = ids.length;
    const nf = 1 + Math.floor(r() * featsPerTok);
    // skewed towards frequent (small) ids, as the real feature numbering is; duplicates allowed
    for (let k = 0; k < nf; k++) ids.push(Math.min(F - 1, Math.floor(F * r() * r())));
    labels[j] = Math.floor(r() * Y);
  }
  featStart[nTok] = ids.length;
  const w = new Float32Array(crfParamCount(Y, F, E));
  for (let i = 0; i < w.length; i++) {
    const v = (r() * 2 - 1) * scale;
    w[i] = r() < bigFrac ? Math.sign(v) * big * (0.5 + r()) : v;
  }
  const sents: Array<[number, number]> = [];
  let tok = 0;
  for (const T of lens) {
    sents.push([tok, T]);
    tok += T;
  }
  return { Y, F, E, featStart, featIds: Int32Array.from(ids), labels, sents, w };
}

/**
 * The same data with features 0..B-1 edge-only (a CRF++ B line with macros): listed as ~f, they add
 * their edge block and never their node row. B <= E.
 */
function withEdgeOnly(d: Data, B = 0): Data {
  if (B > d.E) throw new Error('withEdgeOnly: B > E');
  return { ...d, featIds: d.featIds.map((f) => (f < B ? ~f : f)) };
}

/** The data copied into a fresh shared memory, with g, stamps, list, scratch and out buffers. */
class Harness {
  tw: TestWasm;
  wp: number;
  gp: number;
  sp: number;
  fsp: number;
  fip: number;
  lp: number;
  listp: number;
  scr: number;
  outp: number;
  nParams: number;

  constructor(readonly d: Data, pages = 256) {
    this.tw = testWasm(pages);
    const { tw } = this;
    const Tmax = Math.max(...d.sents.map((s) => s[1]));
    this.nParams = d.w.length;
    this.wp = tw.alloc(4 * d.w.length);
    this.gp = tw.alloc(4 * d.w.length);
    this.sp = tw.alloc(4 * crfStampCount(d.F, d.E));
    this.fsp = tw.alloc(4 * d.featStart.length);
    this.fip = tw.alloc(4 * Math.max(1, d.featIds.length));
    this.lp = tw.alloc(4 * d.labels.length);
    this.listp = tw.alloc(CRF_LIST_ENTRY_BYTES * crfListCapacity(d.featIds.length));
    this.scr = tw.alloc(crfScratchBytes(d.Y, Tmax, d.E));
    this.outp = tw.alloc(4 * Tmax * d.Y);
    tw.f32.set(d.w, this.wp / 4);
    tw.i32.set(d.featStart, this.fsp / 4);
    tw.i32.set(d.featIds, this.fip / 4);
    tw.i32.set(d.labels, this.lp / 4);
  }

  get w(): Float32Array {
    return this.tw.f32.subarray(this.wp / 4, this.wp / 4 + this.nParams);
  }
  get g(): Float32Array {
    return this.tw.f32.subarray(this.gp / 4, this.gp / 4 + this.nParams);
  }
  get stamps(): Int32Array {
    return this.tw.i32.subarray(this.sp / 4, this.sp / 4 + crfStampCount(this.d.F, this.d.E));
  }
  scratchI32(byteOffset: number): number {
    return this.tw.i32[(this.scr + byteOffset) / 4];
  }

  grad(s: number, account = 0, kernel = 'crf_grad'): number {
    const { d } = this;
    const [tok0, T] = d.sents[s];
    return this.tw.k[kernel](this.wp, d.Y, d.F, d.E, this.fsp, this.fip, this.lp, tok0, T, this.gp, this.listp, this.scr, this.sp, account);
  }
  nll(s: number): number {
    const { d } = this;
    const [tok0, T] = d.sents[s];
    return this.tw.k.crf_nll(this.wp, d.Y, d.F, d.E, this.fsp, this.fip, this.lp, tok0, T, this.scr);
  }
  viterbi(s: number): { path: Int32Array; score: number } {
    const { d } = this;
    const [tok0, T] = d.sents[s];
    const score = this.tw.k.crf_viterbi(this.wp, d.Y, d.F, d.E, this.fsp, this.fip, tok0, T, this.outp, this.scr);
    return { path: this.tw.i32.slice(this.outp / 4, this.outp / 4 + T), score };
  }
  marginals(s: number): { logZ: number; node: Float32Array } {
    const { d } = this;
    const [tok0, T] = d.sents[s];
    const logZ = this.tw.k.crf_marginals(this.wp, d.Y, d.F, d.E, this.fsp, this.fip, tok0, T, this.outp, this.scr);
    return { logZ, node: this.tw.f32.slice(this.outp / 4, this.outp / 4 + T * d.Y) };
  }
  list(): Array<[number, number, number]> {
    const n = this.scratchI32(CRF_SCRATCH_COUNT);
    const out: Array<[number, number, number]> = [];
    for (let e = 0; e < n; e++) {
      const b = (this.listp + e * CRF_LIST_ENTRY_BYTES) / 4;
      out.push([this.tw.i32[b], this.tw.i32[b + 1], this.tw.i32[b + 2]]);
    }
    return out;
  }
}

function refGrad(d: Data, s: number): { nll: number; g: Float64Array } {
  const [tok0, T] = d.sents[s];
  const g = new Float64Array(d.w.length);
  const nll = crfGrad(d.w, d.Y, d.F, d.E, d.featStart, d.featIds, d.labels, tok0, T, g);
  return { nll, g };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Every entry within atol + rtol*|ref|. Returns the worst violation ratio (<= 1 passes). */
function worstRatio(got: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    worst = Math.max(worst, err / (atol + rtol * Math.abs(ref[i])), Number.isNaN(got[i]) ? Infinity : 0);
  }
  return worst;
}

// B: features 0..B-1 are edge-only (CRF++ B lines with macros)
const CONFIGS: Array<{ Y: number; F: number; E: number; B?: number }> = [
  { Y: 2, F: 7, E: 0 },
  { Y: 2, F: 7, E: 3 },
  { Y: 3, F: 10, E: 0 },
  { Y: 3, F: 10, E: 10 },
  { Y: 5, F: 12, E: 0 },
  { Y: 5, F: 12, E: 5 },
  { Y: 22, F: 30, E: 0 },
  { Y: 22, F: 30, E: 12 },
  { Y: 3, F: 10, E: 4, B: 4 },
  { Y: 5, F: 12, E: 5, B: 2 },
  { Y: 22, F: 30, E: 12, B: 5 },
];

describe('crf_grad vs the f64 reference', () => {
  for (const { Y, F, E, B = 0 } of CONFIGS) {
    it(`Y=${Y} F=${F} E=${E} B=${B}: NLL, gradient, list, nll and marginals agree`, () => {
      const lens = [1, 2, 3, 7, 12, 25];
      const d = withEdgeOnly(randomData(100 + Y * 7 + E, Y, F, E, lens, 5), B);
      const h = new Harness(d);
      for (let s = 0; s < lens.length; s++) {
        const [tok0, T] = d.sents[s];
        const ref = refGrad(d, s);
        for (const kernel of ['crf_grad', 'crf_grad_logspace']) {
          h.g.fill(0);
          const nll = h.grad(s, 0, kernel);
          expect(h.scratchI32(CRF_SCRATCH_FALLBACK)).toBe(kernel === 'crf_grad' ? 0 : 1);
          expect(Math.abs(nll - ref.nll)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.nll)));
          expect(worstRatio(h.g, ref.g, 2e-5 * Math.max(1, maxAbs(ref.g)), 1e-4)).toBeLessThanOrEqual(1);
          expect(h.list()).toEqual(crfTouched(Y, F, E, d.featStart, d.featIds, tok0, T));
        }
        const nll = h.nll(s);
        expect(Math.abs(nll - ref.nll)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.nll)));
        const m = h.marginals(s);
        const rm = crfMarginals(d.w, Y, F, E, d.featStart, d.featIds, tok0, T);
        expect(Math.abs(m.logZ - rm.logZ)).toBeLessThan(1e-4 * Math.max(1, Math.abs(rm.logZ)));
        expect(worstRatio(m.node, rm.node, 1e-5, 1e-4)).toBeLessThanOrEqual(1);
      }
      // an edge-only feature's node row is never read nor written
      for (let f = 0; f < B; f++) expect(Array.from(h.g.subarray(Y * Y + f * Y, Y * Y + (f + 1) * Y))).toEqual(new Array(Y).fill(0));
    });
  }

  it('adds into g (does not overwrite)', () => {
    const d = randomData(7, 5, 12, 5, [6], 4);
    const h = new Harness(d);
    h.g.fill(0);
    h.grad(0);
    const once = Float32Array.from(h.g);
    h.grad(0);
    expect(worstRatio(h.g, once.map((v) => 2 * v), 1e-5, 1e-5)).toBeLessThanOrEqual(1);
  });
});

describe('reference CRF', () => {
  for (const [E, B] of [[0, 0], [4, 0], [4, 2]]) {
    it(`finite differences prove the reference gradient (E=${E}, B=${B} edge-only, incl. edge weights)`, () => {
      const Y = 3, F = 6;
      const d = withEdgeOnly(randomData(11 + E, Y, F, E, [5], 3), B);
      const w = Float64Array.from(d.w);
      const [tok0, T] = d.sents[0];
      const g = new Float64Array(w.length);
      crfGrad(w, Y, F, E, d.featStart, d.featIds, d.labels, tok0, T, g);
      const h = 1e-6;
      let checkedEdge = 0;
      for (let i = 0; i < w.length; i++) {
        const old = w[i];
        w[i] = old + h;
        const fp = crfNll(w, Y, F, E, d.featStart, d.featIds, d.labels, tok0, T);
        w[i] = old - h;
        const fm = crfNll(w, Y, F, E, d.featStart, d.featIds, d.labels, tok0, T);
        w[i] = old;
        const fd = (fp - fm) / (2 * h);
        expect(Math.abs(fd - g[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(g[i])));
        if (i >= Y * Y + F * Y && g[i] !== 0) checkedEdge++;
      }
      if (E > 0) expect(checkedEdge).toBeGreaterThan(0);
      // edge-only features: the NLL does not depend on their node rows, and at least one is used
      if (B > 0) expect(d.featIds.some((f) => f < 0)).toBe(true);
      for (let i = Y * Y; i < Y * Y + B * Y; i++) expect(g[i]).toBe(0);
    });
  }

  for (const [E, B] of [[0, 0], [3, 0], [3, 2]]) {
    it(`brute force: log Z, NLL and Viterbi over all labellings (T=4, Y=3, E=${E}, B=${B})`, () => {
      const Y = 3, F = 5, T = 4;
      const d = withEdgeOnly(randomData(21 + E, Y, F, E, [T], 3, 1.5), B);
      const h = new Harness(d);
      const sc = crfScores(d.w, Y, F, E, d.featStart, d.featIds, 0, T);
      const all: number[] = [];
      let best = -Infinity;
      let bestPath: number[] = [];
      for (let code = 0; code < Y ** T; code++) {
        const path = Array.from({ length: T }, (_, t) => Math.floor(code / Y ** t) % Y);
        const s = crfPathScore(sc, path);
        all.push(s);
        if (s > best) {
          best = s;
          bestPath = path;
        }
      }
      const mx = Math.max(...all);
      const logZ = mx + Math.log(all.reduce((a, s) => a + Math.exp(s - mx), 0));
      expect(crfLogZ(d.w, Y, F, E, d.featStart, d.featIds, 0, T)).toBeCloseTo(logZ, 10);
      const gold = crfPathScore(sc, Array.from(d.labels));
      expect(crfNll(d.w, Y, F, E, d.featStart, d.featIds, d.labels, 0, T)).toBeCloseTo(logZ - gold, 10);
      expect(h.grad(0)).toBeCloseTo(logZ - gold, 4);
      const out = new Int32Array(T);
      expect(crfViterbi(d.w, Y, F, E, d.featStart, d.featIds, 0, T, out)).toBeCloseTo(best, 10);
      expect(Array.from(out)).toEqual(bestPath);
      const v = h.viterbi(0);
      expect(Array.from(v.path)).toEqual(bestPath);
      expect(v.score).toBeCloseTo(best, 4);
    });
  }
});

describe('crf_viterbi', () => {
  for (const { Y, F, E, B = 0 } of CONFIGS) {
    it(`Y=${Y} E=${E} B=${B}: the reference's best labelling`, () => {
      const lens = [1, 2, 5, 9, 17, 30];
      const d = withEdgeOnly(randomData(300 + Y + E, Y, F, E, lens, 5, 2), B);
      const h = new Harness(d);
      for (let s = 0; s < lens.length; s++) {
        const [tok0, T] = d.sents[s];
        const out = new Int32Array(T);
        const best = crfViterbi(d.w, Y, F, E, d.featStart, d.featIds, tok0, T, out);
        const v = h.viterbi(s);
        const sc = crfScores(d.w, Y, F, E, d.featStart, d.featIds, tok0, T);
        // identical unless two labellings tie within f32 rounding; then the score must be the best one
        const same = Array.from(v.path).every((y, t) => y === out[t]);
        if (!same) expect(Math.abs(crfPathScore(sc, v.path) - best)).toBeLessThan(1e-4 * Math.max(1, Math.abs(best)));
        else expect(same).toBe(true);
        expect(Math.abs(v.score - best)).toBeLessThan(1e-4 * Math.max(1, Math.abs(best)));
      }
    });
  }
});

describe('numerical safety', () => {
  for (const { Y, E } of [{ Y: 22, E: 0 }, { Y: 5, E: 8 }]) {
    it(`T=2000 sentence (Y=${Y}, E=${E}): finite, no NaN, matches the reference`, () => {
      const F = 40;
      const d = randomData(5000 + Y, Y, F, E, [2000], 8);
      const h = new Harness(d, 512);
      const ref = refGrad(d, 0);
      h.g.fill(0);
      const nll = h.grad(0);
      expect(Number.isFinite(nll)).toBe(true);
      expect(h.g.every(Number.isFinite)).toBe(true);
      expect(h.scratchI32(CRF_SCRATCH_FALLBACK)).toBe(0);
      expect(Math.abs(nll - ref.nll)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.nll)));
      expect(worstRatio(h.g, ref.g, 1e-4 * Math.max(1, maxAbs(ref.g)), 1e-3)).toBeLessThanOrEqual(1);
      const out = new Int32Array(2000);
      const best = crfViterbi(d.w, Y, F, E, d.featStart, d.featIds, 0, 2000, out);
      const v = h.viterbi(0);
      expect(Math.abs(crfPathScore(crfScores(d.w, Y, F, E, d.featStart, d.featIds, 0, 2000), v.path) - best)).toBeLessThan(1e-4 * Math.abs(best));
    });
  }

  for (const { Y, E, T } of [{ Y: 5, E: 0, T: 40 }, { Y: 22, E: 0, T: 300 }, { Y: 5, E: 6, T: 40 }, { Y: 22, E: 10, T: 200 }]) {
    it(`large weights |w| ~ 50 (Y=${Y}, E=${E}, T=${T}): finite and correct (log-space fallback)`, () => {
      const F = 20;
      const d = randomData(900 + Y + E + T, Y, F, E, [T, 8], 6, 50, 0);
      const h = new Harness(d);
      let fallbacks = 0;
      for (let s = 0; s < 2; s++) {
        const ref = refGrad(d, s);
        h.g.fill(0);
        const nll = h.grad(s);
        fallbacks += h.scratchI32(CRF_SCRATCH_FALLBACK);
        expect(Number.isFinite(nll)).toBe(true);
        expect(h.g.every(Number.isFinite)).toBe(true);
        // log Z and the gold score are both ~1e3..1e5 here: compare relative to them
        const [tok0, T2] = d.sents[s];
        const logZ = crfLogZ(d.w, Y, F, E, d.featStart, d.featIds, tok0, T2);
        expect(Math.abs(nll - ref.nll)).toBeLessThan(1e-5 * Math.max(1, Math.abs(logZ)));
        expect(worstRatio(h.g, ref.g, 1e-3, 1e-3)).toBeLessThanOrEqual(1);
      }
      // scores this large underflow the scaled pass: the log-space fallback must have run
      expect(fallbacks).toBeGreaterThan(0);
    });
  }
});

describe('touched list and read accounting', () => {
  for (const { Y, F, E, B = 0 } of CONFIGS) {
    it(`Y=${Y} E=${E} B=${B}: sgd_apply over the list zeroes g; every listed block has gradient`, () => {
      const d = withEdgeOnly(randomData(700 + Y + E, Y, F, E, [1, 9, 20], 6), B);
      const h = new Harness(d);
      const { k } = h.tw;
      for (let s = 0; s < d.sents.length; s++) {
        h.g.fill(0);
        h.grad(s);
        const list = h.list();
        const [tok0, T] = d.sents[s];
        const pairs = d.featStart[tok0 + T] - d.featStart[tok0];
        expect(list.length).toBeLessThanOrEqual(crfListCapacity(pairs));
        const g = Float32Array.from(h.g);
        for (const [off, len] of list) expect(maxAbs(g.subarray(off, off + len))).toBeGreaterThan(0);
        const wBefore = Float32Array.from(h.w);
        expect(k.sgd_apply(h.wp, h.gp, h.listp, list.length, -0.1, h.sp, 2)).toBe(0);
        expect(maxAbs(h.g)).toBe(0);
        // w moved by exactly -0.1 * g (each block once, whatever the duplicates)
        for (let i = 0; i < g.length; i++) expect(h.w[i]).toBeCloseTo(wBefore[i] - 0.1 * g[i], 5);
        h.w.set(d.w);
      }
    });
  }

  it('read-overlap flag: 0 with clean stamps, 1 with a writer inside a block the sentence reads', () => {
    const Y = 5, F = 12, E = 6;
    const d = randomData(77, Y, F, E, [8], 4);
    const h = new Harness(d);
    const [tok0, T] = d.sents[0];
    const used = new Set<number>();
    for (let k = d.featStart[tok0]; k < d.featStart[tok0 + T]; k++) used.add(d.featIds[k]);
    const unused = Array.from({ length: F }, (_, f) => f).filter((f) => !used.has(f));
    const edgeUsed = new Set<number>();
    for (let t = 1; t < T; t++) for (let k = d.featStart[tok0 + t]; k < d.featStart[tok0 + t + 1]; k++) if (d.featIds[k] < E) edgeUsed.add(d.featIds[k]);

    const flag = (account: number) => {
      h.g.fill(0);
      h.grad(0, account);
      return h.scratchI32(CRF_SCRATCH_OVERLAP);
    };
    h.stamps.fill(0);
    expect(flag(1)).toBe(0);
    // finished writes only (even tags): clean
    h.stamps.fill(8);
    expect(flag(1)).toBe(0);
    // a writer inside the transitions, a used node row, a used edge block
    const cases = [0, 1 + [...used][0], 1 + F + [...edgeUsed][0]];
    for (const sid of cases) {
      h.stamps.fill(0);
      h.stamps[sid] = 1;
      expect(flag(1)).toBe(1);
      expect(flag(0)).toBe(0);
    }
    // a writer inside a block the sentence does not read: clean
    if (unused.length > 0) {
      h.stamps.fill(0);
      h.stamps[1 + unused[0]] = 8 | 1;
      expect(flag(1)).toBe(0);
    }
    // the edge block of a frequent feature seen only at token 0 is not read either
    const onlyFirst = [...used].filter((f) => f < E && !edgeUsed.has(f));
    if (onlyFirst.length > 0) {
      h.stamps.fill(0);
      h.stamps[1 + F + onlyFirst[0]] = 1;
      expect(flag(1)).toBe(0);
    }
    h.stamps.fill(0);
    // read accounting leaves the stamps untouched
    expect(Array.from(h.stamps).every((s) => s === 0)).toBe(true);
  });
});
