// Gradient clipping for the Bi-LSTM (--clip NORM, PyTorch's clip_grad_norm_): an update's gradient
// is scaled to an L2 norm of at most NORM; a large NORM changes nothing; sync mode refuses it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conllSubset } from './helpers.js';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gradient clipping (--clip)', () => {
  it('one SGD step moves the weights by exactly lr * clip when the gradient is longer', async () => {
    const one = join(dir, 'one.txt');
    writeFileSync(one, 'He PRP B-NP\nreckons VBZ B-VP\nthe DT B-NP\ndeficit NN I-NP\n');
    const base: TrainLstmOptions = { task: 'chunking', train: one, mode: 'serial', threads: 1, passes: 1, hidden: 4, seed: 7, optimizer: 'sgd' };
    const start = (await trainLstm({ ...base, lr: 1e-12 })).tagger.weights;
    for (const clip of [1e-3, 0.05]) {
      const w = (await trainLstm({ ...base, lr: 0.1, clip })).tagger.weights;
      let sq = 0;
      for (let i = 0; i < w.length; i++) sq += (w[i] - start[i]) ** 2;
      expect(Math.sqrt(sq) / 0.1).toBeCloseTo(clip, clip < 0.01 ? 5 : 3);
    }
  });

  it('the norm counts each row once: a batch of two sentences sharing words, with sparse or dense embedding updates', async () => {
    const two = join(dir, 'two.txt');
    writeFileSync(two, 'the DT B-NP\nshares NNS I-NP\nrose VBD B-VP\n\nthe DT B-NP\nprice NN I-NP\nrose VBD B-VP\n');
    for (const embeddings of ['sparse', 'dense'] as const) {
      const base: TrainLstmOptions = { task: 'chunking', train: two, mode: 'serial', threads: 1, passes: 1, hidden: 4, seed: 7, optimizer: 'sgd', batch: 2, embeddings };
      const start = (await trainLstm({ ...base, lr: 1e-12 })).tagger.weights;
      const w = (await trainLstm({ ...base, lr: 0.1, clip: 1e-3 })).tagger.weights;
      let sq = 0;
      for (let i = 0; i < w.length; i++) sq += (w[i] - start[i]) ** 2;
      expect(Math.sqrt(sq) / 0.1, embeddings).toBeCloseTo(1e-3, 5);
    }
  });

  it('a model whose touched list repeats blocks (the CRF) is refused by the engine', async () => {
    const { Engine } = await import('../src/engine/engine.js');
    const { LogRegModel, syntheticLogReg } = await import('../src/models/logreg/model.js');
    const lr = new LogRegModel(syntheticLogReg(50, 4, 3, 1), 0);
    const e = await Engine.create(lr, { mode: 'serial', threads: 1, seed: 1, clip: 1, buffered: true });
    await e.close();
    const { CrfModel } = await import('../src/models/crf/model.js');
    const crf = new CrfModel({ Y: 2, F: 1, E: 0 }, { featStart: Int32Array.from([0, 1]), featIds: Int32Array.from([0]), labels: Int32Array.from([0]), tokStart: Int32Array.from([0, 1]) });
    await expect(Engine.create(crf, { mode: 'serial', threads: 1, seed: 1, clip: 1, buffered: true })).rejects.toThrow(/--clip: this model \(crf\) lists some gradient blocks more than once/);
  });

  it('a clip above every gradient norm is bit-identical to none; Adam with a clip learns; sync refuses it', async () => {
    const base: TrainLstmOptions = { task: 'chunking', train: conllSubset(dir, 'train.txt', 150), mode: 'serial', threads: 1, passes: 2, hidden: 8, seed: 2, lr: 0.005 };
    const plain = await trainLstm(base);
    const loose = await trainLstm({ ...base, clip: 1e9 });
    expect(Buffer.from(loose.tagger.weights.buffer).equals(Buffer.from(plain.tagger.weights.buffer))).toBe(true);
    const tight = await trainLstm({ ...base, clip: 1 });
    expect(tight.history[1].loss).toBeLessThan(tight.history[0].loss);
    expect(Buffer.from(tight.tagger.weights.buffer).equals(Buffer.from(plain.tagger.weights.buffer))).toBe(false);
    expect(tight.tagger.header.training).toMatchObject({ clip: 1 });
    const asyncRun = await trainLstm({ ...base, mode: 'async', threads: 2, clip: 1 });
    expect(asyncRun.history[1].loss).toBeLessThan(asyncRun.history[0].loss);
    await expect(trainLstm({ ...base, mode: 'sync', threads: 2, clip: 1 })).rejects.toThrow(/--clip applies to serial and async/);
  });
});
