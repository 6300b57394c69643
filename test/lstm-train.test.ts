// The Bi-LSTM tagger trained by the engines on a CoNLL-2000 subset (small hidden size), and its
// model file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';
import { loadTagger } from '../src/models/load.js';
import { Vocab, taskInputs, encode } from '../src/models/lstm/inputs.js';
import { packageFile } from '../src/runtime/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-lstm-'));
function subset(name: string, n: number): string {
  const text = readFileSync(packageFile('data', 'conll2000', name), 'utf8');
  const path = join(dir, `${name}-${n}`);
  writeFileSync(path, text.split(/\n\s*\n/).slice(0, n).join('\n\n') + '\n');
  return path;
}
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

describe('Bi-LSTM checkpoints', () => {
  it('a serial run resumed from a checkpoint matches the uninterrupted run bit for bit (Adam state included)', async () => {
    const opts = { ...base, passes: 3, hidden: 12 };
    const full = await trainLstm(opts);
    const ck = join(dir, 'lstm.ckpt');
    await trainLstm({ ...opts, passes: 2, checkpoint: ck, checkpointEvery: 1 });
    const resumed = await trainLstm({ ...opts, checkpoint: ck, resume: true });
    expect(resumed.history.map((h) => h.pass)).toEqual([1, 2, 3]);
    expect(Buffer.from(resumed.tagger.weights.buffer).equals(Buffer.from(full.tagger.weights.buffer))).toBe(true);
    await expect(trainLstm({ ...opts, lr: 0.01, checkpoint: ck, resume: true })).rejects.toThrow(/different lr0/);
  });
});
