// The README's library example, run as written (against the built package entry).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageFile } from '../src/runtime/package-root.js';

const root = mkdtempSync(join(tmpdir(), 'asyngrad-lib-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('library API (README example)', () => {
  it('train, predict, evaluate, save and load', async () => {
    const dir = mkdtempSync(join(root, 'example-'));
    const cut = (name: string, n: number) => {
      const p = join(dir, name);
      writeFileSync(p, readFileSync(packageFile('data', 'conll2000', name), 'utf8').split(/\n\s*\n/).slice(0, n).join('\n\n') + '\n');
      return p;
    };
    const trainFile = cut('train.txt', 800), testFile = cut('test.txt', 100);
    const { train, load } = await import(packageFile('dist', 'index.js'));
    // --- README example ---
    const passes: number[] = [];
    const { tagger } = await train({
      task: 'chunking', model: 'crf', train: trainFile, test: testFile,
      mode: 'async', threads: 2, passes: 4,
      onPass: (p: { pass: number; test?: { f1?: number } }) => passes.push(p.test!.f1!),
    });
    const tags = tagger.predict([[['He', 'PRP'], ['reckons', 'VBZ'], ['the', 'DT'], ['deficit', 'NN']]]);
    const score = tagger.evaluate(testFile);
    const scored = tagger.predictWithProbabilities([[['He', 'PRP'], ['reckons', 'VBZ'], ['the', 'DT'], ['deficit', 'NN']]]);
    tagger.save(join(dir, 'chunker.model'));
    const again = load(join(dir, 'chunker.model'));
    // --- end of example ---
    expect(passes).toHaveLength(4);
    expect(tags[0]).toHaveLength(4);
    expect(tags[0][0]).toBe('B-NP');
    expect(score.f1).toBeGreaterThan(75);
    expect(again.evaluate(testFile)).toEqual(score);
    expect(scored[0].tags).toEqual(tags[0]);
    expect(scored[0].probability).toBeGreaterThan(0);
    expect(scored[0].marginals).toHaveLength(4);
    // tokens without the POS column the model was trained on are refused, not tagged as nonsense
    expect(() => tagger.predict([['He', 'reckons']])).toThrow(/1 observation column, but the model was trained on 2/);
  });

  it('train: model defaults to crf, model lstm trains a Bi-LSTM, and a missing train file is named', async () => {
    const { train } = await import(packageFile('dist', 'index.js'));
    const data = packageFile('data', 'conll2000', 'train.txt');
    const dir = mkdtempSync(join(root, 'defaults-'));
    const small = join(dir, 'small.txt');
    writeFileSync(small, readFileSync(data, 'utf8').split(/\n\s*\n/).slice(0, 60).join('\n\n') + '\n');
    const crf = await train({ task: 'chunking', train: small, mode: 'serial', passes: 1 });
    expect(crf.tagger.header.model).toBe('crf');
    const lstm = await train({ task: 'chunking', model: 'lstm', train: small, mode: 'serial', passes: 1, hidden: 8 });
    expect(lstm.tagger.header.model).toBe('lstm');
    await expect(train({ task: 'seg' })).rejects.toThrow(/options\.train \(the training file\) is required \(segmentation has no bundled data set\)/);
    // as the CLI: without train, the bundled set (and its test set); mode async and every core by default
    const bundled = await train({ task: 'chunking', passes: 1 });
    expect(bundled.info.sentences).toBe(8936);
    expect(bundled.history[0].test.f1).toBeGreaterThan(85);
    expect(bundled.history[0].gradientErrorRate.length).toBe(Math.min(availableParallelism(), 64));
    // a bad option is an OptionError (exported), naming the option as the CLI spells it
    const { OptionError } = await import(packageFile('dist', 'index.js'));
    const bad = train({ task: 'chunking', train: small, mode: 'serial', passes: 1, lr: -1 });
    await expect(bad).rejects.toBeInstanceOf(OptionError);
    await expect(train({ task: 'chunking', train: small, mode: 'serial', passes: 1, lr: -1 })).rejects.toThrow(/--lr must be a number from/);
  });
});
