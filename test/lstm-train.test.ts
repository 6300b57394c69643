// The Bi-LSTM tagger trained by the engines on a CoNLL-2000 subset (small hidden size), and its
// model file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';
import { loadTagger } from '../src/models/load.js';
import { readColumnFile } from '../src/data/column.js';
import { checkSelection, conllSubset } from './helpers.js';
import { Vocab, taskInputs, encode } from '../src/models/lstm/inputs.js';
import { packageFile } from '../src/runtime/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-lstm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const subset = (name: string, n: number): string => conllSubset(dir, name, n);
const base: TrainLstmOptions = { task: 'chunking', train: subset('train.txt', 400), test: subset('test.txt', 100), mode: 'serial', threads: 1, passes: 3, hidden: 24, seed: 2, lr: 0.005 };

describe('Bi-LSTM training', () => {
  it('serial, async(2) and sync(2) with Adam all learn; async counts gradient errors', async () => {
    const f1: Record<string, number> = {};
    for (const [mode, threads] of [['serial', 1], ['async', 2], ['sync', 2]] as const) {
      const r = await trainLstm({ ...base, mode, threads });
      f1[mode] = r.history.at(-1)!.test!.f1!;
      expect(r.history.at(-1)!.loss, mode).toBeLessThan(r.history[0].loss);
      if (mode === 'async') expect(r.history.some((h) => h.gradientErrorRate.some((x) => x > 0))).toBe(true);
      if (mode !== 'async') expect(r.history.every((h) => h.gradientErrorRate.every((x) => x === 0))).toBe(true);
    }
    expect(f1.serial).toBeGreaterThan(60);
    expect(f1.async).toBeGreaterThan(f1.serial - 5);
    expect(f1.sync).toBeGreaterThan(f1.serial - 5);
  });

  it('SGD works too, and a saved model loads back and tags the same', async () => {
    const r = await trainLstm({ ...base, optimizer: 'sgd', lr: 0.02, passes: 2 });
    expect(r.history.at(-1)!.test!.f1).toBeGreaterThan(40);
    const path = join(dir, 'lstm.model');
    r.tagger.save(path);
    const loaded = loadTagger(path);
    expect(Buffer.from(loaded.weights.buffer).equals(Buffer.from(r.tagger.weights.buffer))).toBe(true);
    const sents = [[['He', 'PRP'], ['reckons', 'VBZ'], ['zyzzyva', 'NN']]];
    expect(loaded.predict(sents)).toEqual(r.tagger.predict(sents));
    expect(loaded.evaluate(base.test!)).toEqual(r.tagger.evaluate(base.test!));
    // with probabilities: the same tags; each the softmax's most probable of C labels; the sentence's
    // probability their product
    const C = r.tagger.header.labels.length;
    const many = readColumnFile(base.test!).slice(0, 30);
    const scored = loaded.predictWithProbabilities(many);
    expect(scored.map((x) => x.tags)).toEqual(r.tagger.predict(many));
    for (const x of scored) {
      expect(x.marginals).toHaveLength(x.tags.length);
      for (const p of x.marginals) {
        expect(p).toBeGreaterThanOrEqual(1 / C - 1e-6);
        expect(p).toBeLessThanOrEqual(1);
      }
      expect(x.probability).toBeCloseTo(x.marginals.reduce((a, p) => a * p, 1), 12);
    }
    const all = scored.flatMap((x) => x.marginals);
    expect(Math.max(...all) - Math.min(...all)).toBeGreaterThan(0.2); // not one constant
  });

  it('unknown words map to the UNK row, and words seen once are marked rare', () => {
    const shape = taskInputs('chunking');
    const sents = [{ tokens: [['a', 'DT'], ['cat', 'NN'], ['a', 'DT']], tags: ['B-NP', 'I-NP', 'B-NP'], line: 1 }];
    const vocabs = shape.fields.map((f) => Vocab.build(sents, f));
    const d = encode([{ tokens: [['a', 'DT'], ['dog', 'NN']], tags: [], line: 1 }], shape, vocabs, () => 0);
    expect(d.ids[0][1]).toBe(0); // 'dog' is unknown
    const t = encode(sents, shape, vocabs, () => 0);
    expect(t.rare[1] & 1).toBe(1); // 'cat' seen once
    expect(t.rare[0] & 1).toBe(0); // 'a' seen twice
  });
});

describe('Bi-LSTM reproducibility', () => {
  it('the test/dev data (whose longest sentence sizes the memory) do not change training', async () => {
    const a = await trainLstm({ ...base, passes: 1 });
    const b = await trainLstm({ ...base, passes: 1, test: subset('test.txt', 600), dev: subset('test.txt', 30) });
    expect(b.history[0].loss).toBe(a.history[0].loss);
    expect(Buffer.from(b.tagger.weights.buffer).equals(Buffer.from(a.tagger.weights.buffer))).toBe(true);
  });
});

describe('Bi-LSTM model selection on dev', () => {
  it('--keep-best keeps the best dev pass\'s weights (those of a run stopped there); --patience stops', async () => {
    const text = readFileSync(packageFile('data', 'conll2000', 'test.txt'), 'utf8').split(/\n\s*\n/);
    const dev = join(dir, 'dev-300-400.txt');
    writeFileSync(dev, text.slice(300, 400).join('\n\n') + '\n');
    const r = await trainLstm({ ...base, test: undefined, dev, passes: 8, keepBest: true, patience: 2 });
    checkSelection(r.history.map((h) => h.dev!.f1!), r.bestPass, 2, 8);
    const short = await trainLstm({ ...base, test: undefined, dev, passes: r.bestPass! });
    expect(Buffer.from(r.tagger.weights.buffer).equals(Buffer.from(short.tagger.weights.buffer))).toBe(true);
  });
});

describe('Bi-LSTM mini-batches (--batch)', () => {
  // 3 sentences written twice: every word is seen at least twice, so none is replaced by UNK at
  // random and the gradients depend on the weights alone.
  const twice = join(dir, 'twice.txt');
  const three = readFileSync(packageFile('data', 'conll2000', 'train.txt'), 'utf8').split(/\n\s*\n/).slice(0, 3).join('\n\n');
  writeFileSync(twice, `${three}\n\n${three}\n`);
  const small: TrainLstmOptions = { task: 'chunking', train: twice, mode: 'serial', threads: 1, passes: 1, hidden: 8, seed: 3, optimizer: 'sgd', lr: 0.05 };

  it('serial --batch 6 takes one step on the sum of 6 gradients at the same weights, as sync(6) does', async () => {
    const batched = await trainLstm({ ...small, batch: 6 });
    const sync = await trainLstm({ ...small, mode: 'sync', threads: 6 });
    const perSentence = await trainLstm(small);
    const a = batched.tagger.weights, b = sync.tagger.weights, c = perSentence.tagger.weights;
    let diff = 0, scale = 0, apart = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
      apart = Math.max(apart, Math.abs(a[i] - c[i]));
    }
    expect(diff).toBeLessThan(1e-6 * scale + 1e-7); // the same update, up to the order of the sums
    expect(apart).toBeGreaterThan(1e-4); // and not what 6 per-sentence steps give
    expect(batched.history[0].samples).toBe(6);
  });

  it('with Adam, serial --batch 3 --embeddings dense equals sync(3) (dense Adam steps on summed gradients)', async () => {
    // 2 passes of 2 rounds: both take the same 3 positions of each pass's shared order per step
    const adam: TrainLstmOptions = { ...small, optimizer: 'adam', lr: 0.01, passes: 2 };
    const batched = await trainLstm({ ...adam, batch: 3, embeddings: 'dense' });
    const sync = await trainLstm({ ...adam, mode: 'sync', threads: 3 });
    const sparse = await trainLstm({ ...adam, batch: 3, embeddings: 'sparse' });
    const a = batched.tagger.weights, b = sync.tagger.weights, c = sparse.tagger.weights;
    let diff = 0, apart = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      apart = Math.max(apart, Math.abs(a[i] - c[i]));
    }
    // one Adam step moves each weight by about lr; sums in another order change it by far less
    expect(diff).toBeLessThan(1e-6);
    // sparse updates leave a row its batch did not use where it is; dense ones move it by its momentum
    expect(apart).toBeGreaterThan(1e-4);
  });

  it('--embeddings dense with SGD changes nothing (unused rows have a zero gradient)', async () => {
    const sparse = await trainLstm({ ...small, passes: 2, embeddings: 'sparse' });
    const dense = await trainLstm({ ...small, passes: 2, embeddings: 'dense' });
    expect(Buffer.from(dense.tagger.weights.buffer).equals(Buffer.from(sparse.tagger.weights.buffer))).toBe(true);
  });

  it('with Adam, --embeddings lazy ends each pass close to where dense leaves the weights; sparse does not', async () => {
    const adam: TrainLstmOptions = { ...small, optimizer: 'adam', lr: 0.01, passes: 2 };
    const dense = await trainLstm({ ...adam, embeddings: 'dense' });
    const lazy = await trainLstm({ ...adam, embeddings: 'lazy' });
    const sparse = await trainLstm({ ...adam, embeddings: 'sparse' });
    const d = dense.tagger.weights, a = lazy.tagger.weights, c = sparse.tagger.weights;
    let lazyOff = 0, sparseOff = 0;
    for (let i = 0; i < d.length; i++) {
      lazyOff = Math.max(lazyOff, Math.abs(a[i] - d[i]));
      sparseOff = Math.max(sparseOff, Math.abs(c[i] - d[i]));
    }
    // what remains is the catch-up's eps and bias-correction approximations (assembly/update.ts)
    expect(sparseOff).toBeGreaterThan(1e-3);
    expect(lazyOff).toBeLessThan(0.2 * sparseOff);
  });

  it('async(2) with Adam and --embeddings lazy learns', async () => {
    const r = await trainLstm({ ...base, mode: 'async', threads: 2, embeddings: 'lazy', lr: 0.01 });
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0].loss);
    expect(r.history.at(-1)!.test!.f1).toBeGreaterThan(50);
    await expect(trainLstm({ ...small, embeddings: 'lazzy' as never })).rejects.toThrow(/--embeddings must be one of sparse, lazy, dense/);
  });

  it('async(2) with Adam and --batch 4 learns and counts gradient errors per sentence', async () => {
    const r = await trainLstm({ ...base, mode: 'async', threads: 2, batch: 4, lr: 0.01 });
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0].loss);
    expect(r.history.at(-1)!.test!.f1).toBeGreaterThan(50);
    expect(r.history[0].samples).toBe(400);
  });

  it('refuses --batch where it does not apply', async () => {
    await expect(trainLstm({ ...small, mode: 'sync', threads: 2, batch: 2 })).rejects.toThrow(/--batch applies to serial and async/);
    await expect(trainLstm({ ...small, batch: 0 })).rejects.toThrow(/--batch must be an integer/);
  });
});

describe('Bi-LSTM checkpoints', () => {
  it('a serial run resumed from a checkpoint matches the uninterrupted run bit for bit (Adam state included)', async () => {
    const opts = { ...base, passes: 3, hidden: 12 };
    const full = await trainLstm(opts);
    const ck = join(dir, 'lstm.ckpt');
    await trainLstm({ ...opts, passes: 2, checkpoint: ck, checkpointEvery: 1 });
    const resumed = await trainLstm({ ...opts, checkpoint: ck, resume: true });
    expect(resumed.history.map((h) => h.pass)).toEqual([1, 2, 3]);
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
    await expect(trainLstm({ ...opts, lr: 0.01, checkpoint: ck, resume: true })).rejects.toThrow(/differs from this run in --lr \(checkpoint [0-9.e-]+, this run 0\.01\)/);
  });
  it('so does one with lazy embedding updates (every row is caught up at the end of a pass)', async () => {
    const opts = { ...base, passes: 3, hidden: 12, embeddings: 'lazy' as const };
    const full = await trainLstm(opts);
    const ck = join(dir, 'lstm-lazy.ckpt');
    await trainLstm({ ...opts, passes: 2, checkpoint: ck, checkpointEvery: 1 });
    const resumed = await trainLstm({ ...opts, checkpoint: ck, resume: true });
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
  });
});
