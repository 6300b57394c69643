// The Bi-LSTM's fused weight-gradient-and-Adam step (lstm_weight_adam): the same floats as the
// weight gradient into a zeroed buffer followed by adam_apply, against its f64 twin, with its write
// stamps; and in training, bit-identical serial runs with and without it, and AsynGrad with it.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { conllSubset, rng, testWasm } from './helpers.js';
import {
  lstmAdamTileBytes,
  lstmBackwardAdam,
  lstmCacheFloats,
  lstmForward,
  lstmParamCount,
  lstmScratchBytes,
} from '../src/reference/lstm.js';
import { Engine } from '../src/engine/engine.js';
import { readColumnFile } from '../src/data/column.js';
import { LabelDictionary } from '../src/features/dictionary.js';
import { encode, taskInputs, Vocab } from '../src/models/lstm/inputs.js';
import { LstmModel, type EmbeddingUpdate, type LstmOutput } from '../src/models/lstm/model.js';

const t = testWasm(256);
const r = rng(11);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
function put(a: Float32Array): number {
  const p = t.alloc(a.length * 4 + 16);
  t.f32.set(a, p / 4);
  t.f32.fill(12345, p / 4 + a.length, p / 4 + a.length + 4);
  return p;
}
const get = (p: number, n: number) => t.f32.slice(p / 4, p / 4 + n);
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('lstm_weight_adam', () => {
  // H = 5: 4H = 20 rows, so the last block of 8 rows has 4; I = 7 and I + H = 12 leave column tails
  const shapes: [number, number][] = [[7, 5], [17, 9], [32, 16], [1, 4]];
  for (const [I, H] of shapes) {
    for (const T of [1, 2, 9]) {
      for (const reverse of [0, 1]) {
        it(`I=${I} H=${H} T=${T} reverse=${reverse}: = lstm_backward into a zeroed buffer + adam_apply, and its twin`, () => {
          const P = lstmParamCount(I, H), xstride = I + 3, dhStride = 2 * H + 1;
          const W = rand(P, 0.5), X = rand(T * xstride), dh = rand(T * dhStride);
          const m0 = rand(P, 0.01), v0 = Float32Array.from(rand(P, 0.01), (x) => x * x);
          const pX = put(X), pdh = put(dh);
          const cache = t.alloc(lstmCacheFloats(H, T) * 4), hout = t.alloc(T * 2 * H * 4);
          const lrt = 0.003, b1 = 0.95, b2 = 0.95, eps = 1e-4;
          // the unfused path: gradient into zeros, then one Adam step over the block
          const pW1 = put(W), pm1 = put(m0), pv1 = put(v0), pg = put(new Float32Array(P));
          const pdX1 = put(new Float32Array(T * I)), scr1 = t.alloc(lstmScratchBytes(H, T));
          t.k.lstm_forward(pW1, I, H, T, pX, xstride, reverse, cache, hout, 2 * H);
          t.k.lstm_backward(pW1, I, H, T, pX, xstride, reverse, cache, pdh, dhStride, pg, pdX1, I, scr1);
          const list = t.alloc(12);
          t.i32.set([0, P, -1], list / 4);
          t.k.adam_apply(pW1, pg, pm1, pv1, list, 1, lrt, b1, b2, eps, 0, 0);
          // the fused path, with a tile full of garbage and write stamps
          const pW2 = put(W), pm2 = put(m0), pv2 = put(v0);
          const pdX2 = put(new Float32Array(T * I)), scr2 = t.alloc(lstmScratchBytes(H, T));
          const tile = put(rand(lstmAdamTileBytes(I, H) / 4, 1e3));
          const stamps = t.alloc(16);
          t.i32.set([0, 40, 0, 0], stamps / 4);
          t.k.lstm_backward_dz(pW2, I, H, T, pX, xstride, reverse, cache, pdh, dhStride, pdX2, I, scr2);
          expect(t.k.lstm_weight_adam(pW2, I, H, T, pX, xstride, reverse, cache, scr2, pm2, pv2, lrt, b1, b2, eps, tile, stamps, 1, 6)).toBe(0);
          expect(bits(get(pW2, P))).toEqual(bits(get(pW1, P)));
          expect(bits(get(pm2, P))).toEqual(bits(get(pm1, P)));
          expect(bits(get(pv2, P))).toEqual(bits(get(pv1, P)));
          expect(bits(get(pdX2, T * I))).toEqual(bits(get(pdX1, T * I)));
          for (const [p, n] of [[pW2, P], [pm2, P], [pv2, P], [tile, lstmAdamTileBytes(I, H) / 4]]) for (let i = 0; i < 4; i++) expect(t.f32[p / 4 + n + i]).toBe(12345);
          // the stamp of block 1 holds the tag (even) after the write; the others are untouched
          expect(Array.from(t.i32.subarray(stamps / 4, stamps / 4 + 4))).toEqual([0, 6, 0, 0]);
          // a write found in progress (odd stamp) is reported
          t.i32[stamps / 4 + 1] = 9;
          t.k.lstm_backward_dz(pW2, I, H, T, pX, xstride, reverse, cache, pdh, dhStride, pdX2, I, scr2);
          expect(t.k.lstm_weight_adam(pW2, I, H, T, pX, xstride, reverse, cache, scr2, pm2, pv2, lrt, b1, b2, eps, tile, stamps, 1, 8)).toBe(1);
          expect(t.i32[stamps / 4 + 1]).toBe(8);
          // the f64 twin: the cache from the twin's forward, then gradient and Adam step
          const wRef = Float32Array.from(W), mRef = Float32Array.from(m0), vRef = Float32Array.from(v0);
          const cRef = new Float64Array(lstmCacheFloats(H, T)), hRef = new Float64Array(T * 2 * H), dxRef = new Float64Array(T * I);
          lstmForward(wRef, 0, I, H, T, X, 0, xstride, reverse === 1, cRef, 0, hRef, 0, 2 * H);
          lstmBackwardAdam(wRef, 0, I, H, T, X, 0, xstride, reverse === 1, cRef, 0, dh, 0, dhStride, dxRef, 0, I, mRef, vRef, lrt, b1, b2, eps);
          const w1 = get(pW1, P), m1 = get(pm1, P);
          for (let i = 0; i < P; i++) {
            // the step is lrt * m / (sqrt(v) + eps): compare the moves, relative to the step's size
            if (!(Math.abs((w1[i] - W[i]) - (wRef[i] - W[i])) <= 2e-3 * lrt + 1e-6 * Math.abs(W[i]))) throw new Error(`w[${i}]: ${w1[i]} vs ${wRef[i]}`);
            if (!(Math.abs(m1[i] - mRef[i]) <= 1e-4 * (1e-3 + Math.abs(mRef[i])))) throw new Error(`m[${i}]: ${m1[i]} vs ${mRef[i]}`);
          }
        });
      }
    }
  }
});

describe('fused Adam in training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asyngrad-fused-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sents = readColumnFile(conllSubset(dir, 'train.txt', 120));

  function model(output: LstmOutput, embeddings: EmbeddingUpdate): LstmModel {
    const shape = { ...taskInputs('chunking'), H: 12 };
    shape.fields = shape.fields.map((f) => ({ ...f, dim: 8 }));
    shape.I = 16;
    const vocabs = shape.fields.map((f) => Vocab.build(sents, f));
    const labels = LabelDictionary.build(sents);
    return new LstmModel(shape, vocabs.map((v) => v.size), labels.size, encode(sents, shape, vocabs, (tag) => labels.id(tag)), 3, [], embeddings, output);
  }

  async function weightsAfter(output: LstmOutput, embeddings: EmbeddingUpdate, buffered: boolean): Promise<{ w: Float32Array; fused: boolean; losses: number[] }> {
    const e = await Engine.create(model(output, embeddings), { mode: 'serial', threads: 1, seed: 5, buffered, optimizer: { kind: 'adam' } });
    try {
      const losses: number[] = [];
      for (let p = 0; p < 2; p++) losses.push((await e.runPass(0.01 * 0.9 ** p, { pass: p })).loss);
      return { w: Float32Array.from(e.weights()), fused: e.plan.fusedAdam, losses };
    } finally {
      await e.close();
    }
  }

  for (const [output, embeddings] of [['softmax', 'lazy'], ['crf', 'sparse'], ['softmax', 'dense']] as const) {
    it(`serial ${output}, ${embeddings} embeddings: the same weights as through the gradient buffer`, async () => {
      const fused = await weightsAfter(output, embeddings, false);
      const buffered = await weightsAfter(output, embeddings, true);
      expect(fused.fused).toBe(true);
      expect(buffered.fused).toBe(false);
      expect(fused.losses[1]).toBeLessThan(fused.losses[0]);
      expect(bits(fused.w)).toEqual(bits(buffered.w));
    });
  }

  it('AsynGrad, 2 workers: learns, and counts the fused blocks\' write overlaps', async () => {
    const e = await Engine.create(model('softmax', 'lazy'), { mode: 'async', threads: 2, seed: 5, optimizer: { kind: 'adam' } });
    try {
      expect(e.plan.fusedAdam).toBe(true);
      const a = await e.runPass(0.01, { pass: 0 });
      const b = await e.runPass(0.009, { pass: 1 });
      expect(b.loss).toBeLessThan(a.loss);
      expect(Number.isFinite(b.loss)).toBe(true);
      const samples = b.workers.reduce((s, w) => s + w.samples, 0);
      expect(samples).toBe(120);
      // two workers on every block of a dense model: gradients overlap another worker's write
      expect([...a.workers, ...b.workers].reduce((s, w) => s + w.errors, 0)).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
  });

  it('one AsynGrad worker counts no errors: its own fused writes come after its read window', async () => {
    const e = await Engine.create(model('crf', 'lazy'), { mode: 'async', threads: 1, seed: 5, optimizer: { kind: 'adam' } });
    try {
      expect(e.plan.fusedAdam).toBe(true);
      for (let p = 0; p < 2; p++) {
        const s = await e.runPass(0.01, { pass: p });
        expect(s.workers[0].samples).toBe(120);
        expect(s.workers[0].errors).toBe(0);
      }
    } finally {
      await e.close();
    }
  });

  it('is off where the whole gradient is needed first: sync mode, mini-batches, --clip, SGD', async () => {
    for (const opts of [{ mode: 'sync' as const, threads: 2 }, { mode: 'serial' as const, threads: 1, batch: 2 }, { mode: 'serial' as const, threads: 1, clip: 5 }]) {
      const e = await Engine.create(model('softmax', 'sparse'), { ...opts, seed: 1, optimizer: { kind: 'adam' } });
      expect(e.plan.fusedAdam, JSON.stringify(opts)).toBe(false);
      await e.close();
    }
    const e = await Engine.create(model('softmax', 'sparse'), { mode: 'serial', threads: 1, seed: 1, optimizer: { kind: 'sgd' } });
    expect(e.plan.fusedAdam).toBe(false);
    await e.close();
  });
});
