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
