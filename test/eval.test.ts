// Scorers: conlleval (hand-checked cases; its printed report), SIGHAN segmentation, token accuracy,
// and the per-task reports of `asyngrad eval`.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readColumnFile } from '../src/data/column.js';
import { labelAccuracy, tokenAccuracy } from '../src/eval/accuracy.js';
import { conlleval, formatConlleval } from '../src/eval/conlleval.js';
import { evaluationReport } from '../src/eval/report.js';
import { sighanScore } from '../src/eval/sighan.js';

const one = (gold: string[], pred: string[]) => conlleval([gold], [pred]);

describe('conlleval', () => {
  it('I- after O starts a chunk (IOB1)', () => {
    // gold  B-NP I-NP O B-VP : chunks NP[0-1], VP[3]
    // pred  I-NP I-NP O I-VP : I-NP after the (implicit) O starts NP[0-1]; I-VP after O starts VP[3]
    // found 2 / 2, both exact -> P = R = F = 100; tags equal at 1 and 2 only -> accuracy 2/4 = 50
    const r = one(['B-NP', 'I-NP', 'O', 'B-VP'], ['I-NP', 'I-NP', 'O', 'I-VP']);
    expect([r.foundCorrect, r.foundGuessed, r.correctChunks]).toEqual([2, 2, 2]);
    expect([r.precision, r.recall, r.f1, r.accuracy]).toEqual([100, 100, 100, 50]);
  });

  it('a type change inside a chunk ends it and starts another', () => {
    // gold  B-NP I-NP I-NP : NP[0-2]
    // pred  B-NP I-VP I-NP : NP[0], VP[1], NP[2] (each type change ends one chunk, starts one)
    // correct 0 -> P = 0/3, R = 0/1, F = 0; accuracy 2/3
    const r = one(['B-NP', 'I-NP', 'I-NP'], ['B-NP', 'I-VP', 'I-NP']);
    expect([r.foundCorrect, r.foundGuessed, r.correctChunks]).toEqual([1, 3, 0]);
    expect([r.precision, r.recall, r.f1]).toEqual([0, 0, 0]);
    expect(r.accuracy).toBeCloseTo(200 / 3, 12);
    expect(r.byType.NP).toMatchObject({ foundCorrect: 1, foundGuessed: 2, correct: 0 });
    expect(r.byType.VP).toMatchObject({ foundCorrect: 0, foundGuessed: 1, correct: 0 });
  });

  it('adjacent B-X B-X are two chunks', () => {
    // gold  B-NP B-NP I-NP : NP[0], NP[1-2]
    // pred  B-NP B-NP O    : NP[0], NP[1]   -> NP[0] correct, NP[1] is not NP[1-2]
    // P = 1/2 = 50, R = 1/2 = 50, F = 50; accuracy 2/3
    const r = one(['B-NP', 'B-NP', 'I-NP'], ['B-NP', 'B-NP', 'O']);
    expect([r.foundCorrect, r.foundGuessed, r.correctChunks]).toEqual([2, 2, 1]);
    expect([r.precision, r.recall, r.f1]).toEqual([50, 50, 50]);
    // pred B-NP I-NP I-NP : one chunk NP[0-2], matches neither gold chunk: P = 0/1, R = 0/2
    const r2 = one(['B-NP', 'B-NP', 'I-NP'], ['B-NP', 'I-NP', 'I-NP']);
    expect([r2.foundCorrect, r2.foundGuessed, r2.correctChunks]).toEqual([2, 1, 0]);
  });

  it('a chunk ending the sentence counts, and sentences do not merge chunks', () => {
    // sentence 1: gold O B-PP, pred O B-PP          -> PP[1] correct (ends at the sentence end)
    // sentence 2: gold I-NP I-NP, pred B-NP I-NP   -> gold I-NP after the boundary starts NP[0-1];
    //                                                  pred NP[0-1]: correct
    // sentence 3: gold B-VP, pred B-VP             -> correct
    // 3 chunks / 3 found / 3 correct; tags: 4 of 5 equal (B-NP vs I-NP) -> accuracy 80
    const r = conlleval(
      [['O', 'B-PP'], ['I-NP', 'I-NP'], ['B-VP']],
      [['O', 'B-PP'], ['B-NP', 'I-NP'], ['B-VP']],
    );
    expect([r.foundCorrect, r.foundGuessed, r.correctChunks, r.tokens]).toEqual([3, 3, 3, 5]);
    expect([r.precision, r.recall, r.accuracy]).toEqual([100, 100, 80]);
    // without the boundary, gold B-NP | I-NP would be one chunk; with it they are two
    const b = conlleval([['B-NP'], ['I-NP']], [['B-NP'], ['B-NP']]);
    expect([b.foundCorrect, b.foundGuessed, b.correctChunks]).toEqual([2, 2, 2]);
  });

  it('a wrong chunk end is not counted correct', () => {
    // gold B-NP I-NP | O ; pred B-NP O O: pred NP[0] ends early -> 0 correct; P = 0/1, R = 0/1
    const r = one(['B-NP', 'I-NP', 'O'], ['B-NP', 'O', 'O']);
    expect(r.correctChunks).toBe(0);
    // gold B-NP O ; pred B-NP I-NP: pred NP[0-1] ends late -> 0 correct
    expect(one(['B-NP', 'O'], ['B-NP', 'I-NP']).correctChunks).toBe(0);
  });

  it('per-type counts and scores', () => {
    // gold NP[0-1] VP[2] PP[3] NP[4]; pred NP[0-1] VP[2] NP[3] NP[4]
    // NP: found gold 2, guessed 3, correct 2 -> P 66.67 R 100; VP 1/1/1; PP 1/0/0
    const r = one(['B-NP', 'I-NP', 'B-VP', 'B-PP', 'B-NP'], ['B-NP', 'I-NP', 'B-VP', 'B-NP', 'B-NP']);
    expect(Object.keys(r.byType)).toEqual(['NP', 'PP', 'VP']);
    expect(r.byType.NP).toMatchObject({ foundCorrect: 2, foundGuessed: 3, correct: 2, recall: 100 });
    expect(r.byType.NP!.precision).toBeCloseTo(200 / 3, 12);
    expect(r.byType.PP).toMatchObject({ foundCorrect: 1, foundGuessed: 0, correct: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.byType.VP).toMatchObject({ foundCorrect: 1, foundGuessed: 1, correct: 1, f1: 100 });
    // overall: 3 correct of 4 found and 4 gold -> 75 / 75 / 75
    expect([r.precision, r.recall, r.f1]).toEqual([75, 75, 75]);
  });

  it('IOE tags: E ends a chunk, E-X E-X are two chunks', () => {
    // gold I-NP E-NP E-NP : NP[0-1], NP[2]; pred I-NP I-NP E-NP : NP[0-2] -> 0 correct
    const r = one(['I-NP', 'E-NP', 'E-NP'], ['I-NP', 'I-NP', 'E-NP']);
    expect([r.foundCorrect, r.foundGuessed, r.correctChunks]).toEqual([2, 1, 0]);
  });

  it('S tags: the original script has no S rules; { iobes: true } adds them', () => {
    // original: S-NP S-NP is ONE chunk (only the type change from "" starts it), and so is B-NP E-NP,
    // so the two count as the same chunk
    const orig = one(['S-NP', 'S-NP'], ['B-NP', 'E-NP']);
    expect([orig.foundCorrect, orig.foundGuessed, orig.correctChunks]).toEqual([1, 1, 1]);
    // IOBES rules: gold NP[0], NP[1]; pred NP[0-1] -> 0 correct
    const iobes = conlleval([['S-NP', 'S-NP']], [['B-NP', 'E-NP']], { iobes: true });
    expect([iobes.foundCorrect, iobes.foundGuessed, iobes.correctChunks]).toEqual([2, 1, 0]);
    const same = conlleval([['S-NP', 'B-VP', 'E-VP', 'S-NP']], [['S-NP', 'B-VP', 'E-VP', 'S-NP']], { iobes: true });
    expect([same.foundCorrect, same.correctChunks, same.f1]).toEqual([3, 3, 100]);
  });

  it('prints the report conlleval.pl prints (output of the Perl script, %.2f ties to even)', () => {
    const gold = [['B-NP', 'I-NP', 'B-VP', 'O', 'B-PP'], Array(9).fill('O'), Array(18).fill('O')];
    const pred = [['B-NP', 'I-NP', 'B-VP', 'O', 'B-NP'], Array(9).fill('O'), Array(18).fill('B-ADJP')];
    // accuracy 13/32 = 40.625 exactly: Perl prints 40.62
    expect(formatConlleval(conlleval(gold, pred))).toBe(
      'processed 32 tokens with 3 phrases; found: 21 phrases; correct: 2.\n' +
        'accuracy:  40.62%; precision:   9.52%; recall:  66.67%; FB1:  16.67\n' +
        '             ADJP: precision:   0.00%; recall:   0.00%; FB1:   0.00  18\n' +
        '               NP: precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n' +
        '               PP: precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n' +
        '               VP: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n',
    );
  });

  it('rejects sentences of different lengths', () => {
    expect(() => conlleval([['O', 'O']], [['O']])).toThrow(/sentence 0/);
    expect(() => conlleval([['O']], [])).toThrow(/1 gold sentences but 0/);
  });

  it.skipIf(!existsSync('data/conll2000/test.txt'))('CoNLL-2000 test: 23,852 phrases, perfect prediction scores 100', () => {
    const test = readColumnFile('data/conll2000/test.txt');
    const gold = test.map((s) => s.tags);
    const r = conlleval(gold, gold);
    expect([r.tokens, r.foundCorrect, r.correctChunks]).toEqual([47377, 23852, 23852]);
    expect([r.precision, r.recall, r.f1, r.accuracy]).toEqual([100, 100, 100, 100]);
    // all-O prediction finds nothing
    const none = conlleval(gold, gold.map((g) => g.map(() => 'O')));
    expect([none.foundGuessed, none.precision, none.recall]).toEqual([0, 0, 0]);
  });
});

describe('SIGHAN segmentation score', () => {
  it('counts words as character spans', () => {
    // gold 我们|喜欢|北京 (3), pred 我|们|喜欢|北京 (4): 喜欢 and 北京 match -> 2 correct
    // P = 2/4 = 50, R = 2/3 = 66.67, F = 2PR/(P+R) = 57.14
    const r = sighanScore([['我们', '喜欢', '北京']], [['我', '们', '喜欢', '北京']]);
    expect([r.goldWords, r.predWords, r.correctWords]).toEqual([3, 4, 2]);
    expect(r.precision).toBe(50);
    expect(r.recall).toBeCloseTo(200 / 3, 12);
    expect(r.f1).toBeCloseTo(400 / 7, 12);
  });

  it('a word with the same text at another position does not count', () => {
    // gold ab|c|ab, pred a|bc|ab: spans gold [0,2) [2,3) [3,5); pred [0,1) [1,3) [3,5) -> 1 correct
    const r = sighanScore([['ab', 'c', 'ab']], [['a', 'bc', 'ab']]);
    expect(r.correctWords).toBe(1);
    // crossing spans: gold ab|c, pred a|bc -> 0 correct
    expect(sighanScore([['ab', 'c']], [['a', 'bc']]).correctWords).toBe(0);
  });

  it('sums over sentences and reports OOV / IV recall with a dictionary', () => {
    // gold 我们|喜欢|北京 + 天气|好 (5 words); pred 我|们|喜欢|北京 + 天气|好 -> 4 correct
    // dictionary {喜欢, 好}: OOV gold words 我们 北京 天气 (3), correct 北京 天气 -> 66.67;
    // IV gold words 喜欢 好 (2), both correct -> 100
    const r = sighanScore(
      [['我们', '喜欢', '北京'], ['天气', '好']],
      [['我', '们', '喜欢', '北京'], ['天气', '好']],
      { dictionary: new Set(['喜欢', '好']) },
    );
    expect([r.goldWords, r.predWords, r.correctWords, r.oovWords]).toEqual([5, 6, 4, 3]);
    expect(r.oovRecall).toBeCloseTo(200 / 3, 12);
    expect(r.ivRecall).toBe(100);
    expect(r.recall).toBe(80);
  });

  it('rejects predictions that spell different text', () => {
    expect(() => sighanScore([['我们']], [['我', '门']])).toThrow(/sentence 0.*different text/);
  });
});

describe('token accuracy', () => {
  it('counts equal tags', () => {
    const r = tokenAccuracy([['A', 'B'], ['C']], [['A', 'C'], ['C']]);
    expect([r.correct, r.total]).toEqual([2, 3]);
    expect(r.accuracy).toBeCloseTo(200 / 3, 12);
    expect(() => tokenAccuracy([['A']], [['A', 'B']])).toThrow();
  });

  it('label ids: gold -1 (unknown tag) is always wrong', () => {
    const r = labelAccuracy(Int32Array.from([0, 1, -1, 2]), Int32Array.from([0, 2, -1, 2]));
    expect([r.correct, r.total, r.accuracy]).toEqual([2, 4, 50]);
  });
});

describe('evaluation reports (asyngrad eval)', () => {
  const sent = (tokens: string[][], tags: string[]) => ({ tokens, tags, line: 1 });

  it('chunking: conlleval\'s report, and per-type counts in the JSON', () => {
    const gold = [sent([['He', 'PRP'], ['saw', 'VBD'], ['it', 'PRP']], ['B-NP', 'B-VP', 'B-NP'])];
    const r = evaluationReport('chunking', gold, [['B-NP', 'B-VP', 'O']]);
    expect(r.text.split('\n')[0]).toBe('processed 3 tokens with 3 phrases; found: 2 phrases; correct: 2.');
    expect(r.text).toMatch(/^ {15}NP: precision: 100\.00%; recall:  50\.00%; FB1:  66\.67  1$/m);
    expect(r.json.phrases).toEqual({ gold: 3, predicted: 2, correct: 2 });
    expect((r.json.by_type as Record<string, { gold: number }>).NP.gold).toBe(2);
    expect(r.json.sentence_accuracy).toBe(0);
  });

  it('pos: accuracy, whole sentences, per-tag scores and known/unknown words', () => {
    // 5 tokens, 4 right; "dog" is unknown and wrong; sentence 2 is all right
    const gold = [sent([['the'], ['dog'], ['ran']], ['DT', 'NN', 'VBD']), sent([['a'], ['cat']], ['DT', 'NN'])];
    const r = evaluationReport('pos', gold, [['DT', 'VBD', 'VBD'], ['DT', 'NN']], new Set(['the', 'ran', 'a', 'cat']));
    expect(r.json).toMatchObject({ accuracy: 80, tokens: 5, correct: 4, sentences: 2, sentence_accuracy: 50 });
    expect(r.json.known).toEqual({ tokens: 4, accuracy: 100 });
    expect(r.json.unknown).toEqual({ tokens: 1, accuracy: 0 });
    const byTag = r.json.by_tag as Record<string, { precision: number; recall: number; gold: number; predicted: number }>;
    expect(byTag.NN).toMatchObject({ gold: 2, predicted: 1, precision: 100, recall: 50 });
    expect(byTag.VBD).toMatchObject({ gold: 1, predicted: 2, precision: 50, recall: 100 });
    expect(r.text).toMatch(/^accuracy:  80\.00%; sentences all correct:  50\.00%$/m);
    expect(r.text).toMatch(/^known words: 100\.00% of 4; unknown words:   0\.00% of 1$/m);
    expect(r.text).toMatch(/^ {15}NN: precision: 100\.00%; recall:  50\.00%; F1:  66\.67  2 gold, 1 tagged$/m);
  });

  it('seg: the SIGHAN script\'s summary lines, OOV recall with a dictionary', () => {
    // gold 我们|喜欢 (B E B E), predicted 我|们|喜欢 (S S B E): 1 of 2 gold words found, 1 of 3 predicted right
    const gold = [sent([['我'], ['们'], ['喜'], ['欢']], ['B', 'E', 'B', 'E'])];
    const r = evaluationReport('seg', gold, [['S', 'S', 'B', 'E']], new Set(['喜欢']));
    expect(r.text).toContain('=== TOTAL TRUE WORD COUNT:\t2\n=== TOTAL TEST WORD COUNT:\t3\n');
    expect(r.text).toContain('=== TOTAL TRUE WORDS RECALL:\t0.500\n=== TOTAL TEST WORDS PRECISION:\t0.333\n=== F MEASURE:\t0.400\n');
    expect(r.text).toContain('=== OOV Rate:\t0.500\n=== OOV Recall Rate:\t0.000\n=== IV Recall Rate:\t1.000\n');
    expect(r.json.words).toEqual({ gold: 2, predicted: 3, correct: 1 });
    // ties round to even, as the script's printf("%.3f"): recall 1/16 = 0.0625 prints 0.062
    const chars = Array.from({ length: 32 }, (_, i) => [String.fromCharCode(0x4e00 + i)]);
    const tie = evaluationReport('seg', [sent(chars, Array.from({ length: 32 }, (_, i) => (i % 2 ? 'E' : 'B')))], [['B', 'E', ...Array(30).fill('S')]]);
    expect(tie.text).toContain('=== TOTAL TRUE WORDS RECALL:\t0.062\n');
    expect(r.json.accuracy).toBe(50);
  });
});
