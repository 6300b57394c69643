// Bi-LSTM tagging on worker threads (predictAsync, tag --threads): each thread decodes a range of the
// sentences over the one shared copy of the weights, and the results are those of one thread.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conllSubset } from './helpers.js';
import { trainLstm } from '../src/train/train-lstm.js';
import { trainCrf } from '../src/train/train-crf.js';
import { readColumnFile } from '../src/data/column.js';
import { packageFile } from '../src/runtime/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-tagpar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const subset = (name: string, n: number): string => conllSubset(dir, name, n);

describe('Bi-LSTM tagging on worker threads', () => {
  const train = subset('train.txt', 120), test = subset('test.txt', 61);

  it('predictAsync and predictWithProbabilitiesAsync give what one thread gives, for 1 to 4 threads and both output layers', async () => {
    const sents: Array<string[][] | ReturnType<typeof readColumnFile>[number]> = readColumnFile(test);
    sents.splice(7, 0, []); // an empty sentence among them
    for (const output of ['softmax', 'crf'] as const) {
      const { tagger } = await trainLstm({ task: 'chunking', train, mode: 'serial', threads: 1, passes: 1, hidden: 8, seed: 3, output });
      const want = tagger.predict(sents);
      const wantP = tagger.predictWithProbabilities(sents);
      expect(want[7]).toEqual([]);
      for (const threads of [1, 2, 3, 4]) {
        expect(await tagger.predictAsync(sents, { threads }), `${output} ${threads}`).toEqual(want);
        expect(await tagger.predictWithProbabilitiesAsync(sents, { threads }), `${output} ${threads}`).toEqual(wantP);
      }
      // more threads than sentences (two of 300 tokens: enough for two workers)
      const two = [0, 1].map((k) => ({ tokens: Array.from({ length: 300 }, (_, i) => [i % 3 ? 'prices' : 'rose', i % 3 ? 'NNS' : 'VBD', `x${k}`].slice(0, 2)), tags: [], line: 1 }));
      expect(await tagger.predictAsync(two, { threads: 8 })).toEqual(tagger.predict(two));
      await expect(tagger.predictAsync(sents, { threads: 0 })).rejects.toThrow(/--threads must be an integer from 1 to 64/);
    }
  });

  it('one very long sentence among short ones, on many threads at the default size: scratch is sized per share', async () => {
    // at H = 280 a decode scratch is ~20 KB a token: one region per worker sized for a 2,500-token
    // sentence would take gigabytes; sized per share, only one region is that large
    const { tagger } = await trainLstm({ task: 'chunking', train: subset('train.txt', 15), mode: 'serial', threads: 1, passes: 1, seed: 3 });
    expect(tagger.header.H).toBe(280);
    const short = readColumnFile(test).slice(0, 63);
    const long = { tokens: Array.from({ length: 2500 }, (_, i) => [i % 2 ? 'rose' : 'shares', i % 2 ? 'VBD' : 'NNS']), tags: [], line: 1 };
    const sents = [...short.slice(0, 30), long, ...short.slice(30), { tokens: [], tags: [], line: 1 }];
    const got = await tagger.predictAsync(sents, { threads: 64 });
    expect(got).toEqual(tagger.predict(sents));
    expect(got[30]).toHaveLength(2500);
    expect(await tagger.predictAsync([[], []], { threads: 4 })).toEqual([[], []]);
  });

  it('tag --threads: the same output; a CRF model refuses it', async () => {
    const cli = packageFile('dist', 'cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const model = join(dir, 'par.model');
    (await trainLstm({ task: 'chunking', train, mode: 'serial', threads: 1, passes: 1, hidden: 8, seed: 3, output: 'crf' })).tagger.save(model);
    const one = run('tag', '--model-file', model, '--input', test, '--threads', '1', '--probabilities');
    const two = run('tag', '--model-file', model, '--input', test, '--threads', '2', '--probabilities');
    expect(one.status, one.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const crfModel = join(dir, 'crf.model');
    (await trainCrf({ task: 'chunking', model: 'crf', train, mode: 'serial', threads: 1, passes: 1 })).tagger.save(crfModel);
    const crf = run('tag', '--model-file', crfModel, '--input', test, '--threads', '2');
    expect(crf.status).toBe(2);
    expect(crf.stderr).toMatch(/a CRF model tags on one thread/);
    expect(run('tag', '--model-file', crfModel, '--input', test).status).toBe(0);
  });
});
