// Pretrained embeddings for the Bi-LSTM (train --pretrained) and their export (dump --embeddings):
// the reader of word2vec / GloVe / fastText text files, the rows they set, and the round trip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conllSubset } from './helpers.js';
import { readPretrained } from '../src/models/lstm/pretrained.js';
import { trainLstm, type TrainLstmOptions } from '../src/train/train-lstm.js';
import { loadTagger } from '../src/models/load.js';
import { LstmTagger } from '../src/models/lstm/tagger.js';
import { embeddingLines } from '../src/cli/dump.js';
import { DataError } from '../src/data/errors.js';
import { packageFile } from '../src/runtime/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-pretrained-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const subset = (name: string, n: number): string => conllSubset(dir, name, n);

describe('reading pretrained vectors', () => {
  it('reads GloVe (no header) and word2vec/fastText (a "count dim" header) files alike', () => {
    const glove = readPretrained(file('g.txt', 'the 0.5 -1.25 3\nof 1e-3 2 -0.5\n'));
    expect(glove).toMatchObject({ words: ['the', 'of'], dim: 3 });
    expect(Array.from(glove.vectors)).toEqual([0.5, -1.25, 3, Math.fround(1e-3), 2, -0.5]);
    // header, BOM, CRLF, tabs, trailing spaces and blank lines
    const w2v = readPretrained(file('w.vec', '\ufeff2 2\r\nthe\t0.5 1 \r\n\r\nNew York 3 4\r\n'));
    expect(w2v).toMatchObject({ words: ['the', 'New York'], dim: 2 });
    expect(Array.from(w2v.vectors)).toEqual([0.5, 1, 3, 4]);
  });

  it('maps entries as the model\'s field does and keeps the first of two that meet', () => {
    const p = readPretrained(file('case.txt', 'The 1 1\nthe 2 2\nDog 3 3\n'), { normalize: (w) => w.toLowerCase() });
    expect(p.words).toEqual(['the', 'dog']);
    expect(Array.from(p.vectors)).toEqual([1, 1, 3, 3]);
    // keep sees each distinct entry with its rank
    const ranks: Array<[string, number]> = [];
    const kept = readPretrained(file('keep.txt', 'a 1\nb 2\na 3\nc 4\n'), { keep: (w, r) => (ranks.push([w, r]), w !== 'b') });
    expect(ranks).toEqual([['a', 0], ['b', 1], ['c', 2]]);
    expect(kept.words).toEqual(['a', 'c']);
    expect(Array.from(kept.vectors)).toEqual([1, 4]);
  });

  it('reads in chunks: lines that cross a chunk\'s end, or are longer than a chunk, read the same', () => {
    const text = '3 4\nalpha 0.25 -1 2 3\nb 1 2 3 4\nlonger-entry-name 5 6 7 8.5\n';
    const whole = readPretrained(file('chunks.vec', text));
    for (const chunkBytes of [1, 2, 7, 13, 64]) expect(readPretrained(file('chunks.vec', text), { chunkBytes })).toEqual(whole);
    // no final newline
    expect(readPretrained(file('nonl.vec', text.trimEnd()), { chunkBytes: 5 })).toEqual(whole);
    expect(whole.words).toEqual(['alpha', 'b', 'longer-entry-name']);
    // a BOM, CRLF and multibyte characters split across chunk ends; a U+FEFF inside a value is kept
    const mb = '\ufeff2 2\r\n中文 1 2\r\n\ufeffé 3 4\r\n';
    const mbWhole = readPretrained(file('mb.vec', mb));
    expect(mbWhole.words).toEqual(['中文', '\ufeffé']);
    for (const chunkBytes of [1, 2, 3, 5, 7]) expect(readPretrained(file('mb.vec', mb), { chunkBytes })).toEqual(mbWhole);
    // an invalid byte is reported on its line whatever the chunking
    const bad = Buffer.concat([Buffer.from('a 1\nb 2\nc'), Buffer.from([0xe4, 0xb8]), Buffer.from(' 3\n')]);
    for (const chunkBytes of [1, 3, 64]) expect(() => readPretrained(file('bad.vec', bad), { chunkBytes })).toThrow(/bad\.vec:3: invalid UTF-8/);
  });

  it('refuses a bad file with its name and line', () => {
    const bad = (text: string | Buffer, re: RegExp) => {
      const p = file('bad.txt', text);
      expect(() => readPretrained(p)).toThrow(DataError);
      expect(() => readPretrained(p)).toThrow(re);
    };
    bad('a 1 2\nb 1 x\n', /bad\.txt:2: "x" is not a finite number/);
    bad('a 1 2\nb 1\n', /bad\.txt:2: 1 numbers where the first entry has 2/);
    bad('a 1 2\nb 1 2 3\n', /bad\.txt:2: 3 numbers where the first entry has 2/);
    bad('3 4\na 1 2 3\n', /bad\.txt:2: 3 numbers where the header has 4/);
    bad('a 1 NaN\n', /bad\.txt:1: "NaN" is not a finite number/);
    bad('\n\n', /bad\.txt: no vectors/);
    bad('onlyaword\n', /bad\.txt:1: expected a value followed by its vector/);
    expect(() => readPretrained(file('none.txt', 'a 1\n'), { keep: () => false })).toThrow(/none\.txt: no vectors: no entry of the file was kept/);
    expect(() => readPretrained(dir)).toThrow(/is a directory/);
    bad(Buffer.from([0x61, 0x20, 0x31, 0x0a, 0xff, 0x20, 0x31, 0x0a]), /bad\.txt:2: invalid UTF-8/);
    expect(() => readPretrained(join(dir, 'missing.vec'))).toThrow(/missing\.vec: no such file/);
  });
});

describe('training from pretrained vectors', () => {
  const base: TrainLstmOptions = { task: 'chunking', train: subset('train.txt', 150), mode: 'serial', threads: 1, passes: 1, hidden: 8, seed: 3 };
  // "Confidence" is the first word of CoNLL-2000 train.txt; "zyzzyva" is not in the data
  const vec = file('vec.txt', '3 5\nConfidence 0.5 -0.25 0.125 1 -1\nzyzzyva 1 2 3 4 5\nthe 0 0 0 0 0.75\n');
  const row = (t: LstmTagger, word: string) => {
    const L = t.layout();
    const id = t.header.vocabs[0].indexOf(word);
    expect(id, word).toBeGreaterThan(0);
    return Array.from(t.weights.subarray(L.embOff[0] + id * L.dims[0], L.embOff[0] + (id + 1) * L.dims[0]));
  };

  it('starts the word rows from the file (looked up lowercased), takes its size, and adds its words to the vocabulary', async () => {
    // a learning rate so small that one pass leaves the rows where they started (to ~1e-9)
    const r = await trainLstm({ ...base, pretrained: vec, lr: 1e-9 });
    const t = r.tagger;
    expect(t.header.dims).toEqual([5, 80]);
    expect(t.layout().I).toBe(85);
    for (const [w, v] of [['confidence', [0.5, -0.25, 0.125, 1, -1]], ['the', [0, 0, 0, 0, 0.75]]] as const) {
      row(t, w).forEach((x, j) => expect(x).toBeCloseTo(v[j], 6));
    }
    // not in the training data: in the vocabulary, and never moved by training
    expect(row(t, 'zyzzyva')).toEqual([1, 2, 3, 4, 5]);
    // without the file the same rows start at random
    const plain = await trainLstm({ ...base, lr: 1e-9 });
    expect(plain.tagger.header.vocabs[0]).not.toContain('zyzzyva');
    expect(Math.abs(row(plain.tagger, 'the')[4] - 0.75)).toBeGreaterThan(0.1);
  });

  it('--pretrained-max N adds only the file\'s first N new entries; training words\' entries are used wherever they are', async () => {
    // zyzzyva is rank 1, "the" rank 2: with max 1 zyzzyva joins, with 0 it does not; "the" always gets its vector
    for (const max of [0, 1]) {
      const r = await trainLstm({ ...base, pretrained: vec, pretrainedMax: max, lr: 1e-9 });
      expect(r.tagger.header.vocabs[0].includes('zyzzyva')).toBe(max === 1);
      row(r.tagger, 'the').forEach((x, j) => expect(x).toBeCloseTo([0, 0, 0, 0, 0.75][j], 6));
    }
    await expect(trainLstm({ ...base, pretrainedMax: 3 })).rejects.toThrow(/--pretrained-max applies with --pretrained/);
  });

  it('for segmentation only single characters join the character table', async () => {
    const seg = file('seg.txt', '我们 喜欢 学习\n中国 大学\n');
    const chars = file('chars.vec', '中 1 1\n中国 2 2\n龍 3 3\n学生 4 4\n');
    const r = await trainLstm({ task: 'seg', train: seg, mode: 'serial', threads: 1, passes: 1, hidden: 4, seed: 1, pretrained: chars });
    const v = r.tagger.header.vocabs[0];
    expect(v).toContain('龍');
    expect(v).not.toContain('中国');
    expect(v).not.toContain('学生');
    expect(r.tagger.header.dims![0]).toBe(2);
  });

  it('a model trained with them saves, loads and tags the same; dump --embeddings reads back exactly', async () => {
    const r = await trainLstm({ ...base, pretrained: vec, lr: 0.01, passes: 2 });
    const path = join(dir, 'pre.model');
    r.tagger.save(path);
    const loaded = loadTagger(path) as LstmTagger;
    expect(loaded.header.dims).toEqual([5, 80]);
    const sents = [[['Zyzzyva', 'NN'], ['rose', 'VBD'], ['sharply', 'RB']]];
    expect(loaded.predict(sents)).toEqual(r.tagger.predict(sents));
    const out = file('dumped.vec', [...embeddingLines(loaded, 'word')].join('\n') + '\n');
    const back = readPretrained(out);
    expect(back.dim).toBe(5);
    expect(back.words).toEqual(loaded.header.vocabs[0].slice(1));
    const L = loaded.layout();
    expect(back.vectors).toEqual(loaded.weights.slice(L.embOff[0] + 5, L.embOff[0] + 5 * loaded.header.vocabs[0].length));
    // and as a start for another run: its rows are the dumped ones
    const again = await trainLstm({ ...base, pretrained: out, lr: 1e-9 });
    row(again.tagger, 'zyzzyva').forEach((x, j) => expect(x).toBe(back.vectors[back.words.indexOf('zyzzyva') * 5 + j]));
  });

  it('the CLI takes --pretrained for the Bi-LSTM only, and dump --embeddings names the fields', () => {
    const cli = packageFile('dist', 'cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const crf = run('train', '--model', 'crf', '--train', base.train, '--pretrained', vec, '--passes', '1');
    expect(crf.status).toBe(2);
    expect(crf.stderr).toMatch(/--pretrained applies to --model lstm/);
    const bad = run('train', '--model', 'lstm', '--train', base.train, '--pretrained', file('b.vec', 'a 1 2\nb 1 x\n'), '--passes', '1');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(/b\.vec:2: "x" is not a finite number/);
    const model = join(dir, 'cli.model');
    expect(run('train', '--model', 'lstm', '--hidden', '4', '--train', base.train, '--pretrained', vec, '--passes', '1', '--mode', 'serial', '--out', model).status).toBe(0);
    const d = run('dump', '--model-file', model, '--embeddings', 'word');
    expect(d.status).toBe(0);
    const lines = d.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\d+ 5$/);
    expect(lines.find((l) => l.startsWith('zyzzyva '))).toBe('zyzzyva 1 2 3 4 5');
    const pos = run('dump', '--model-file', model, '--embeddings', 'pos');
    expect(pos.stdout.split('\n')[0]).toMatch(/^\d+ 80$/);
    const wrong = run('dump', '--model-file', model, '--embeddings', 'char');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/input fields are word, pos/);
  });
});
