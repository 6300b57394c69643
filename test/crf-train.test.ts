// The CRF trained by the three engines on real (bundled) CoNLL-2000 data, model files, SR, and the
// fused crf_step against crf_grad + sgd_apply.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCrf, type TrainCrfOptions } from '../src/train/train-crf.js';
import { CrfTagger } from '../src/models/crf/tagger.js';
import { CrfModel } from '../src/models/crf/model.js';
import { Rng } from '../src/runtime/rng.js';
import { packageFile } from '../src/runtime/package-root.js';
import { crfMarginals, crfNll, crfParamCount } from '../src/reference/crf.js';
import { readColumnFile } from '../src/data/column.js';
import { checkSelection, rng, testWasm, conllSubset } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-crf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The first n sentences of a bundled CoNLL-2000 file. */
const subset = (name: string, n: number): string => conllSubset(dir, name, n);
const train = subset('train.txt', 1500);
const test = subset('test.txt', 300);
/** Sentences [a, b) of a bundled CoNLL-2000 file. */
function slice(name: string, a: number, b: number): string {
  const path = join(dir, `${name}-${a}-${b}`);
  writeFileSync(path, readFileSync(packageFile('data', 'conll2000', name), 'utf8').split(/\n\s*\n/).slice(a, b).join('\n\n') + '\n');
  return path;
}
const base: TrainCrfOptions = { task: 'chunking', model: 'crf', train, test, mode: 'serial', threads: 1, passes: 6, seed: 5 };

describe('CRF training on CoNLL-2000 (1,500 training sentences)', () => {
  it('serial, async(2) and sync(2) all learn the task', async () => {
    const f1: Record<string, number> = {};
    for (const [mode, threads] of [['serial', 1], ['async', 2], ['sync', 2]] as const) {
      const r = await trainCrf({ ...base, mode, threads });
      f1[mode] = r.history.at(-1)!.test!.f1!;
      expect(r.history.at(-1)!.loss, mode).toBeLessThan(r.history[0].loss);
    }
    // 1,500 sentences and 6 passes: a standard CRF gets about 89 F1; all engines within 1 of serial
    expect(f1.serial).toBeGreaterThan(85);
    expect(Math.abs(f1.async - f1.serial)).toBeLessThan(1);
    expect(Math.abs(f1.sync - f1.serial)).toBeLessThan(1);
  });

  it('serial training is bit-reproducible, and a saved model loads back bit-exact', async () => {
    const a = await trainCrf({ ...base, passes: 2 });
    const b = await trainCrf({ ...base, passes: 2 });
    expect(Buffer.from(a.tagger.weights.buffer).equals(Buffer.from(b.tagger.weights.buffer))).toBe(true);
    const path = join(dir, 'model.bin');
    a.tagger.save(path);
    const loaded = CrfTagger.load(path);
    expect(Buffer.from(loaded.weights.buffer).equals(Buffer.from(a.tagger.weights.buffer))).toBe(true);
    expect(loaded.header.labels).toEqual(a.tagger.header.labels);
    const sents = a.tagger.header.task === 'chunking' ? (await import('../src/data/column.js')).readColumnFile(test) : [];
    expect(loaded.predict(sents)).toEqual(a.tagger.predict(sents));
  });

  it('np-chunking trains on the NP chunks of the same files, and its saved model scores them again', async () => {
    const r = await trainCrf({ ...base, task: 'np-chunking', model: 'dense-crf', mode: 'async', threads: 2, passes: 4 });
    expect([...r.tagger.header.labels].sort()).toEqual(['B-NP', 'I-NP', 'O']);
    expect(r.tagger.header.task).toBe('np-chunking');
    // 1,500 sentences, 4 passes: NP chunks are the easy part of chunking (about 92 F1 here)
    const f1 = r.history.at(-1)!.test!.f1!;
    expect(f1).toBeGreaterThan(88);
    const path = join(dir, 'np.bin');
    r.tagger.save(path);
    // the full-chunk test file, read through the model's task, scores the same as in training
    expect(CrfTagger.load(path).evaluate(test).f1).toBeCloseTo(f1, 1);
  });

  it('CRF++ B lines with macros: edge-only features, weights on label pairs and none on labels; the model loads back', async () => {
    // the classic template's first lines, the POS tag pair as an edge-only feature, and the transitions
    const template = join(dir, 'bmacro.txt');
    writeFileSync(template, 'U00:%x[-1,0]\nU01:%x[0,0]\nU02:%x[1,0]\nU10:%x[0,1]\nU11:%x[-1,1]/%x[0,1]\nB01:%x[-1,1]/%x[0,1]\nB\n');
    const r = await trainCrf({ ...base, template, mode: 'async', threads: 2, passes: 4 });
    const { Y, F, E, features } = r.tagger.header;
    const B = r.tagger.dict.edgeOnly;
    // every POS-tag pair seen in training is a feature, and only those come first
    expect(B).toBeGreaterThan(100);
    expect(features.slice(0, B).every((f) => f.startsWith('B01:'))).toBe(true);
    expect(features.slice(B).every((f) => f.startsWith('U'))).toBe(true);
    // as in CRF++, none at a sentence's first token (whose previous POS would be the padding _B-1)
    expect(features.some((f) => f.startsWith('B01:_B-1/'))).toBe(false);
    // the standard CRF has edge weights for exactly the B features
    expect(E).toBe(B);
    const w = r.tagger.weights;
    const YY = Y * Y;
    let nodeMax = 0, edgeMax = 0;
    for (let i = YY; i < YY + B * Y; i++) nodeMax = Math.max(nodeMax, Math.abs(w[i]));
    for (let i = YY + F * Y; i < w.length; i++) edgeMax = Math.max(edgeMax, Math.abs(w[i]));
    expect(nodeMax).toBe(0);
    expect(edgeMax).toBeGreaterThan(0.05);
    expect(r.history.at(-1)!.test!.f1!).toBeGreaterThan(80);
    const path = join(dir, 'bmacro.bin');
    r.tagger.save(path);
    const loaded = CrfTagger.load(path);
    expect(loaded.dict.edgeOnly).toBe(B);
    const sents = readColumnFile(test);
    expect(loaded.predict(sents)).toEqual(r.tagger.predict(sents));
    // the dense CRF adds the frequent U features' rich edges after them
    const dense = await trainCrf({ ...base, template, model: 'dense-crf', passes: 1 });
    expect(dense.tagger.header.E).toBeGreaterThan(B);
    expect(dense.tagger.dict.edgeOnly).toBe(B);
    // the standard CRF's --l2 covers the B features' edge block too: one serial pass, then one shrink
    const one = { ...base, template, passes: 1, lr: 0.05 };
    const free = await trainCrf({ ...one, l2: 0 }), shrunk = await trainCrf({ ...one, l2: 10 });
    const edges = (t: typeof free) => t.tagger.weights.subarray(Y * Y + F * Y);
    const ratio = Math.exp(-0.05 * 10);
    const a = edges(free), b = edges(shrunk);
    let big = 0, off = 0;
    for (let i = 0; i < a.length; i++) {
      big = Math.max(big, Math.abs(a[i]));
      off = Math.max(off, Math.abs(b[i] - a[i] * ratio));
    }
    expect(big).toBeGreaterThan(0.01);
    expect(off).toBeLessThan(1e-6);
  });

  it('the test/dev data (which size the decode buffers in the shared memory) do not change training', async () => {
    const a = await trainCrf({ ...base, model: 'dense-crf', passes: 2, sr: 3 });
    const b = await trainCrf({ ...base, model: 'dense-crf', passes: 2, sr: 3, test: subset('test.txt', 40), dev: slice('test.txt', 300, 1200) });
    expect(Buffer.from(b.tagger.weights.buffer).equals(Buffer.from(a.tagger.weights.buffer))).toBe(true);
  });

  it('shuffle sampling: async with 1 worker (fused lock-free step) is serial, bit for bit, SR included', async () => {
    const serial = await trainCrf({ ...base, model: 'dense-crf', passes: 2, sr: 3, mode: 'serial', threads: 1 });
    const async1 = await trainCrf({ ...base, model: 'dense-crf', passes: 2, sr: 3, mode: 'async', threads: 1 });
    expect(Buffer.from(async1.tagger.weights.buffer).equals(Buffer.from(serial.tagger.weights.buffer))).toBe(true);
  });

  it('the dense CRF\'s rich edges have a prior of their own (--edge-l2): it shrinks only that block', async () => {
    const norm = (w: Float32Array, from: number, to: number) => { let q = 0; for (let i = from; i < to; i++) q += w[i] * w[i]; return Math.sqrt(q); };
    const loose = await trainCrf({ ...base, model: 'dense-crf', passes: 2, l2: 0.5, edgeL2: 0 });
    const tight = await trainCrf({ ...base, model: 'dense-crf', passes: 2, l2: 0.5, edgeL2: 200 });
    const { Y, F, E } = tight.tagger.header;
    const edgeFrom = crfParamCount(Y, F, 0);
    expect(tight.tagger.header.training).toMatchObject({ l2: 0.5, edgeL2: 200 });
    // lr 0.05 x 200 shrinks the block by e^-10 and e^-9 after the two passes: it is all but gone
    expect(norm(tight.tagger.weights, edgeFrom, crfParamCount(Y, F, E))).toBeLessThan(1e-3 * norm(loose.tagger.weights, edgeFrom, crfParamCount(Y, F, E)));
    expect(norm(tight.tagger.weights, 0, edgeFrom)).toBeGreaterThan(0.5 * norm(loose.tagger.weights, 0, edgeFrom));
    // the default is the task's (16x its l2), and the standard CRF has none to record
    const dflt = await trainCrf({ ...base, model: 'dense-crf', passes: 1 });
    expect(dflt.tagger.header.training).toMatchObject({ l2: 0.5, edgeL2: 8 });
    const std = await trainCrf({ ...base, passes: 1 });
    expect((std.tagger.header.training as Record<string, unknown>).edgeL2).toBeUndefined();
    await expect(trainCrf({ ...base, model: 'dense-crf', passes: 1, edgeL2: -1 })).rejects.toThrow(/--edge-l2/);
  });

  it('the dense CRF adds rich edge features for frequent node features', async () => {
    const r = await trainCrf({ ...base, model: 'dense-crf', passes: 2 });
    const { Y, F, E } = r.tagger.header;
    expect(E).toBeGreaterThan(0);
    expect(E).toBeLessThan(F);
    expect(r.tagger.weights.length).toBe(crfParamCount(Y, F, E));
    expect(r.history.at(-1)!.test!.f1).toBeGreaterThan(80);

    // tagging with probabilities: the same tags; P(y*|x) and the marginals as the f64 reference has them
    const sents = readColumnFile(test).slice(0, 40);
    const scored = r.tagger.predictWithProbabilities(sents);
    expect(scored.map((x) => x.tags)).toEqual(r.tagger.predict(sents));
    const data = r.tagger.features(r.tagger.prepare(sents));
    const w = r.tagger.weights;
    let uncertain = 0;
    scored.forEach((x, s) => {
      const tok0 = data.tokStart[s], T = data.tokStart[s + 1] - tok0;
      const labels = new Int32Array(data.labels.length);
      x.tags.forEach((t, i) => { labels[tok0 + i] = r.tagger.header.labels.indexOf(t); });
      // f32 kernels against f64: the path score is summed in f32, so compare relatively
      const ref = Math.exp(-crfNll(w, Y, F, E, data.featStart, data.featIds, labels, tok0, T));
      expect(Math.abs(x.probability - ref)).toBeLessThan(1e-4 * ref);
      const m = crfMarginals(w, Y, F, E, data.featStart, data.featIds, tok0, T).node;
      x.marginals.forEach((p, i) => {
        expect(Math.abs(p - m[i * Y + labels[tok0 + i]])).toBeLessThan(1e-4);
        expect(p).toBeGreaterThanOrEqual(x.probability - 1e-6); // a token's marginal bounds the sequence's
      });
      if (x.probability < 0.9) uncertain++;
    });
    expect(uncertain).toBeGreaterThan(0); // after 2 passes some sentences are in doubt: not all ones
  });

  it('structure regularisation trains on mini-samples', async () => {
    const r = await trainCrf({ ...base, sr: 3, passes: 3 });
    expect(r.history[0].samples).toBeGreaterThan(1500 * 3); // ~24 tokens a sentence -> ~8 pieces
    expect(r.history.at(-1)!.test!.f1).toBeGreaterThan(80);
  });

  it('divergence is reported with the pass and a hint', async () => {
    const inject = (pass: number, w: Float32Array) => { if (pass === 2) w[3] = NaN; };
    await expect(trainCrf({ ...base, passes: 3, beforePass: inject })).rejects.toThrow(/diverged in pass 2.*smaller learning rate/);
  });
});

describe('structure regularisation cuts every sentence into consecutive pieces', () => {
  it('covers each sentence exactly, with lengths from the requested mix', () => {
    const tokStart = Int32Array.from([0, 5, 6, 30]);
    const data = { tokStart, featStart: new Int32Array(31), featIds: new Int32Array(0), labels: new Int32Array(30) };
    for (const sr of [1, 1.5, 4]) {
      const model = new CrfModel({ Y: 2, F: 1, E: 0 }, data, sr);
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
      const arena = { reserve: (() => { let n = 65536; return (_: string, b: number) => { const o = n; n += Math.ceil(b / 64) * 64 + 64; return o; }; })() };
      const plan = model.reserve(arena as never);
      const n = model.writeMiniSamples(memory, new Rng(1));
      const t = new Int32Array(memory.buffer, plan.data.samplesOffset, n * 2);
      const covered = new Int32Array(30);
      for (let i = 0; i < n; i++) {
        const len = t[2 * i + 1];
        expect(len).toBeGreaterThanOrEqual(1);
        expect(len).toBeLessThanOrEqual(Math.ceil(sr));
        for (let j = t[2 * i]; j < t[2 * i] + len; j++) covered[j]++;
        // a piece never crosses a sentence boundary
        const s = [0, 5, 6].filter((b) => b <= t[2 * i]).length - 1;
        expect(t[2 * i] + len).toBeLessThanOrEqual(tokStart[s + 1]);
      }
      expect([...covered].every((c) => c === 1)).toBe(true);
    }
  });
});

describe('crf_step', () => {
  it('equals crf_grad followed by sgd_apply (skip = 0)', () => {
    const t = testWasm(64);
    const r = rng(9);
    const Y = 5, F = 30, E = 10, T = 7;
    const P = crfParamCount(Y, F, E);
    const featStart = Int32Array.from({ length: T + 1 }, (_, i) => i * 4);
    const featIds = Int32Array.from({ length: T * 4 }, () => Math.floor(r() * F));
    const labels = Int32Array.from({ length: T }, () => Math.floor(r() * Y));
    const put = (a: Int32Array | Float32Array) => { const p = t.alloc(a.length * 4 + 16); (a instanceof Int32Array ? t.i32 : t.f32).set(a as never, p / 4); return p; };
    const w0 = Float32Array.from({ length: P }, () => r() - 0.5);
    const pfs = put(featStart), pfi = put(featIds), plab = put(labels);
    const scratch = t.alloc(1 << 16), list = t.alloc(1 << 16), stamps = t.alloc((1 + F + E) * 4);
    const wa = put(w0), g = put(new Float32Array(P));
    const lossA = t.k.crf_grad(wa, Y, F, E, pfs, pfi, plab, 0, T, g, list, scratch, stamps, 0);
    t.k.sgd_apply(wa, g, list, t.i32[scratch / 4], -0.1, stamps, 0);
    const wb = put(w0);
    const lossB = t.k.crf_step(wb, Y, F, E, pfs, pfi, plab, 0, T, 0.1, 0, scratch, stamps, 8);
    expect(lossB).toBeCloseTo(lossA, 5);
    const A = t.f32.slice(wa / 4, wa / 4 + P), B = t.f32.slice(wb / 4, wb / 4 + P);
    for (let i = 0; i < P; i++) expect(B[i]).toBeCloseTo(A[i], 5);
    // the same with features 0..2 edge-only (B template lines: listed as ~f, no node row)
    const pfiB = put(featIds.map((f) => (f < 3 ? ~f : f)));
    expect(t.i32.slice(pfiB / 4, pfiB / 4 + T * 4).some((f) => f < 0)).toBe(true);
    const wc = put(w0), g2 = put(new Float32Array(P));
    const lossC = t.k.crf_grad(wc, Y, F, E, pfs, pfiB, plab, 0, T, g2, list, scratch, stamps, 0);
    t.k.sgd_apply(wc, g2, list, t.i32[scratch / 4], -0.1, stamps, 0);
    const wd = put(w0);
    expect(t.k.crf_step(wd, Y, F, E, pfs, pfiB, plab, 0, T, 0.1, 0, scratch, stamps, 0)).toBeCloseTo(lossC, 5);
    const C = t.f32.slice(wc / 4, wc / 4 + P), D = t.f32.slice(wd / 4, wd / 4 + P);
    for (let i = 0; i < P; i++) expect(D[i]).toBeCloseTo(C[i], 5);
    // their node rows did not move
    for (let i = Y * Y; i < Y * Y + 3 * Y; i++) expect(D[i]).toBe(w0[i]);
    // stamps: every written block's write finished (even) and carries the write's tag
    const st = t.i32.slice(stamps / 4, stamps / 4 + 1 + F + E);
    expect(st.every((x) => x === 0 || x === 8)).toBe(true);
    expect(st[0]).toBe(8);
    expect(t.i32[(scratch + 12) / 4]).toBe(0);
    // another worker (tag 4) inside the transition block: the step reports a write-overwrite
    st.fill(0);
    t.i32.set(st, stamps / 4);
    t.i32[stamps / 4] = 4 | 1;
    t.k.crf_step(put(w0), Y, F, E, pfs, pfi, plab, 0, T, 0.1, 0, scratch, stamps, 8);
    expect(t.i32[(scratch + 12) / 4]).toBe(1);
    // not when accounting is off (tag 0)
    t.i32[stamps / 4] = 4 | 1;
    t.k.crf_step(put(w0), Y, F, E, pfs, pfi, plab, 0, T, 0.1, 0, scratch, stamps, 0);
    expect(t.i32[(scratch + 12) / 4]).toBe(0);
  });
});

describe('model selection on dev (--keep-best, --patience)', () => {
  const dev = slice('test.txt', 300, 400);
  const sel = { ...base, dev, test: undefined, passes: 10, keepBest: true, patience: 2 };

  it('keeps the best dev pass\'s weights (those of a run stopped there) and stops after patience evaluations', async () => {
    const r = await trainCrf(sel);
    checkSelection(r.history.map((h) => h.dev!.f1!), r.bestPass, 2, 10);
    expect(r.bestPass).toBeGreaterThan(1);
    const short = await trainCrf({ ...base, dev, test: undefined, passes: r.bestPass! });
    expect(Buffer.from(r.tagger.weights.buffer).equals(Buffer.from(short.tagger.weights.buffer))).toBe(true);
    expect(r.tagger.header.training!.passes).toBe(r.bestPass);
    // patience alone stops as early, and keeps the last pass
    const p = await trainCrf({ ...sel, keepBest: false });
    expect(p.history.length).toBe(r.history.length);
    expect(Buffer.from(p.tagger.weights.buffer).equals(Buffer.from(r.tagger.weights.buffer))).toBe(false);
  });

  it('a run resumed from a checkpoint selects and stops as the uninterrupted one', async () => {
    const full = await trainCrf(sel);
    const ck = join(dir, 'best.ckpt');
    await trainCrf({ ...sel, passes: 3, checkpoint: ck, checkpointEvery: 1 });
    const resumed = await trainCrf({ ...sel, checkpoint: ck, resume: true });
    expect(resumed.history.map((h) => h.dev!.f1)).toEqual(full.history.map((h) => h.dev!.f1));
    expect(resumed.bestPass).toBe(full.bestPass);
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
    // a checkpoint made with selection, resumed without it, is refused by name
    await expect(trainCrf({ ...sel, keepBest: false, patience: undefined, checkpoint: ck, resume: true })).rejects.toThrow(/differs from this run in --keep-best \(checkpoint true, this run not set\), --patience \(checkpoint 2, this run not set\), the --dev data$/);
    // a checkpoint made without selection, or on other dev data, is refused by name
    const plain = join(dir, 'plain.ckpt');
    await trainCrf({ ...base, dev, test: undefined, passes: 1, checkpoint: plain, checkpointEvery: 1 });
    await expect(trainCrf({ ...sel, checkpoint: plain, resume: true })).rejects.toThrow(/differs from this run in --keep-best \(checkpoint not set, this run true\), --patience \(checkpoint not set, this run 2\), the --dev data$/);
    await expect(trainCrf({ ...sel, dev: slice('test.txt', 400, 450), checkpoint: ck, resume: true })).rejects.toThrow(/differs from this run in the --dev data$/);
  });

  it('an interrupted run with keepBest leaves the best pass\'s model', async () => {
    const ctl = new AbortController();
    const run = trainCrf({ ...sel, patience: 0, signal: ctl.signal, keepModel: true, onTick: () => undefined, beforePass: (p) => { if (p === 4) setTimeout(() => ctl.abort(), 0); } });
    const err = await run.catch((e: unknown) => e as Error & { model?: { passes: number; partial: boolean; save(path: string): void } });
    expect(err.model, String(err)).toBeDefined();
    // the passes finished before the interrupt (3, unless pass 4 outran the timer): the best of them is kept
    const finished = (err as { passes?: number }).passes!;
    const upTo = await trainCrf({ ...sel, patience: 0, passes: finished });
    expect(err.model!.passes).toBe(upTo.bestPass);
    expect(err.model!.partial).toBe(false);
    const path = join(dir, 'interrupted-best.model');
    err.model!.save(path);
    expect(Buffer.from(CrfTagger.load(path).weights.buffer).equals(Buffer.from(upTo.tagger.weights.buffer))).toBe(true);
  });

  it('needs dev data', async () => {
    await expect(trainCrf({ ...base, keepBest: true })).rejects.toThrow(/--keep-best selects on the development data: give --dev/);
    await expect(trainCrf({ ...base, patience: 2 })).rejects.toThrow(/--patience selects on the development data/);
  });
});

describe('checkpoints', () => {
  const opts = { ...base, passes: 4 };
  it('resume after a stop gives the same weights as an uninterrupted serial run', async () => {
    const full = await trainCrf(opts);
    const ck = join(dir, 'resume.ckpt');
    await trainCrf({ ...opts, passes: 2, checkpoint: ck, checkpointEvery: 1 });
    const resumed = await trainCrf({ ...opts, checkpoint: ck, resume: true });
    expect(resumed.history.map((h) => h.pass)).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
  });

  it('an interrupt (Ctrl-C) writes the last finished pass; resuming matches the uninterrupted run', async () => {
    const full = await trainCrf({ ...opts, sr: 2 });
    const ck = join(dir, 'interrupt.ckpt');
    const ctl = new AbortController();
    const run = trainCrf({ ...opts, sr: 2, checkpoint: ck, signal: ctl.signal, onTick: () => undefined, beforePass: (p) => { if (p === 3) setTimeout(() => ctl.abort(), 5); } });
    await expect(run).rejects.toThrow(/interrupted in pass 3; checkpoint of pass 2 written/);
    const resumed = await trainCrf({ ...opts, sr: 2, checkpoint: ck, resume: true });
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
  });

  it('--checkpoint-every N writes every N passes (and after the last)', async () => {
    const { existsSync } = await import('node:fs');
    const ck = join(dir, 'every.ckpt');
    const seen: boolean[] = [];
    await trainCrf({ ...opts, passes: 3, checkpoint: ck, checkpointEvery: 2, beforePass: (p) => { seen[p] = existsSync(ck); } });
    expect(seen.slice(1)).toEqual([false, false, true]);
  });

  it('a corrupt or mismatched checkpoint is refused with a clear error', async () => {
    const ck = join(dir, 'bad.ckpt');
    await trainCrf({ ...opts, passes: 1, checkpoint: ck, checkpointEvery: 1 });
    await expect(trainCrf({ ...opts, lr: 0.07, checkpoint: ck, resume: true })).rejects.toThrow(/differs from this run in --lr \(checkpoint [0-9.]+, this run 0\.07\)/);
    const bytes = readFileSync(ck);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(ck, bytes);
    await expect(trainCrf({ ...opts, checkpoint: ck, resume: true })).rejects.toThrow(/checksum mismatch/);
  });
});
