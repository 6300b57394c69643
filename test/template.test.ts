// CRF++ templates, feature dictionary (count order, edge rules), CSR extraction, real-data sizes.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readColumnFile, readColumnText } from '../src/data/column.js';
import { addPosColumns, addSegColumns } from '../src/data/derived.js';
import { DataError } from '../src/data/errors.js';
import { readSegmentedFile } from '../src/data/segmented.js';
import type { Sentence } from '../src/data/types.js';
import { FeatureDictionary, LabelDictionary } from '../src/features/dictionary.js';
import { extract, type Extracted } from '../src/features/extract.js';
import { builtinTemplatePath, expandToken, parseTemplate, readTemplateFile } from '../src/features/template.js';

function thrown(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

/** feature strings of token t, sorted */
function tokenFeatures(x: Extracted, dict: FeatureDictionary, t: number): string[] {
  return Array.from(x.featIds.subarray(x.featStart[t]!, x.featStart[t + 1]!), (id) => dict.features[id]!).sort();
}

describe('parseTemplate', () => {
  it('parses U lines, B, comments and blank lines', () => {
    const t = parseTemplate('# c\n\nU00:%x[-2,0]\n  U05:%x[-1,0]/%x[0,1]  \nU99\n# Bigram\nB\n', 't.txt');
    expect(t.hasBigram).toBe(true);
    expect(t.maxCol).toBe(1);
    expect(t.lines.map((l) => [l.text, l.line])).toEqual([
      ['U00:%x[-2,0]', 3],
      ['U05:%x[-1,0]/%x[0,1]', 4],
      ['U99', 5],
    ]);
    expect(t.lines[1]!.macros).toEqual([
      { row: -1, col: 0 },
      { row: 0, col: 1 },
    ]);
    expect(t.lines[1]!.parts).toEqual(['U05:', '/', '']);
    expect(parseTemplate('U00:%x[0,0]\n', 't.txt').hasBigram).toBe(false);
  });

  it('expands with CRF++ boundary padding', () => {
    const t = parseTemplate('U00:%x[-2,0]\nU01:%x[-1,0]/%x[0,1]\nU02:%x[1,0]/%x[2,0]\nU03:%x[3,1]\nU04\n', 't.txt');
    const toks = [
      ['He', 'PRP'],
      ['ran', 'VBD'],
    ];
    expect(expandToken(t, toks, 0)).toEqual(['U00:_B-2', 'U01:_B-1/PRP', 'U02:ran/_B+1', 'U03:_B+2', 'U04']);
    expect(expandToken(t, toks, 1)).toEqual(['U00:_B-1', 'U01:He/VBD', 'U02:_B+1/_B+2', 'U03:_B+3', 'U04']);
  });

  it('syntax errors name source:line', () => {
    expect(thrown(() => parseTemplate('U00:%x[0,0]\nX01:%x[0,0]\n', 'a.txt')).message).toMatch(/^a\.txt:2: unknown template type 'X'/);
    expect(thrown(() => parseTemplate('\nU00:%x[0]\n', 'a.txt')).message).toMatch(/^a\.txt:2: bad macro at column 5/);
    expect(thrown(() => parseTemplate('U00:%y[0,0]\n', 'a.txt')).line).toBe(1);
    expect(thrown(() => parseTemplate('U00:%x[0,-1]\n', 'a.txt')).line).toBe(1);
    expect(thrown(() => parseTemplate('U00:%x[a,0]\n', 'a.txt')).line).toBe(1);
    const dup = thrown(() => parseTemplate('U00:%x[0,0]\nU01:%x[1,0]\nU01:%x[0,1]\n', 'a.txt'));
    expect(dup.message).toMatch(/^a\.txt:3: template identifier U01 is already used on line 2/);
    expect(thrown(() => parseTemplate('U00:%x[0,0]\nU00:%x[0,0]\n', 'a.txt')).message).toMatch(/^a\.txt:2: duplicate template/);
  });

  it('B lines with macros are edge-only observation lines (CRF++); a bare B is the transitions', () => {
    const t = parseTemplate('U00:%x[0,0]\n\nB01:%x[-1,0]/%x[0,0]\nB\n', 'rich.txt');
    expect(t.hasBigram).toBe(true);
    expect(t.lines.map((l) => [l.text, l.line, l.edgeOnly])).toEqual([['U00:%x[0,0]', 1, false], ['B01:%x[-1,0]/%x[0,0]', 3, true]]);
    expect(t.lines[1]!.macros).toEqual([{ row: -1, col: 0 }, { row: 0, col: 0 }]);
    // a B line alone (with macros) also gives the transitions, and its identifier is checked as U's are
    expect(parseTemplate('U00:%x[0,0]\nB01:%x[0,0]\n', 'b.txt').hasBigram).toBe(true);
    expect(thrown(() => parseTemplate('U00:%x[0,0]\nB01:%x[0,0]\nB01:%x[1,0]\n', 'b.txt')).message).toMatch(/^b\.txt:3: template identifier B01 is already used on line 2/);
  });

  it('a column the data lacks is reported when the template is applied, naming the template line', () => {
    const t = parseTemplate('U00:%x[0,0]\n# x\nU10:%x[0,5]\n', 'pos.txt');
    const data = readColumnText('a b c X\n', 'train.txt'); // 3 observation columns
    const e = thrown(() => FeatureDictionary.build(data, t));
    expect([e.file, e.line]).toEqual(['pos.txt', 3]);
    expect(e.message).toBe(
      'pos.txt:3: U10:%x[0,5] uses column 5, but train.txt has 3 observation columns counting the derived ones the task appends after the file\'s own (0..2; README "Tasks and data formats"; the tag column is not visible to templates)',
    );
    // and in extract (e.g. test data with fewer columns than the training data)
    const ok = parseTemplate('U00:%x[0,2]\n', 'ok.txt');
    const dict = FeatureDictionary.build(data, ok);
    const narrow = readColumnText('a b X\n', 'test.txt');
    expect(thrown(() => extract(narrow, ok, dict, LabelDictionary.build(data))).message).toMatch(/^ok\.txt:1: .*test\.txt has 2/);
  });

  it('the shipped templates parse', () => {
    const c = readTemplateFile(builtinTemplatePath('chunking-crfpp'));
    expect([c.lines.length, c.hasBigram, c.maxCol]).toEqual([19, true, 1]);
    // the default chunking template: the classic 19 first, then word x POS and derived-column features
    const r = readTemplateFile(builtinTemplatePath('chunking'));
    expect([r.lines.length, r.hasBigram, r.maxCol]).toEqual([30, true, 10]);
    expect(r.lines.slice(0, 19).map((u) => u.text)).toEqual(c.lines.map((u) => u.text));
    const p = readTemplateFile(builtinTemplatePath('pos'));
    expect(p.hasBigram).toBe(true);
    expect(p.maxCol).toBe(12); // the 12 derived columns after the word
    const s = readTemplateFile(builtinTemplatePath('seg'));
    expect([s.maxCol, s.hasBigram]).toEqual([1, true]);
  });
});

describe('FeatureDictionary', () => {
  // words: a b a | b a c   template: U0 = current word, U1 = previous word
  const data = readColumnText('a X\nb Y\na X\n\nb Y\na X\nc Z\n', 'd.txt');
  const t = parseTemplate('U0:%x[0,0]\nU1:%x[-1,0]\n', 'd.tpl');

  it('assigns ids by descending count, ties by first occurrence', () => {
    // counts: U0:a 3, U1:_B-1 2, U0:b 2, U1:a 2, U1:b 2, U0:c 1
    // first occurrences: U0:a, U1:_B-1, U0:b, U1:a, U1:b, U0:c
    const d = FeatureDictionary.build(data, t);
    expect(d.features).toEqual(['U0:a', 'U1:_B-1', 'U0:b', 'U1:a', 'U1:b', 'U0:c']);
    expect(Array.from(d.counts)).toEqual([3, 2, 2, 2, 2, 1]);
    expect(d.id('U0:b')).toBe(2);
    expect(d.id('U0:zzz')).toBe(-1);
  });

  it('minCount drops rare features; edgeCount gives the prefix', () => {
    const d = FeatureDictionary.build(data, t, { minCount: 2 });
    expect(d.features).toEqual(['U0:a', 'U1:_B-1', 'U0:b', 'U1:a', 'U1:b']);
    const full = FeatureDictionary.build(data, t);
    expect(full.edgeCount({ minCount: 3 })).toBe(1); // count > 2
    expect(full.edgeCount({ minCount: 2 })).toBe(5);
    expect(full.edgeCount({ minCount: 1 })).toBe(6);
    expect(full.edgeCount({ minCount: 100 })).toBe(0);
    expect(full.edgeCount({ topFraction: 0.5 })).toBe(3);
    expect(full.edgeCount({ topFraction: 1 })).toBe(6);
    expect(full.edgeCount({ topFraction: 0.5, minCount: 3 })).toBe(1);
    expect(() => full.edgeCount({})).toThrow();
    expect(() => full.edgeCount({ topFraction: 1.5 })).toThrow();
  });

  it('edge-only features (B lines with macros) come first, each group by count; edgeCount adds them to the rule', () => {
    // B features (the current word again, as a label-pair feature), counted from each sentence's
    // second token on as in CRF++: B2:b 1 (first), B2:a 2, B2:c 1; the first tokens' a and b are not
    const tb = parseTemplate('U0:%x[0,0]\nU1:%x[-1,0]\nB2:%x[0,0]\n', 'd.tpl');
    const d = FeatureDictionary.build(data, tb);
    expect(d.features).toEqual(['B2:a', 'B2:b', 'B2:c', 'U0:a', 'U1:_B-1', 'U0:b', 'U1:a', 'U1:b', 'U0:c']);
    expect(Array.from(d.counts)).toEqual([2, 1, 1, 3, 2, 2, 2, 2, 1]);
    expect(d.edgeOnly).toBe(3);
    expect(d.edgeCount({ minCount: 3 })).toBe(3 + 1);
    expect(d.edgeCount({ minCount: 100 })).toBe(3);
    expect(d.edgeCount({ topFraction: 0.5 })).toBe(3 + 3);
    expect(FeatureDictionary.fromArrays(d.features).edgeOnly).toBe(3);
    // extraction lists them as ~id, and not at a sentence's first token
    const x = extract(data, tb, d, LabelDictionary.build(data));
    const first = Array.from(x.featIds.subarray(x.featStart[0]!, x.featStart[1]!));
    expect(first.every((f) => f >= 0)).toBe(true);
    const second = Array.from(x.featIds.subarray(x.featStart[1]!, x.featStart[2]!));
    expect(second).toContain(~d.id('B2:b'));
    // a saved dictionary with a B feature after a U one is refused
    expect(() => FeatureDictionary.fromArrays(['U0:a', 'B2:a'])).toThrow(/edge-only feature "B2:a" after the first U feature/);
  });

  it('labels in order of first appearance', () => {
    const l = LabelDictionary.build(data);
    expect(l.labels).toEqual(['X', 'Y', 'Z']);
    expect([l.id('Z'), l.id('Q')]).toEqual([2, -1]);
  });

  it('saved arrays give the same dictionary', () => {
    const d = FeatureDictionary.build(data, t);
    const d2 = FeatureDictionary.fromArrays(d.features, d.counts);
    expect(d2.features).toEqual(d.features);
    expect(d2.edgeCount({ minCount: 2 })).toBe(5);
    expect(() => FeatureDictionary.fromArrays(['a', 'a'])).toThrow(/duplicate/);
  });
});

describe('extract', () => {
  const train = readColumnText('the DT B\ncat NN I\nsat VBD O\n\nthe DT B\ndog NN I\n', 'train.txt');
  const t = parseTemplate('U00:%x[0,0]\nU01:%x[-1,0]/%x[0,0]\nU02:%x[0,1]\n', 'x.tpl');
  const dict = FeatureDictionary.build(train, t);
  const labels = LabelDictionary.build(train);

  it('produces CSR arrays with ascending ids per token', () => {
    const x = extract(train, t, dict, labels);
    expect(Array.from(x.tokStart)).toEqual([0, 3, 5]);
    expect(Array.from(x.featStart)).toEqual([0, 3, 6, 9, 12, 15]);
    expect(Array.from(x.labels)).toEqual([0, 1, 2, 0, 1]);
    for (let k = 0; k < 5; k++) {
      const ids = Array.from(x.featIds.subarray(x.featStart[k]!, x.featStart[k + 1]!));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(tokenFeatures(x, dict, 1)).toEqual(['U00:cat', 'U01:the/cat', 'U02:NN']);
  });

  it('drops unknown features; unlabeled input gets label -1', () => {
    const test = readColumnText('the JJ\nbird NN\n', 'raw.txt', { labeled: false });
    const x = extract(test, t, dict, labels);
    expect(tokenFeatures(x, dict, 0)).toEqual(['U00:the', 'U01:_B-1/the']);
    expect(tokenFeatures(x, dict, 1)).toEqual(['U02:NN']);
    expect(Array.from(x.labels)).toEqual([-1, -1]);
  });

  it('a tag unseen in training is an error naming file:line, or -1 with unknownTag ignore', () => {
    const test = readColumnText('\nthe DT B\ncat NN I\n\nsat VBD X\n', 'test.txt');
    const e = thrown(() => extract(test, t, dict, labels));
    expect([e.file, e.line]).toEqual(['test.txt', 5]);
    expect(e.message).toMatch(/^test\.txt:5: tag 'X' was not seen in the training data/);
    const x = extract(test, t, dict, labels, { unknownTag: 'ignore' });
    expect(Array.from(x.labels)).toEqual([0, 1, -1]);
  });

  it('feature identity is the expanded string, even when values contain the separator', () => {
    // U01 on ("a/b", "c") and on ("a", "b/c") both expand to "U01:a/b/c": one feature
    const tr = readColumnText('a/b X\nc X\n\na X\nb/c X\n', 'slash.txt');
    const tp = parseTemplate('U01:%x[-1,0]/%x[0,0]\n', 's.tpl');
    const d = FeatureDictionary.build(tr, tp);
    expect(d.id('U01:a/b/c')).toBe(0);
    expect(d.counts[0]).toBe(2);
    // and at extraction, also for a value never seen in training ("b/c" after "a" in new data)
    const te = readColumnText('a X\nb/c X\n', 'slash-test.txt');
    const x = extract(te, tp, d, LabelDictionary.build(tr));
    expect(tokenFeatures(x, d, 1)).toEqual(['U01:a/b/c']);
    const te2 = readColumnText('x/a X\nb/c X\n', 'slash-test2.txt'); // "U01:x/a/b/c": unknown
    expect(tokenFeatures(extract(te2, tp, d, LabelDictionary.build(tr)), d, 1)).toEqual([]);
  });
});

describe('real data', () => {
  const chunking = readTemplateFile(builtinTemplatePath('chunking-crfpp'));

  it('CoNLL-2000 train with the classic chunking template', () => {
    const train = readColumnFile('data/conll2000/train.txt');
    const t0 = performance.now();
    const dict = FeatureDictionary.build(train, chunking);
    const labels = LabelDictionary.build(train);
    const x = extract(train, chunking, dict, labels);
    const ms = performance.now() - t0;
    // 338,551 distinct feature strings (checked with an independent Python expansion of the same
    // template), 118,662 of them seen at least twice
    expect(dict.size).toBe(338551);
    expect(dict.edgeCount({ minCount: 2 })).toBe(118662);
    expect(dict.features.slice(0, 2)).toEqual(['U12:NN', 'U11:NN']);
    expect(dict.counts[0]).toBe(30147);
    expect(labels.size).toBe(22);
    expect(labels.labels.slice(0, 3)).toEqual(['B-NP', 'B-PP', 'I-NP']);
    expect(x.tokStart.length).toBe(8937);
    expect(x.labels.length).toBe(211727);
    // every training token has all 19 features (none dropped with minCount 1)
    expect(x.featIds.length).toBe(211727 * 19);
    expect(tokenFeatures(x, dict, 0)).toContain('U05:_B-1/Confidence');
    expect(ms).toBeLessThan(30_000); // about 1 s on a quiet machine; generous for shared CI
  });

  it('the numeric fast path equals plain string lookups (CoNLL-2000 test, minCount 2)', () => {
    const train = readColumnFile('data/conll2000/train.txt');
    const test = readColumnFile('data/conll2000/test.txt');
    const dict = FeatureDictionary.build(train, chunking, { minCount: 2 });
    const slow = FeatureDictionary.fromArrays(dict.features, dict.counts);
    const labels = LabelDictionary.build(train);
    const a = extract(test, chunking, dict, labels, { unknownTag: 'ignore' });
    const b = extract(test, chunking, slow, labels, { unknownTag: 'ignore' });
    expect(a.featIds.length).toBeLessThan(47377 * 19); // unseen and rare features dropped
    expect(a.featIds.length).toBeGreaterThan(47377 * 10);
    expect(Buffer.from(a.featStart.buffer).equals(Buffer.from(b.featStart.buffer))).toBe(true);
    expect(Buffer.from(a.featIds.buffer).equals(Buffer.from(b.featIds.buffer))).toBe(true);
    // I-LST occurs only in test: stored as -1
    expect(a.labels.filter((y) => y < 0).length).toBe(2);
  });

  it('UD-EWT train with the POS template', () => {
    const train = addPosColumns(readColumnFile('data/ud-ewt-pos/train.txt'));
    const t = readTemplateFile(builtinTemplatePath('pos'));
    const dict = FeatureDictionary.build(train, t);
    expect(dict.size).toBe(396050);
    expect(LabelDictionary.build(train).size).toBe(49);
    // without the derived columns the template cannot apply
    expect(() => FeatureDictionary.build(readColumnFile('data/ud-ewt-pos/dev.txt'), t)).toThrow(/uses column \d+, but .*dev\.txt has 1 observation column/);
  });

  it.skipIf(!existsSync('/work/shared/data/weibo/train.txt'))('Weibo train with the segmentation template', () => {
    const train: Sentence[] = addSegColumns(readSegmentedFile('/work/shared/data/weibo/train.txt'));
    const dict = FeatureDictionary.build(train, readTemplateFile(builtinTemplatePath('seg')));
    expect(dict.size).toBe(1108216);
    expect(LabelDictionary.build(train).labels).toEqual(['B', 'E', 'S', 'M']);
  });
});
