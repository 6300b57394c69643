// The Bi-LSTM-CRF (--model lstm-crf): the whole network's gradient against finite differences (f64
// twins), the wasm pipeline against the twins, and training by the three engines on a CoNLL-2000
// subset, with its model file, Viterbi decoding and probabilities.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rng, testWasm, conllSubset } from './helpers.js';
import { chainScores, chainViterbi, chainXent, crfForwardBackward, crfScratchBytes } from '../src/reference/crf.js';
import { lstmBackward, lstmCacheFloats, lstmForward, lstmParamCount, lstmScratchBytes, outputBackward, outputScores, softmaxParamCount, type Vec } from '../src/reference/lstm.js';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';
import { train } from '../src/index.js';
import { loadTagger } from '../src/models/load.js';
import { readColumnFile } from '../src/data/column.js';
import { packageFile } from '../src/runtime/package-root.js';
import type { LstmTagger } from '../src/models/lstm/tagger.js';
import { encodeModel } from '../src/io/model-file.js';

const r = rng(5);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

// A Bi-LSTM-CRF over one parameter vector [Wf bf | Wb bb | V bV | trans] and inputs X (T x I).
function biLstmCrf(I: number, H: number, C: number, T: number, theta: Vec, X: Vec, labels: Int32Array, grad: { dTheta: Float64Array; dX: Float64Array } | null): number {
  const P = lstmParamCount(I, H), D = 2 * H, S = softmaxParamCount(C, D);
  const Hcat = new Float64Array(T * D);
  const cf = new Float64Array(lstmCacheFloats(H, T)), cb = new Float64Array(lstmCacheFloats(H, T));
  lstmForward(theta, 0, I, H, T, X, 0, I, false, cf, 0, Hcat, 0, D);
  lstmForward(theta, P, I, H, T, X, 0, I, true, cb, 0, Hcat, H, D);
  const scores = new Float64Array(T * C);
  outputScores(theta, 2 * P, C, D, T, Hcat, 0, scores, 0);
  const dTrans = grad ? grad.dTheta : new Float64Array(theta.length);
  const loss = chainXent(C, T, scores, 0, theta, 2 * P + S, labels, 0, dTrans, 2 * P + S);
  if (grad) {
    const dHcat = new Float64Array(T * D);
    outputBackward(theta, 2 * P, C, D, T, Hcat, 0, scores, 0, grad.dTheta, 2 * P, dHcat, 0);
    lstmBackward(theta, 0, I, H, T, X, 0, I, false, cf, 0, dHcat, 0, D, grad.dTheta, 0, grad.dX, 0, I);
    lstmBackward(theta, P, I, H, T, X, 0, I, true, cb, 0, dHcat, H, D, grad.dTheta, P, grad.dX, 0, I);
  }
  return loss;
}

describe('Bi-LSTM-CRF gradients', () => {
  for (const [I, H, C, T] of [[3, 2, 3, 4], [4, 3, 4, 6], [2, 2, 2, 1]] as const) {
    it(`I=${I} H=${H} C=${C} T=${T}: the f64 twins' gradient matches finite differences in every coordinate`, () => {
      const P = lstmParamCount(I, H), S = softmaxParamCount(C, 2 * H);
      const n = 2 * P + S + C * C;
      const theta = Float64Array.from(rand(n, 0.8));
      const X = Float64Array.from(rand(T * I));
      const labels = Int32Array.from({ length: T }, () => Math.floor(r() * C));
      const grad = { dTheta: new Float64Array(n), dX: new Float64Array(T * I) };
      biLstmCrf(I, H, C, T, theta, X, labels, grad);
      const eps = 1e-6;
      for (const [a, g, what] of [[theta, grad.dTheta, 'theta'], [X, grad.dX, 'X']] as const) {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          a[i] = v + eps;
          const lp = biLstmCrf(I, H, C, T, theta, X, labels, null);
          a[i] = v - eps;
          const lm = biLstmCrf(I, H, C, T, theta, X, labels, null);
          a[i] = v;
          const fd = (lp - lm) / (2 * eps);
          if (!(Math.abs(fd - g[i]) <= 1e-6 * (1 + Math.abs(fd)))) throw new Error(`${what}[${i}]: analytic ${g[i]} vs fd ${fd}`);
        }
      }
      // the transitions get a gradient whenever there is a transition
      if (T > 1) expect(grad.dTheta.subarray(2 * P + S).some((v) => Math.abs(v) > 1e-6)).toBe(true);
    });
  }

  it('the wasm kernels in sequence (forward x2, output_scores, chain_xent, output_backward, backward x2) match the twins', () => {
    const t = testWasm(64);
    const I = 13, H = 7, C = 5, T = 9, D = 2 * H, P = lstmParamCount(I, H), S = softmaxParamCount(C, D);
    const n = 2 * P + S + C * C;
    const theta = rand(n, 0.5), X = rand(T * I);
    const labels = Int32Array.from({ length: T }, () => Math.floor(r() * C));
    const grad = { dTheta: new Float64Array(n), dX: new Float64Array(T * I) };
    const want = biLstmCrf(I, H, C, T, theta, X, labels, grad);
    const put = (a: Float32Array | Int32Array) => {
      const p = t.alloc(a.length * 4);
      if (a instanceof Int32Array) t.i32.set(a, p / 4);
      else t.f32.set(a, p / 4);
      return p;
    };
    const pW = put(theta), pX = put(X), pL = put(labels), pG = put(new Float32Array(n)), pdX = put(new Float32Array(T * I));
    const pH = put(new Float32Array(T * D)), pdH = put(new Float32Array(T * D)), pS = put(new Float32Array(T * C));
    const cf = put(new Float32Array(lstmCacheFloats(H, T))), cb = put(new Float32Array(lstmCacheFloats(H, T)));
    const lscr = t.alloc(lstmScratchBytes(H, T)), chain = t.alloc(crfScratchBytes(C, T, 0));
    const k = t.k;
    k.lstm_forward(pW, I, H, T, pX, I, 0, cf, pH, D);
    k.lstm_forward(pW + P * 4, I, H, T, pX, I, 1, cb, pH + H * 4, D);
    k.output_scores(pW + 2 * P * 4, C, D, T, pH, pS);
    const loss = k.chain_xent(C, T, pS, pW + (2 * P + S) * 4, pL, pG + (2 * P + S) * 4, chain);
    k.output_backward(pW + 2 * P * 4, C, D, T, pH, pS, pG + 2 * P * 4, pdH);
    k.lstm_backward(pW, I, H, T, pX, I, 0, cf, pdH, D, pG, pdX, I, lscr);
    k.lstm_backward(pW + P * 4, I, H, T, pX, I, 1, cb, pdH + H * 4, D, pG + P * 4, pdX, I, lscr);
    expect(Math.abs(loss - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    const got = t.f32.slice(pG / 4, pG / 4 + n), gotX = t.f32.slice(pdX / 4, pdX / 4 + T * I);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] - grad.dTheta[i]), `theta ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(grad.dTheta[i])));
    for (let i = 0; i < T * I; i++) expect(Math.abs(gotX[i] - grad.dX[i]), `X ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(grad.dX[i])));
  });
});

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-lstm-crf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const subset = (name: string, n: number): string => conllSubset(dir, name, n);

describe('Bi-LSTM-CRF training', () => {
  const base: TrainLstmOptions = { task: 'chunking', train: subset('train.txt', 400), test: subset('test.txt', 100), mode: 'serial', threads: 1, passes: 3, hidden: 24, seed: 2, lr: 0.005, output: 'crf' };

  it('serial, async(2) and sync(2) all learn, and the transitions learn the chunk grammar', async () => {
    const f1: Record<string, number> = {};
    let tagger: LstmTagger | null = null;
    for (const [mode, threads] of [['serial', 1], ['async', 2], ['sync', 2]] as const) {
      const res = await trainLstm({ ...base, mode, threads });
      f1[mode] = res.history.at(-1)!.test!.f1!;
      expect(res.history.at(-1)!.loss, mode).toBeLessThan(res.history[0].loss);
      if (mode === 'async') expect(res.history.some((h) => h.gradientErrorRate.some((x) => x > 0))).toBe(true);
      if (mode === 'serial') tagger = res.tagger;
    }
    expect(f1.serial).toBeGreaterThan(60);
    expect(f1.async).toBeGreaterThan(f1.serial - 5);
    expect(f1.sync).toBeGreaterThan(f1.serial - 5);
    // I-NP continues an NP: after B-NP it scores higher than after O (where BIO forbids it)
    const t = tagger!;
    const L = t.layout();
    const C = L.C, lab = t.header.labels;
    const trans = (p: string, c: string) => t.weights[L.transOff + lab.indexOf(p) * C + lab.indexOf(c)];
    expect(trans('B-NP', 'I-NP')).toBeGreaterThan(trans('O', 'I-NP') + 0.5);
  });

  it('the model file loads back and tags the same; tags are the Viterbi path; probabilities are the chain\'s', async () => {
    const res = await train({ ...base, model: 'lstm-crf', output: undefined });
    expect(res.tagger.header.model).toBe('lstm-crf');
    const path = join(dir, 'lstm-crf.model');
    res.tagger.save(path);
    const loaded = loadTagger(path) as LstmTagger;
    expect(loaded.header.model).toBe('lstm-crf');
    // a header whose task is none of ours is refused by name (not loaded with some task's inputs)
    const bad = join(dir, 'lstm-crf-ner.model');
    writeFileSync(bad, encodeModel({ ...loaded.header, task: 'ner' }, loaded.weights));
    expect(() => loadTagger(bad)).toThrow(/corrupt Bi-LSTM header \(task "ner" is not one of chunking, np-chunking, pos, seg\)/);
    expect(Buffer.from(loaded.weights.buffer).equals(Buffer.from(res.tagger.weights.buffer))).toBe(true);
    const sents = readColumnFile(base.test!).slice(0, 25);
    const tags = loaded.predict(sents);
    expect(tags).toEqual(res.tagger.predict(sents));
    expect(loaded.evaluate(base.test!)).toEqual(res.tagger.evaluate(base.test!));
    const scored = loaded.predictWithProbabilities(sents);
    expect(scored.map((x) => x.tags)).toEqual(tags);
    for (const x of scored) {
      // P(y* | x) can be no larger than any of its tags' marginals
      for (const p of x.marginals) {
        expect(p).toBeLessThanOrEqual(1 + 1e-6);
        expect(x.probability).toBeLessThanOrEqual(p + 1e-5);
      }
      expect(x.probability).toBeGreaterThan(0);
    }
    // a sentence's tags are the Viterbi path of the twin over the same weights
    const L = loaded.layout();
    const s = sents[3];
    const { C } = L;
    const ids = tags[3].map((y) => loaded.header.labels.indexOf(y));
    const scores = chainScoresFromTagger(loaded, s.tokens);
    const out = new Int32Array(s.tokens.length);
    const best = chainViterbi(C, s.tokens.length, scores, 0, loaded.weights, L.transOff, out, 0);
    expect(Array.from(out)).toEqual(ids);
    const m = crfForwardBackward(chainScores(C, s.tokens.length, scores, 0, loaded.weights, L.transOff));
    scored[3].marginals.forEach((p, i) => expect(p).toBeCloseTo(m.node[i * C + ids[i]], 4));
    expect(scored[3].probability).toBeCloseTo(Math.exp(best - m.logZ), 4);
  });
});

describe('Bi-LSTM-CRF on the command line', () => {
  it('train --model lstm-crf writes a model that tag --probabilities and dump read; CRF-only options are refused', () => {
    const cli = packageFile('dist', 'cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const model = join(dir, 'cli-lstm-crf.model');
    const tr = run('train', '--model', 'lstm-crf', '--hidden', '8', '--train', subset('train.txt', 80), '--test', subset('test.txt', 20), '--passes', '1', '--mode', 'serial', '--out', model, '--json');
    expect(tr.status, tr.stderr).toBe(0);
    expect(JSON.parse(tr.stdout.trim().split('\n').at(-1)!)).toMatchObject({ summary: true, model: 'lstm-crf' });
    const tag = run('tag', '--model-file', model, '--input', subset('test.txt', 3), '--probabilities');
    expect(tag.status, tag.stderr).toBe(0);
    expect(tag.stdout.split('\n').filter((l) => /^# \d\.\d{6}$/.test(l))).toHaveLength(3);
    expect(JSON.parse(run('dump', '--model-file', model, '--json').stdout)).toMatchObject({ model: 'lstm-crf', hidden: 8 });
    const l2 = run('train', '--model', 'lstm-crf', '--l2', '1', '--passes', '1');
    expect(l2.status).toBe(2);
    expect(l2.stderr).toMatch(/--l2 applies to --model crf and dense-crf/);
  });
});

/** The tag scores of one sentence by the f64 twins over a loaded tagger's weights. */
function chainScoresFromTagger(t: LstmTagger, tokens: string[][]): Float64Array {
  const L = t.layout();
  const { I, H, C } = L;
  const T = tokens.length;
  const X = new Float64Array(T * I);
  let col = 0;
  t.shape.fields.forEach((f, fi) => {
    const vocab = t.header.vocabs[fi];
    for (let i = 0; i < T; i++) {
      const id = Math.max(0, vocab.indexOf(f.value({ tokens, tags: [], line: 1 }, i)));
      for (let j = 0; j < f.dim; j++) X[i * I + col + j] = t.weights[L.embOff[fi] + id * f.dim + j];
    }
    col += f.dim;
  });
  const Hcat = new Float64Array(T * 2 * H);
  lstmForward(t.weights, L.fwdOff, I, H, T, X, 0, I, false, new Float64Array(lstmCacheFloats(H, T)), 0, Hcat, 0, 2 * H);
  lstmForward(t.weights, L.bwdOff, I, H, T, X, 0, I, true, new Float64Array(lstmCacheFloats(H, T)), 0, Hcat, H, 2 * H);
  const scores = new Float64Array(T * C);
  outputScores(t.weights, L.outOff, C, 2 * H, T, Hcat, 0, scores, 0);
  return scores;
}
