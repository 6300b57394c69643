// Data readers: column files, segmented text, derived columns; errors naming file:line; real data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readColumnFile, readColumnText } from '../src/data/column.js';
import { addPosColumns, addSegColumns, charClass, POS_DERIVED_COLUMNS, wordShape } from '../src/data/derived.js';
import { DataError } from '../src/data/errors.js';
import { keepChunkTypes } from '../src/data/chunk-types.js';
import { taskSpec } from '../src/train/tasks.js';
import { conlleval } from '../src/eval/conlleval.js';
import { readSegmentedFile, readSegmentedText, tagsToWords, wordsToTags } from '../src/data/segmented.js';

const tmp = mkdtempSync(join(tmpdir(), 'asyngrad-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function thrown(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('readColumnText', () => {
  it('reads tokens, tags and first lines; tabs, space runs, CRLF, extra blank lines', () => {
    const text = '\n\nHe PRP B-NP\r\nreckons\tVBZ  B-VP\r\n\r\n  \t\n\nThe DT B-NP\ncat NN I-NP\n\n\n';
    const s = readColumnText(text, 'x.txt');
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({
      tokens: [['He', 'PRP'], ['reckons', 'VBZ']],
      tags: ['B-NP', 'B-VP'],
      line: 3,
      source: 'x.txt',
    });
    expect(s[1]).toMatchObject({ tokens: [['The', 'DT'], ['cat', 'NN']], tags: ['B-NP', 'I-NP'], line: 8 });
  });

  it('needs no blank line at the end, drops a byte-order mark, keeps non-ASCII spaces inside fields', () => {
    const s = readColumnText('\uFEFFa\u00A0b X\nc Y', 'x.txt');
    expect(s).toHaveLength(1);
    expect(s[0]!.tokens).toEqual([['a\u00A0b'], ['c']]);
    expect(s[0]!.tags).toEqual(['X', 'Y']);
  });

  it('unlabeled: every column is an observation, tags are empty', () => {
    const s = readColumnText('He PRP\nran VBD\n', 'x.txt', { labeled: false });
    expect(s[0]!.tokens).toEqual([['He', 'PRP'], ['ran', 'VBD']]);
    expect(s[0]!.tags).toEqual([]);
    // a single column is fine without labels
    expect(readColumnText('He\nran\n', 'x.txt', { labeled: false })[0]!.tokens).toEqual([['He'], ['ran']]);
  });

  it('inconsistent column count names file and line', () => {
    const e = thrown(() => readColumnText('a b c\nd e f\n\ng h\n', 'train.txt'));
    expect(e.message).toBe('train.txt:4: expected 3 columns, found 2');
    expect([e.file, e.line]).toEqual(['train.txt', 4]);
    // also across sentences and with more columns
    expect(thrown(() => readColumnText('a\tb\n\nc d e\n', 'f.txt')).message).toBe('f.txt:3: expected 2 columns, found 3');
  });

  it('empty or blank file', () => {
    expect(thrown(() => readColumnText('', 'empty.txt')).message).toMatch(/^empty\.txt: no sentences/);
    const e = thrown(() => readColumnText('\n  \r\n\n', 'blank.txt'));
    expect(e.line).toBeUndefined();
  });

  it('a labeled line with a single column', () => {
    const e = thrown(() => readColumnText('\nword\n', 'one.txt'));
    expect(e.message).toMatch(/^one\.txt:2: labeled data needs at least 2 columns/);
  });

  it('invalid UTF-8 names the line of the bad byte', () => {
    const path = join(tmp, 'bad.txt');
    const bytes = Buffer.concat([
      Buffer.from('ok O\ncaf\u00e9 O\n\n', 'utf8'),
      Buffer.from([0x62, 0xff, 0x61, 0x64, 0x20, 0x4f, 0x0a]), // "b\xFFad O\n" on line 4
      Buffer.from('end O\n', 'utf8'),
    ]);
    writeFileSync(path, bytes);
    const e = thrown(() => readColumnFile(path));
    expect(e.line).toBe(4);
    expect(e.message).toContain(`${path}:4: invalid UTF-8 (byte 0xff at byte 2 of the line`);
    // a multi-byte sequence cut short by the end of the line
    writeFileSync(path, Buffer.concat([Buffer.from('a O\n'), Buffer.from([0xe4, 0xb8, 0x0a])]));
    expect(thrown(() => readColumnFile(path)).line).toBe(2);
    // a valid file reads
    writeFileSync(path, 'caf\u00e9 O\n');
    expect(readColumnFile(path)[0]!.tokens).toEqual([['caf\u00e9']]);
  });
});

describe('NP chunks only (--task np-chunking)', () => {
  it('keeps the kept types\' tags, BIO and IOBES alike, and turns every other tag into O', () => {
    const s = readColumnText('He PRP B-NP\nreckons VBZ B-VP\nthe DT B-NP\ndeficit NN I-NP\nwill MD B-VP\nnarrow VB I-VP\nto TO B-PP\nonly RB S-NP\n, , O\n', 'x.txt');
    expect(keepChunkTypes(s, ['NP'])[0].tags).toEqual(['B-NP', 'O', 'B-NP', 'I-NP', 'O', 'O', 'O', 'S-NP', 'O']);
    expect(keepChunkTypes(s, ['NP', 'VP'])[0].tags).toEqual(['B-NP', 'B-VP', 'B-NP', 'I-NP', 'B-VP', 'I-VP', 'O', 'S-NP', 'O']);
    // the input is not changed, and unlabeled sentences pass through
    expect(s[0].tags[1]).toBe('B-VP');
    const bare = readColumnText('He PRP\n', 'x.txt', { labeled: false });
    expect(keepChunkTypes(bare, ['NP'])).toEqual(bare);
  });

  it('the np-chunking task reads a CoNLL-2000 file as its NP chunks: conlleval then scores exactly the NP row of full chunking', () => {
    const text = 'Confidence NN B-NP\nin IN B-PP\nthe DT B-NP\npound NN I-NP\nis VBZ B-VP\nwidely RB I-VP\nexpected VBN I-VP\n\nRockwell NNP B-NP\nsaid VBD B-VP\nthe DT B-NP\nagreement NN I-NP\n';
    const full = taskSpec('chunking').readText(text, 'x.txt');
    const np = taskSpec('np-chunking').readText(text, 'x.txt');
    expect(np.map((s) => s.tokens)).toEqual(full.map((s) => s.tokens));
    expect(new Set(np.flatMap((s) => s.tags))).toEqual(new Set(['B-NP', 'I-NP', 'O']));
    // a prediction that gets one NP wrong and every VP/PP wrong: the NP task's F1 is full chunking's NP F1
    const pred = [['B-NP', 'O', 'B-NP', 'B-NP', 'O', 'O', 'O'], ['B-NP', 'O', 'B-NP', 'I-NP']];
    const npScore = conlleval(np.map((s) => s.tags), pred);
    expect(npScore.f1).toBeCloseTo(conlleval(full.map((s) => s.tags), pred).byType.NP.f1, 10);
    expect(npScore.precision).toBeCloseTo(60, 10);
    expect(npScore.recall).toBeCloseTo(75, 10);
  });
});

describe('segmented text', () => {
  it('B/M/E/S tags per code point, line numbers, whitespace runs', () => {
    const s = readSegmentedText('我们 喜欢  北京天安门\r\n\n\u3000\n𠀀a 好\n', 'w.txt');
    expect(s).toHaveLength(2);
    expect(s[0]!.tokens.map((t) => t[0])).toEqual(Array.from('我们喜欢北京天安门'));
    expect(s[0]!.tags).toEqual(['B', 'E', 'B', 'E', 'B', 'M', 'M', 'M', 'E']);
    expect(s[0]!.line).toBe(1);
    // U+20000 is one token (a surrogate pair in UTF-16)
    expect(s[1]).toMatchObject({ tokens: [['𠀀'], ['a'], ['好']], tags: ['B', 'E', 'S'], line: 4, oneLine: true });
  });

  it('unlabeled raw text: one token per character, no tags', () => {
    const s = readSegmentedText('我们 喜欢\n', 'raw.txt', { labeled: false });
    expect(s[0]!.tokens).toEqual([['我'], ['们'], ['喜'], ['欢']]);
    expect(s[0]!.tags).toEqual([]);
  });

  it('empty file is an error; files are decoded strictly', () => {
    expect(thrown(() => readSegmentedText('\n\n', 'e.txt')).message).toMatch(/^e\.txt: no sentences/);
    const path = join(tmp, 'seg-bad.txt');
    writeFileSync(path, Buffer.concat([Buffer.from('我们 好\n'), Buffer.from([0xc3, 0x28, 0x0a])]));
    expect(thrown(() => readSegmentedFile(path)).line).toBe(2);
  });

  it('tagsToWords repairs invalid sequences', () => {
    const w = (chars: string, tags: string) => tagsToWords(Array.from(chars), tags.split(' '));
    expect(w('abcde', 'B E S B E')).toEqual(['ab', 'c', 'de']);
    expect(w('abc', 'B S S')).toEqual(['a', 'b', 'c']); // B followed by S closes the word
    expect(w('abc', 'M E S')).toEqual(['ab', 'c']); // M at the start opens a word
    expect(w('abc', 'E B E')).toEqual(['a', 'bc']); // E at the start is a word by itself
    expect(w('abcd', 'B B M E')).toEqual(['a', 'bcd']);
    expect(w('abc', 'B M M')).toEqual(['abc']); // open word closed at the end
    expect(w('ab', 'S E')).toEqual(['a', 'b']);
    expect(w('ab', 'X O')).toEqual(['a', 'b']); // unknown tags act as S
    expect(() => tagsToWords(['a'], [])).toThrow();
  });

  it('tagsToWords inverts wordsToTags (property)', () => {
    const word = fc.array(fc.constantFrom('我', '们', 'a', '𠀀', '1'), { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (words) => {
        const { chars, tags } = wordsToTags(words);
        expect(tagsToWords(chars, tags)).toEqual(words);
      }),
      { numRuns: 300 },
    );
  });
});

describe('derived columns', () => {
  it('POS columns in the documented order, input untouched', () => {
    const input = readColumnText('Mr. NNP\nwell-known JJ\n1,000 CD\nas IN\n', 'p.txt');
    const out = addPosColumns(input);
    expect(input[0]!.tokens[0]).toEqual(['Mr.']);
    const col = (i: number, name: (typeof POS_DERIVED_COLUMNS)[number]) => out[0]!.tokens[i]![1 + POS_DERIVED_COLUMNS.indexOf(name)];
    expect(out[0]!.tokens[0]).toEqual(['Mr.', 'mr.', '.', 'r.', 'mr.', '_', 'm', 'mr', 'mr.', 'Xx.', '0', '0', '1']);
    expect(out[0]!.tokens[1]).toEqual([
      'well-known', 'well-known', 'n', 'wn', 'own', 'nown', 'w', 'we', 'wel', 'x-x', '0', '1', '0',
    ]);
    expect(col(2, 'shape')).toBe('d,d');
    expect(col(2, 'hasDigit')).toBe('1');
    expect(col(3, 'suf4')).toBe('_');
    expect(col(3, 'pre3')).toBe('_');
    expect(out[0]!.tags).toEqual(['NNP', 'JJ', 'CD', 'IN']);
  });

  it('shapes and character classes', () => {
    expect(wordShape('U.S.')).toBe('X.X.');
    expect(wordShape('iPhone4')).toBe('xXxd');
    expect(wordShape('Émile')).toBe('Xx');
    expect(['7', '７', 'a', 'Ｚ', 'é', '中', '，', '!', '😀', 'あ'].map(charClass)).toEqual([
      'D', 'D', 'L', 'L', 'L', 'C', 'P', 'P', 'P', 'O',
    ]);
    const s = addSegColumns(readSegmentedText('我 爱 NLP 2016 ！', 's.txt'));
    expect(s[0]!.tokens.map((t) => t[1]).join('')).toBe('CCLLLDDDDP');
  });
});

describe('bundled and shared data', () => {
  it('CoNLL-2000: 8,936 / 2,012 sentences, 211,727 / 47,377 tokens, 22 chunk tags in train', () => {
    const train = readColumnFile('data/conll2000/train.txt');
    expect(train).toHaveLength(8936);
    expect(train.reduce((a, s) => a + s.tokens.length, 0)).toBe(211727);
    expect(train.every((s) => s.tokens.every((t) => t.length === 2) && s.tags.length === s.tokens.length)).toBe(true);
    expect(new Set(train.flatMap((s) => s.tags)).size).toBe(22);
    expect(new Set(train.flatMap((s) => s.tokens.map((t) => t[1]))).size).toBe(44);
    expect(train[0]!.tokens[0]).toEqual(['Confidence', 'NN']);
    expect(train[1]!.line).toBe(train[0]!.tokens.length + 2);
    const test = readColumnFile('data/conll2000/test.txt');
    expect([test.length, test.reduce((a, s) => a + s.tokens.length, 0)]).toEqual([2012, 47377]);
  });

  it('UD-EWT POS: 12,544 / 2,001 / 2,077 sentences, 49 XPOS tags in train', () => {
    const counts = (['train', 'dev', 'test'] as const).map((f) => {
      const s = readColumnFile(`data/ud-ewt-pos/${f}.txt`);
      return [s.length, s.reduce((a, x) => a + x.tokens.length, 0), new Set(s.flatMap((x) => x.tags)).size];
    });
    expect(counts).toEqual([
      [12544, 204577, 49],
      [2001, 25147, 49],
      [2077, 25094, 48],
    ]);
  });

  it.skipIf(!existsSync('/work/shared/data/weibo/train.txt'))('Weibo (shared, not bundled): 20,135 lines, 421,161 words, 688,713 characters', () => {
    const s = readSegmentedFile('/work/shared/data/weibo/train.txt');
    expect(s).toHaveLength(20135);
    expect(s.reduce((a, x) => a + x.tokens.length, 0)).toBe(688713);
    let words = 0;
    for (const x of s) words += tagsToWords(x.tokens.map((t) => t[0]!), x.tags).length;
    expect(words).toBe(421161);
  });
});
