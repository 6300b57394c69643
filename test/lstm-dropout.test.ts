// Dropout for the Bi-LSTM (--dropout P): the vmul kernel against its twin; the gradient of a network
// with fixed masks on the inputs and the LSTM outputs (where src/models/lstm/gradient.ts puts them)
// against finite differences; and training with it (off is bit-identical to before, resume is exact).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rng, testWasm, conllSubset } from './helpers.js';
import { vmul } from '../src/reference/linalg.js';
import { lstmBackward, lstmCacheFloats, lstmForward, lstmParamCount, softmaxParamCount, softmaxXent } from '../src/reference/lstm.js';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';
import { LstmModel, lstmScratchLayout } from '../src/models/lstm/model.js';
import { lstmGradient } from '../src/models/lstm/gradient.js';
import { encode, taskInputs, Vocab } from '../src/models/lstm/inputs.js';
import { ArenaLayout } from '../src/runtime/arena.js';
import { compileKernels, heapBase, instantiate } from '../src/runtime/wasm.js';

const r = rng(9);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

describe('vmul', () => {
  it('matches the twin on SIMD tails', () => {
    const t = testWasm(16);
    for (const n of [0, 1, 3, 4, 5, 8, 17, 101]) {
      const x = rand(n), m = Float32Array.from({ length: n }, () => (r() < 0.3 ? 0 : 1 / 0.7));
      const px = t.alloc(n * 4 + 16), pm = t.alloc(n * 4);
      t.f32.set(x, px / 4);
      t.f32.fill(7, px / 4 + n, px / 4 + n + 4);
      t.f32.set(m, pm / 4);
      t.k.vmul(n, px, pm);
      const want = Float32Array.from(x);
      vmul(n, want, 0, m, 0);
      expect(Array.from(t.f32.slice(px / 4, px / 4 + n))).toEqual(Array.from(want));
      expect(Array.from(t.f32.slice(px / 4 + n, px / 4 + n + 4))).toEqual([7, 7, 7, 7]);
    }
  });
});

// Bi-LSTM loss with masks: X * mX into the LSTMs, their outputs * mH into the softmax.
function droppedLoss(I: number, H: number, C: number, T: number, theta: Float64Array, X: Float64Array, mX: Float64Array, mH: Float64Array, labels: Int32Array, grad: { dTheta: Float64Array; dX: Float64Array } | null): number {
  const P = lstmParamCount(I, H), D = 2 * H;
  const Xd = X.map((x, i) => x * mX[i]);
  const Hcat = new Float64Array(T * D);
  const cf = new Float64Array(lstmCacheFloats(H, T)), cb = new Float64Array(lstmCacheFloats(H, T));
  lstmForward(theta, 0, I, H, T, Xd, 0, I, false, cf, 0, Hcat, 0, D);
  lstmForward(theta, P, I, H, T, Xd, 0, I, true, cb, 0, Hcat, H, D);
  const Hd = Hcat.map((h, i) => h * mH[i]);
  const dHcat = new Float64Array(T * D);
  const loss = softmaxXent(theta, 2 * P, C, D, T, Hd, 0, labels, 0, grad ? grad.dTheta : new Float64Array(theta.length), 2 * P, dHcat, 0);
  if (grad) {
    // the backward pass as gradient.ts runs it: dHcat * mH, backward through both LSTMs, dX * mX
    for (let i = 0; i < dHcat.length; i++) dHcat[i] *= mH[i];
    const dXd = new Float64Array(T * I);
    lstmBackward(theta, 0, I, H, T, Xd, 0, I, false, cf, 0, dHcat, 0, D, grad.dTheta, 0, dXd, 0, I);
    lstmBackward(theta, P, I, H, T, Xd, 0, I, true, cb, 0, dHcat, H, D, grad.dTheta, P, dXd, 0, I);
    for (let i = 0; i < dXd.length; i++) grad.dX[i] += dXd[i] * mX[i];
  }
  return loss;
}

describe('dropout gradient (f64 twins, fixed masks)', () => {
  it('masks applied to the inputs, the LSTM outputs and their gradients give the exact gradient', () => {
    const I = 4, H = 3, C = 3, T = 5, p = 0.4;
    const n = 2 * lstmParamCount(I, H) + softmaxParamCount(C, 2 * H);
    const theta = Float64Array.from(rand(n, 0.8)), X = Float64Array.from(rand(T * I));
    const mask = (k: number) => Float64Array.from({ length: k }, () => (r() < p ? 0 : 1 / (1 - p)));
    const mX = mask(T * I), mH = mask(T * 2 * H);
    expect(mX.some((v) => v === 0) && mH.some((v) => v === 0)).toBe(true);
    const labels = Int32Array.from({ length: T }, () => Math.floor(r() * C));
    const grad = { dTheta: new Float64Array(n), dX: new Float64Array(T * I) };
    droppedLoss(I, H, C, T, theta, X, mX, mH, labels, grad);
    const eps = 1e-6;
    for (const [a, g, what] of [[theta, grad.dTheta, 'theta'], [X, grad.dX, 'X']] as const) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        a[i] = v + eps;
        const lp = droppedLoss(I, H, C, T, theta, X, mX, mH, labels, null);
        a[i] = v - eps;
        const lm = droppedLoss(I, H, C, T, theta, X, mX, mH, labels, null);
        a[i] = v;
        const fd = (lp - lm) / (2 * eps);
        if (!(Math.abs(fd - g[i]) <= 1e-6 * (1 + Math.abs(fd)))) throw new Error(`${what}[${i}]: analytic ${g[i]} vs fd ${fd}`);
      }
    }
    // a dropped input's gradient is 0
    for (let i = 0; i < mX.length; i++) if (mX[i] === 0) expect(grad.dX[i]).toBe(0);
  });
});

describe('dropout in the worker\'s gradient (src/models/lstm/gradient.ts)', () => {
  it('the wasm gradient with the masks it drew equals the masked network\'s f64 gradient', () => {
    // a tiny chunking Bi-LSTM over two sentences, laid out as the engine lays out one worker
    const sents = [
      { tokens: [['He', 'PRP'], ['reckons', 'VBZ'], ['the', 'DT'], ['deficit', 'NN']], tags: ['B-NP', 'B-VP', 'B-NP', 'I-NP'], line: 1 },
      { tokens: [['It', 'PRP'], ['rose', 'VBD']], tags: ['B-NP', 'B-VP'], line: 6 },
    ];
    const base = taskInputs('chunking');
    const shape = { fields: base.fields.map((f) => ({ ...f, dim: 3 })), I: 6, H: 4 };
    const vocabs = shape.fields.map((f) => Vocab.build(sents, f));
    const labels = ['B-NP', 'B-VP', 'I-NP'];
    const data = encode(sents, shape, vocabs, (t) => labels.indexOf(t));
    data.rare.fill(0); // no UNK draws: only the masks are random
    const p = 0.4;
    const model = new LstmModel(shape, vocabs.map((v) => v.size), 3, data, 5, [], 'sparse', 'softmax', p);
    const module = compileKernels();
    const arena = new ArenaLayout(heapBase(module));
    const plan = model.reserve(arena);
    const stamps = arena.reserve('stamps', plan.stampCount * 4);
    const slot = { gOffset: arena.reserve('g', plan.params * 4), mOffset: -1, vOffset: -1, listOffset: arena.reserve('list', plan.maxListCapacity! * 12), lastOffset: -1, scratchOffset: arena.reserve('scratch', plan.scratchBytes) };
    const memory = arena.createMemory();
    const k = instantiate(module, memory);
    model.fill(memory, plan, k);
    const g = lstmGradient(plan, k, memory, slot, stamps, { worker: 0 });
    const loss = g.grad(0, false);
    // what the kernels saw: the weights, the sentence's embeddings and the masks drawn
    const f32 = new Float32Array(memory.buffer);
    const L = model.layout, T = 4, { I, H, C } = L;
    const sc = lstmScratchLayout(L, model.maxLen, { train: true, dropout: true });
    const mX = Float64Array.from(f32.subarray((slot.scratchOffset + sc.maskX) / 4, (slot.scratchOffset + sc.maskX) / 4 + T * I));
    const mH = Float64Array.from(f32.subarray((slot.scratchOffset + sc.maskH) / 4, (slot.scratchOffset + sc.maskH) / 4 + T * 2 * H));
    expect(mX.some((v) => v === 0) && mH.some((v) => v === 0)).toBe(true);
    const w = f32.subarray(plan.wOffset / 4, plan.wOffset / 4 + plan.params);
    const X = new Float64Array(T * I);
    L.dims.forEach((dim, f) => {
      const col = f === 0 ? 0 : L.dims[0];
      for (let t = 0; t < T; t++) for (let j = 0; j < dim; j++) X[t * I + col + j] = w[L.embOff[f] + data.ids[f][t] * dim + j];
    });
    const theta = Float64Array.from(w.subarray(L.fwdOff, L.params));
    const want = { dTheta: new Float64Array(theta.length), dX: new Float64Array(T * I) };
    const wantLoss = droppedLoss(I, H, C, T, theta, X, mX, mH, Int32Array.from(data.labels.subarray(0, T)), want);
    expect(Math.abs(loss - wantLoss)).toBeLessThan(1e-4 * (1 + Math.abs(wantLoss)));
    const got = f32.subarray(slot.gOffset / 4, slot.gOffset / 4 + plan.params);
    for (let i = 0; i < theta.length; i++) expect(Math.abs(got[L.fwdOff + i] - want.dTheta[i]), `theta ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(want.dTheta[i])));
    // the embedding rows' gradient: each token's masked dX summed into its rows
    const rows = new Float64Array(L.fwdOff);
    L.dims.forEach((dim, f) => {
      const col = f === 0 ? 0 : L.dims[0];
      for (let t = 0; t < T; t++) for (let j = 0; j < dim; j++) rows[L.embOff[f] + data.ids[f][t] * dim + j] += want.dX[t * I + col + j];
    });
    for (let i = 0; i < L.fwdOff; i++) expect(Math.abs(got[i] - rows[i]), `embedding ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(rows[i])));
  });
});

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-dropout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const subset = (name: string, n: number): string => conllSubset(dir, name, n);

describe('training with dropout', () => {
  const base: TrainLstmOptions = { task: 'chunking', train: subset('train.txt', 200), test: subset('test.txt', 60), mode: 'serial', threads: 1, passes: 3, hidden: 16, seed: 4, lr: 0.005 };
  const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  it('off (0) is bit-identical to no option; on, it learns, differs, and is recorded in the model', async () => {
    const plain = await trainLstm(base);
    const zero = await trainLstm({ ...base, dropout: 0 });
    expect(same(zero.tagger.weights, plain.tagger.weights)).toBe(true);
    for (const output of ['softmax', 'crf'] as const) {
      const d = await trainLstm({ ...base, output, dropout: 0.3 });
      expect(d.history.at(-1)!.loss).toBeLessThan(d.history[0].loss);
      expect(d.history.at(-1)!.test!.f1).toBeGreaterThan(50);
      expect(d.tagger.header.training).toMatchObject({ dropout: 0.3 });
      if (output === 'softmax') expect(same(d.tagger.weights, plain.tagger.weights)).toBe(false);
    }
    await expect(trainLstm({ ...base, dropout: 1 })).rejects.toThrow(/--dropout must be a number from 0 to 0\.95/);
  });

  it('a resumed run draws the same masks: bit-identical to the uninterrupted one; another --dropout is refused', async () => {
    const opts = { ...base, dropout: 0.25 };
    const full = await trainLstm(opts);
    const ck = join(dir, 'drop.ckpt');
    await trainLstm({ ...opts, passes: 1, checkpoint: ck, checkpointEvery: 1 });
    expect(existsSync(ck)).toBe(true);
    const resumed = await trainLstm({ ...opts, checkpoint: ck, resume: true });
    expect(same(resumed.tagger.weights, full.tagger.weights)).toBe(true);
    await expect(trainLstm({ ...opts, dropout: 0.5, checkpoint: ck, resume: true })).rejects.toThrow(/--dropout \(checkpoint 0\.25, this run 0\.5\)/);
  });
});
