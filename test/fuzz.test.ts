// Property-based fuzzing of everything that reads untrusted input: the data readers, the feature
// template parser and its application, feature extraction, the model file loader and the CLI
// option parsers. The properties: no uncaught exception of an unexpected type, no hang, and every
// rejection a clear error of the documented type (DataError naming source[:line], ModelFileError,
// commander's InvalidArgumentError naming the option). The total number of generated cases is
// printed at the end so CI logs show it.
//
// Environment knobs: FUZZ_SEED=<n> replays a run (fast-check prints the seed of a failure),
// FUZZ_SCALE=<x> multiplies every property's number of runs, FUZZ_DEBUG=1 names each property as it
// starts and reports a failure without shrinking it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { intOption, numberOption } from '../src/cli/options.js';
import { decodeUtf8, readColumnText } from '../src/data/column.js';
import { DataError } from '../src/data/errors.js';
import { readSegmentedText, tagsToWords, wordsToTags } from '../src/data/segmented.js';
import type { Sentence } from '../src/data/types.js';
import { tokenLine } from '../src/data/types.js';
import { FeatureDictionary, LabelDictionary } from '../src/features/dictionary.js';
import { extract } from '../src/features/extract.js';
import { checkColumns, expandToken, parseTemplate, type Template } from '../src/features/template.js';
import { crc32 } from '../src/io/crc32.js';
import { decodeModel, encodeModel, ModelFileError } from '../src/io/model-file.js';
import { CrfTagger } from '../src/models/crf/tagger.js';
import { crfParamCount } from '../src/reference/crf.js';

// ---------------------------------------------------------------------------------------------
// bookkeeping: cases run, and a per-case time limit (a case far slower than this is a hang)

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const CASE_LIMIT_MS = 5_000;
let totalCases = 0;
const perProperty: [string, number][] = [];

function run<Ts extends [unknown, ...unknown[]]>(
  name: string,
  numRuns: number,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  check: (...args: Ts) => void,
): void {
  let n = 0;
  const prop = fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), ((...args: Ts) => {
    n++;
    const t0 = performance.now();
    check(...args);
    const ms = performance.now() - t0;
    if (ms > CASE_LIMIT_MS) throw new Error(`one case took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms): a hang`);
  }) as unknown as (a: unknown) => void);
  try {
    if (process.env.FUZZ_DEBUG) console.log(`fuzz: ${name}...`);
    fc.assert(prop, { numRuns: Math.max(1, Math.round(numRuns * SCALE)), seed: SEED, endOnFailure: !!process.env.FUZZ_DEBUG });
  } finally {
    totalCases += n;
    perProperty.push([name, n]);
  }
}

/** a cheap assertion for inner loops (expect() is slow over long inputs) */
function ok(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`property violated: ${what}`);
}

afterAll(() => {
  const lines = perProperty.map(([p, n]) => `  ${String(n).padStart(6)}  ${p}`);
  console.log(`fuzz: ${totalCases} generated cases in total\n${lines.join('\n')}`);
});

/** Calls f; returns its result, or the DataError it threw after checking that the error is clear. */
function dataErrorOr<T>(
  f: () => T,
  source: string,
  opts: { maxLine?: number; wholeFileOk?: boolean } = {},
): { ok: true; value: T } | { ok: false; error: DataError } {
  let value: T;
  try {
    value = f();
  } catch (e) {
    if (!(e instanceof DataError)) {
      throw new Error(`expected a DataError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    expect(e.file).toBe(source);
    if (e.line === undefined) {
      expect(opts.wholeFileOk ?? true).toBe(true);
      expect(e.message.startsWith(`${source}: `)).toBe(true);
    } else {
      expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
      if (opts.maxLine !== undefined) expect(e.line).toBeLessThanOrEqual(opts.maxLine);
      expect(e.message.startsWith(`${source}:${e.line}: `)).toBe(true);
    }
    expect(e.message.length).toBeGreaterThan(source.length + 5);
    return { ok: false, error: e };
  }
  return { ok: true, value };
}

// ---------------------------------------------------------------------------------------------
// generators

/** characters that matter to the readers, and some that should not */
const CHARS = [
  'a', 'b', 'Z', '0', '9', '/', ':', '%', '_', '-', '#', 'é', '中', '文', '😀', '\u0301',
  ' ', ' ', '\t', '\r', '\n', '\u00a0', '\u3000', '\ufeff', '\u2028', '\v', '\f', '\0', '\ud800', '\udfff',
];
const charArb = fc.constantFrom(...CHARS);
const anyText = fc.oneof(
  fc.string({ unit: charArb, maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
const sourceArb = fc.oneof(
  fc.constantFrom('train.txt', 'data/dev file.txt', 'C:\\x\\y.txt', '<input>'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
);
/** a field value: no spaces or tabs or newlines (but anything else) */
const fieldArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('He', 'the', 'NN', 'B-NP', 'I-NP', 'O', ',', '.', '中', '😀x', '_B-1', 'a/b', '%x[0,0]') },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...CHARS.filter((c) => !' \t\n'.includes(c))), minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 20_000 }).map((n) => 'w'.repeat(n)) },
);
const sepArb = fc.constantFrom(' ', '\t', '  ', ' \t ', '\t\t');
const edgeArb = fc.constantFrom('', '', '', ' ', '\t', ' \t');
/** column-format text: token lines with a mostly constant column count, blank lines, CRLF, BOM */
const columnTextArb = fc
  .record({
    bom: fc.boolean(),
    crlf: fc.constantFrom('none', 'all', 'some'),
    cols: fc.integer({ min: 1, max: 4 }),
    lines: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.constant('tok' as const), fc.array(fieldArb, { minLength: 1, maxLength: 5 }), sepArb, edgeArb, edgeArb, fc.integer({ min: 0, max: 9 })) },
        { weight: 2, arbitrary: fc.tuple(fc.constant('blank' as const), fc.constantFrom('', ' ', '\t', ' \t ', '\r')) },
        { weight: 1, arbitrary: fc.tuple(fc.constant('junk' as const), anyText) },
      ),
      { maxLength: 30 },
    ),
    trailingNewline: fc.boolean(),
  })
  .chain((r) => fc.array(fc.boolean(), { minLength: r.lines.length + 1, maxLength: r.lines.length + 1 }).map((crs) => ({ ...r, crs })))
  .map(({ bom, crlf, cols, lines, trailingNewline, crs }) => {
    const out = lines.map((l) => {
      if (l[0] === 'blank') return l[1];
      if (l[0] === 'junk') return l[1];
      const [, fields, sep, pre, post, skew] = l;
      // usually exactly `cols` fields, sometimes another count
      const fs = skew === 0 ? fields : Array.from({ length: cols }, (_, k) => fields[k % fields.length]!);
      return pre + fs.join(sep) + post;
    });
    const eols = out.map((_, i) => (crlf === 'all' || (crlf === 'some' && crs[i]) ? '\r\n' : '\n'));
    let text = bom ? '\ufeff' : '';
    for (let i = 0; i < out.length; i++) text += out[i] + (i < out.length - 1 || trailingNewline ? eols[i] : '');
    return text;
  });

// ---------------------------------------------------------------------------------------------
// 1. data readers

/** lines as the column reader sees them: split on LF, one trailing CR dropped, BOM dropped */
function columnLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the text ends with a newline
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
const isBlank = (l: string) => /^[ \t]*$/.test(l);
const fieldsOf = (l: string) => l.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);

function checkColumnResult(text: string, source: string, labeled: boolean): void {
  const lines = columnLines(text);
  const r = dataErrorOr(() => readColumnText(text, source, { labeled }), source, { maxLine: Math.max(1, lines.length) });
  if (!r.ok) {
    const e = r.error;
    if (e.line === undefined) {
      expect(lines.every(isBlank)).toBe(true); // only "no sentences" concerns the whole file
    } else {
      // the reported line is the first that is wrong
      const first = lines.findIndex((l) => !isBlank(l));
      const expected = fieldsOf(lines[first]!).length;
      const bad = lines.findIndex((l) => !isBlank(l) && fieldsOf(l).length !== expected);
      if (labeled && expected < 2) expect(e.line).toBe(first + 1);
      else expect(e.line).toBe(bad + 1);
    }
    return;
  }
  const sents = r.value;
  // one sentence per maximal run of non-blank lines
  let runs = 0;
  for (let i = 0; i < lines.length; i++) if (!isBlank(lines[i]!) && (i === 0 || isBlank(lines[i - 1]!))) runs++;
  expect(sents.length).toBe(runs);
  expect(sents.length).toBeGreaterThan(0);
  let prevEnd = 0;
  const nf = sents[0]!.tokens[0]!.length;
  for (const s of sents) {
    expect(s.source).toBe(source);
    expect(s.tokens.length).toBeGreaterThan(0);
    expect(s.tags.length).toBe(labeled ? s.tokens.length : 0);
    expect(s.line).toBeGreaterThan(prevEnd);
    for (let i = 0; i < s.tokens.length; i++) {
      const tok = s.tokens[i]!;
      ok(tok.length === nf, 'every token has the same number of fields');
      const fields = labeled ? [...tok, s.tags[i]!] : tok;
      for (const f of fields) ok(f.length > 0 && !/[ \t\n]/.test(f), 'fields are non-empty and have no space, tab or newline');
      const want = fieldsOf(lines[tokenLine(s, i) - 1]!);
      ok(fields.length === want.length && fields.every((f, k) => f === want[k]), `token ${i} is the fields of line ${tokenLine(s, i)}`);
    }
    prevEnd = s.line + s.tokens.length - 1;
    expect(prevEnd).toBeLessThanOrEqual(lines.length);
    if (prevEnd < lines.length) expect(isBlank(lines[prevEnd]!)).toBe(true);
  }
  if (labeled) expect(nf).toBeGreaterThanOrEqual(1);
}

/** Node's lossy decoder round-trips exactly the valid UTF-8 byte strings */
const validUtf8 = (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('utf8'), 'utf8').equals(Buffer.from(b));

const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // bytes that make up (and break) UTF-8 sequences, newlines, a BOM
  fc
    .array(
      fc.oneof(
        fc.constantFrom([0x0a], [0x0d, 0x0a], [0xef, 0xbb, 0xbf], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x9f, 0xbf]),
        fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]),
        fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).map((s) => [...Buffer.from(s, 'utf8')]),
      ),
      { maxLength: 40 },
    )
    .map((parts) => Uint8Array.from(parts.flat())),
  // many lines, then (maybe) an invalid byte: the line search must stay linear
  fc
    .tuple(fc.integer({ min: 1000, max: 40_000 }), fc.constantFrom([], [0xff], [0xe4, 0xb8], [0x0a, 0x80]))
    .map(([n, tail]) => Uint8Array.from([...Buffer.from('ab\n'.repeat(n), 'utf8'), ...tail])),
  // valid UTF-8 with one byte changed, dropped or inserted
  fc
    .tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'drop', 'insert', 'none'))
    .map(([s, at, b, op]) => {
      const bytes = [...Buffer.from(s.replace(/\|/g, '\n'), 'utf8')];
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (op === 'set' && bytes.length > 0) bytes[i] = b;
      else if (op === 'drop') bytes.splice(i, 1);
      else if (op === 'insert') bytes.splice(i, 0, b);
      return Uint8Array.from(bytes);
    }),
);

function checkDecodeUtf8(bytes: Uint8Array, source: string): void {
  const lines: Uint8Array[] = [];
  for (let s = 0; ; ) {
    let e = bytes.indexOf(0x0a, s);
    if (e < 0) e = bytes.length;
    lines.push(bytes.subarray(s, e));
    if (e >= bytes.length) break;
    s = e + 1;
  }
  const r = dataErrorOr(() => decodeUtf8(bytes, source), source, { maxLine: lines.length, wholeFileOk: false });
  if (r.ok) {
    expect(validUtf8(bytes)).toBe(true);
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    expect(Buffer.from(r.value, 'utf8').equals(Buffer.from(bytes.subarray(bom)))).toBe(true);
    return;
  }
  expect(validUtf8(bytes)).toBe(false);
  const line = r.error.line!;
  const bad = lines[line - 1]!;
  expect(validUtf8(bytes.subarray(0, bad.byteOffset - bytes.byteOffset))).toBe(true); // the lines before it
  expect(validUtf8(bad)).toBe(false);
  // "byte 0xNN at byte K of the line": the bytes before K are valid, and byte K is the one named
  const m = /invalid UTF-8 \(byte 0x([0-9a-f]{2}) at byte (\d+) of the line\)/.exec(r.error.message);
  expect(m).not.toBeNull();
  const k = Number(m![2]) - 1;
  expect(k).toBeLessThan(bad.length);
  expect(bad[k]).toBe(parseInt(m![1]!, 16));
  expect(validUtf8(bad.subarray(0, k))).toBe(true);
}

const segTextArb = fc.oneof(
  anyText,
  fc
    .array(
      fc.oneof(
        fc.array(fc.oneof(fc.constantFrom('中国', '人', '的', 'ab', '😀😀', 'e\u0301', '，', '\ud800x'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 })), { maxLength: 8 }).map((ws) => ws.join(' ')),
        fc.constantFrom('', ' ', '\r', '\u3000', '\t \u00a0', '\ufeff'),
        fc.integer({ min: 1000, max: 30_000 }).map((n) => '字'.repeat(n)),
      ),
      { maxLength: 12 },
    )
    .chain((ls) => fc.constantFrom('\n', '\r\n').map((eol) => ls.join(eol))),
);

function checkSegmented(text: string, source: string, labeled: boolean): void {
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.length === 0 ? [] : body.split('\n');
  const r = dataErrorOr(() => readSegmentedText(text, source, { labeled }), source, { wholeFileOk: true });
  const nonEmpty = lines.map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l.length > 0);
  if (!r.ok) {
    expect(r.error.line).toBeUndefined();
    expect(nonEmpty.length).toBe(0);
    return;
  }
  expect(r.value.length).toBe(nonEmpty.length);
  r.value.forEach((s, k) => {
    const [line, no] = nonEmpty[k]!;
    ok(s.line === no && s.oneLine === true && s.source === source, 'sentence line/oneLine/source');
    const chars = s.tokens.map((t) => {
      ok(t.length === 1 && Array.from(t[0]!).length === 1, 'a token is one code point');
      return t[0]!;
    });
    ok(chars.join('') === line.replace(/\s+/gu, ''), 'the characters are the line without whitespace');
    if (labeled) {
      ok(s.tags.length === chars.length, 'one tag a character');
      for (const t of s.tags) ok(t === 'B' || t === 'M' || t === 'E' || t === 'S', 'B/M/E/S tags');
      expect(tagsToWords(chars, s.tags)).toEqual(line.split(/\s+/u));
    } else ok(s.tags.length === 0, 'no tags');
  });
}

describe('fuzz: data readers', () => {
  it('readColumnText: well-formed sentences or a DataError naming source:line', () => {
    run('readColumnText (structured text)', 2000, [columnTextArb, sourceArb, fc.boolean()], (text, source, labeled) =>
      checkColumnResult(text, source, labeled),
    );
    run('readColumnText (arbitrary text)', 800, [anyText, sourceArb, fc.boolean()], (text, source, labeled) =>
      checkColumnResult(text, source, labeled),
    );
  });

  it('decodeUtf8: exact text or a DataError naming the line and byte of the first invalid sequence', () => {
    run('decodeUtf8', 1500, [bytesArb, sourceArb], (bytes, source) => checkDecodeUtf8(bytes, source));
  });

  it('readSegmentedText: characters and B/M/E/S tags that give back the words, or a DataError', () => {
    run('readSegmentedText', 1000, [segTextArb, sourceArb, fc.boolean()], (text, source, labeled) =>
      checkSegmented(text, source, labeled),
    );
  });

  it('tagsToWords: words whose concatenation is the characters; inverse of wordsToTags', () => {
    const tagArb = fc.constantFrom('B', 'M', 'E', 'S', 'X', '', 'b');
    run(
      'tagsToWords',
      1000,
      [fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 3 }), tagArb), { maxLength: 30 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 5 }), { maxLength: 10 })],
      (pairs, words) => {
        const chars = pairs.map((p) => p[0]);
        const tags = pairs.map((p) => p[1]);
        const ws = tagsToWords(chars, tags);
        expect(ws.join('')).toBe(chars.join(''));
        expect(ws.length).toBeLessThanOrEqual(chars.length);
        const t = wordsToTags(words);
        expect(tagsToWords(t.chars, t.tags)).toEqual(words.filter((w) => w.length > 0));
        expect(() => tagsToWords(chars, [...tags, 'S'])).toThrow(/characters but/);
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// feature extraction

const TEMPLATE_FILES = ['chunking', 'chunking-crfpp', 'pos', 'seg'].map((n) => readFileSync(join(import.meta.dirname, '..', 'templates', `${n}.txt`), 'utf8'));

const macroArb = fc
  .tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('', ' '))
  .map(([r, c, sp]) => `%x[${sp}${r},${sp}${c}]`);
/** small random templates: U lines with 0-3 macros and literal text, B lines, comments */
const smallTemplateArb = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constantFrom('U', 'U0', 'U1', 'Ux'), fc.constantFrom('', ':', '/'), fc.array(fc.tuple(macroArb, fc.constantFrom('', '/', '_', ':')), { maxLength: 3 })).map(([id, c, ms]) => id + c + ms.map((m) => m.join('')).join('')) },
      { weight: 1, arbitrary: fc.constantFrom('B', '# comment', '', 'U', 'Uab') },
    ),
    { maxLength: 8 },
  )
  .map((ls) => {
    // keep ids unique so that most templates parse
    const seen = new Set<string>();
    return ls
      .map((l, i) => (l.startsWith('U') && l.includes(':') ? `U${i}${l.slice(l.indexOf(':'))}` : l))
      .filter((l) => (seen.has(l) && l.startsWith('U') ? false : (seen.add(l), true)))
      .join('\n');
  });

const cellArb = fc.oneof(
  { weight: 50, arbitrary: fc.constantFrom('a', 'b', 'c', 'the', 'NN', 'a/b', '/', '_B-1', '_B+1', '', 'U0:a') },
  { weight: 10, arbitrary: fc.constantFrom(' ', 'a b', '\t', '\r\n', '\r', '\ud800', '\ufeff', '中文') },
  { weight: 10, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
  { weight: 10, arbitrary: fc.string({ unit: charArb, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 50_000 }).map((n) => 'v'.repeat(n)) },
);
const tagArb = fc.constantFrom('B-NP', 'I-NP', 'O', 'X');

function sentenceArb(nCols: number, source: string): fc.Arbitrary<Sentence> {
  return fc
    .tuple(fc.array(fc.tuple(fc.array(cellArb, { minLength: nCols, maxLength: nCols }), tagArb), { maxLength: 8 }), fc.integer({ min: 1, max: 1000 }), fc.boolean())
    .map(([toks, line, labeled]) => ({ tokens: toks.map((t) => t[0]), tags: labeled ? toks.map((t) => t[1]) : [], line, source }));
}
const dataArb = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }))
  .chain(([trainCols, testCols]) =>
    fc.tuple(
      fc.array(sentenceArb(trainCols, 'train.txt'), { maxLength: 6 }),
      // test data: usually the training column count, sometimes another, sometimes a ragged token
      fc.array(sentenceArb(testCols === 0 ? trainCols : testCols, 'test.txt'), { maxLength: 6 }),
      fc.option(fc.tuple(fc.nat(), fc.nat()), { freq: 5 }),
    ),
  );

/** The features of every token by expanding the template's strings: the definition of a feature. */
function slowFeatures(sents: readonly Sentence[], t: Template, dict: FeatureDictionary): number[][] {
  const out: number[][] = [];
  for (const s of sents) {
    for (let i = 0; i < s.tokens.length; i++) {
      out.push(expandToken(t, s.tokens, i).map((f) => dict.id(f)).filter((id) => id >= 0).sort((a, b) => a - b));
    }
  }
  return out;
}

function checkExtract(tText: string, train: Sentence[], test: Sentence[], ragged: [number, number] | null, minCount: number, ignore: boolean): void {
  const t = dataErrorOr(() => parseTemplate(tText, 'tmpl.txt'), 'tmpl.txt');
  if (!t.ok) return;
  const template = t.value;
  if (ragged && test.length > 0) {
    const s = test[ragged[0] % test.length]!;
    if (s.tokens.length > 0) {
      const tok = s.tokens[ragged[1] % s.tokens.length]!;
      s.tokens[ragged[1] % s.tokens.length] = tok.slice(0, Math.max(0, tok.length - 1 - (ragged[1] % 2)));
    }
  }
  const d = dataErrorOr(() => FeatureDictionary.build(train, template, { minCount }), 'tmpl.txt');
  if (!d.ok) {
    expect(d.error.line).toBeDefined();
    return;
  }
  const dict = d.value;
  const labels = LabelDictionary.build(train);
  // dictionary: ids are numbered by descending count, and counts are the string counts
  const counts = new Map<string, number>();
  for (const s of train) for (let i = 0; i < s.tokens.length; i++) for (const f of expandToken(template, s.tokens, i)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const kept = [...counts].filter(([, c]) => c >= minCount);
  expect(dict.size).toBe(kept.length);
  for (let i = 0; i < dict.size; i++) {
    expect(dict.id(dict.features[i]!)).toBe(i);
    expect(dict.counts[i]).toBe(counts.get(dict.features[i]!));
    if (i > 0) expect(dict.counts[i]!).toBeLessThanOrEqual(dict.counts[i - 1]!);
  }
  for (const data of [train, test]) {
    const src = data === train ? 'train.txt' : 'test.txt';
    // a DataError from extract names either the data (a line) or the template (a line)
    let x: ReturnType<typeof extract>;
    try {
      x = extract(data, template, dict, labels, { unknownTag: ignore ? 'ignore' : 'error' });
    } catch (e) {
      if (!(e instanceof DataError)) throw new Error(`extract threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      expect([src, 'tmpl.txt']).toContain(e.file);
      expect(e.line).toBeDefined();
      expect(e.message.startsWith(`${e.file}:${e.line}: `)).toBe(true);
      continue;
    }
    const nTok = data.reduce((a, s) => a + s.tokens.length, 0);
    expect(x.tokStart.length).toBe(data.length + 1);
    expect(x.tokStart[0]).toBe(0);
    for (let s = 0; s < data.length; s++) expect(x.tokStart[s + 1]! - x.tokStart[s]!).toBe(data[s]!.tokens.length);
    expect(x.featStart.length).toBe(nTok + 1);
    expect(x.labels.length).toBe(nTok);
    expect(x.featStart[0]).toBe(0);
    expect(x.featStart[nTok]).toBe(x.featIds.length);
    const slow = slowFeatures(data, template, dict);
    let tok = 0;
    for (const s of data) {
      for (let i = 0; i < s.tokens.length; i++, tok++) {
        expect(x.featStart[tok + 1]!).toBeGreaterThanOrEqual(x.featStart[tok]!);
        const ids = Array.from(x.featIds.subarray(x.featStart[tok], x.featStart[tok + 1]));
        for (const id of ids) expect(id >= 0 && id < dict.size).toBe(true);
        expect(ids).toEqual(slow[tok]);
        const y = s.tags.length === 0 ? -1 : labels.id(s.tags[i]!);
        expect(x.labels[tok]).toBe(y);
      }
    }
  }
}

describe('fuzz: feature extraction', () => {
  it('FeatureDictionary.build / extract: CSR arrays that agree with the template strings, or a DataError', () => {
    const templateArb = fc.oneof({ weight: 3, arbitrary: smallTemplateArb }, { weight: 1, arbitrary: fc.constantFrom(...TEMPLATE_FILES) });
    run(
      'build + extract',
      1200,
      [templateArb, dataArb, fc.integer({ min: 1, max: 3 }), fc.boolean()],
      (tText, [train, test, ragged], minCount, ignore) => checkExtract(tText, train, test, ragged, minCount, ignore),
    );
  });

  it('readers feed extract: arbitrary column text through the whole pipeline', () => {
    run('readColumnText + build + extract', 400, [columnTextArb, smallTemplateArb], (text, tText) => {
      const r = dataErrorOr(() => readColumnText(text, 'c.txt'), 'c.txt');
      if (!r.ok) return;
      checkExtract(tText, r.value, r.value, null, 1, false);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 2. template parser

const TEMPLATE_PIECES = ['%', 'x', '[', ']', ',', '-', '+', '0', '1', '9', ' ', '\n', '\r\n', 'U', 'B', '#', ':', '%x[', '%x[0,0]', '%x[-1,2]', '99999999999999999999', '1e3', '0x1', '-0', '\t', '中', '\u00a0'];
const mutatedTemplateArb = fc
  .tuple(
    fc.constantFrom(...TEMPLATE_FILES),
    fc.array(
      fc.tuple(fc.constantFrom('insert', 'delete', 'replace', 'dupline', 'number'), fc.nat(), fc.constantFrom(...TEMPLATE_PIECES), fc.integer({ min: 1, max: 40 })),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([text, muts]) => {
    for (const [op, at, piece, n] of muts) {
      const i = at % (text.length + 1);
      if (op === 'insert') text = text.slice(0, i) + piece + text.slice(i);
      else if (op === 'delete') text = text.slice(0, i) + text.slice(i + n);
      else if (op === 'replace') text = text.slice(0, i) + piece + text.slice(i + piece.length);
      else if (op === 'dupline') {
        const ls = text.split('\n');
        const k = at % ls.length;
        ls.splice(k, 0, ls[k]!);
        text = ls.join('\n');
      } else {
        // replace a number in a macro by a big (or huge) one
        const big = ['17', '-17', '1000', '100000', '2147483648', '99999999999', '1' + '0'.repeat(400)][n % 7]!;
        let k = 0;
        text = text.replace(/-?\d+/g, (m) => (k++ === at % 50 ? big : m));
      }
    }
    return text;
  });

function checkTemplate(text: string, source: string, nCols: number, tokens: string[][], pos: number): void {
  const nLines = text.split('\n').length;
  const r = dataErrorOr(() => parseTemplate(text, source), source, { maxLine: nLines, wholeFileOk: false });
  if (!r.ok) return;
  const t = r.value;
  expect(t.source).toBe(source);
  let maxCol = -1;
  const texts = new Set<string>();
  for (const tl of t.lines) {
    // U lines, and B lines only with macros (a bare B is the transitions, not a line)
    expect(tl.text.startsWith('U') || (tl.text.startsWith('B') && tl.macros.length > 0)).toBe(true);
    expect(tl.edgeOnly).toBe(tl.text.startsWith('B'));
    expect(tl.text).toBe(text.split('\n')[tl.line - 1]!.trim());
    expect(texts.has(tl.text)).toBe(false);
    texts.add(tl.text);
    expect(tl.parts.length).toBe(tl.macros.length + 1);
    for (const m of tl.macros) {
      expect(Number.isSafeInteger(m.row) && Number.isSafeInteger(m.col) && m.col >= 0).toBe(true);
      maxCol = Math.max(maxCol, m.col);
    }
  }
  expect(t.maxCol).toBe(maxCol);
  const c = dataErrorOr(() => checkColumns(t, nCols, 'data.txt'), source, { maxLine: nLines, wholeFileOk: false });
  if (!c.ok) {
    expect(t.maxCol).toBeGreaterThanOrEqual(nCols);
    expect(t.lines.some((tl) => tl.line === c.error.line && tl.macros.some((m) => m.col >= nCols))).toBe(true);
    return;
  }
  expect(t.maxCol).toBeLessThan(nCols);
  if (tokens.length === 0) return;
  const fs = expandToken(t, tokens, pos % tokens.length);
  expect(fs.length).toBe(t.lines.length);
  for (let k = 0; k < fs.length; k++) {
    const tl = t.lines[k]!;
    expect(fs[k]!.startsWith(tl.parts[0]!)).toBe(true);
    if (tl.macros.length === 0) expect(fs[k]).toBe(tl.text);
  }
}

describe('fuzz: template parser', () => {
  const tokensArb = fc.integer({ min: 1, max: 14 }).chain((nCols) =>
    fc.tuple(fc.constant(nCols), fc.array(fc.array(cellArb, { minLength: nCols, maxLength: nCols }), { maxLength: 6 }), fc.nat()),
  );
  it('parseTemplate + checkColumns + expandToken over arbitrary strings', () => {
    run('parseTemplate (arbitrary text)', 1500, [fc.oneof(anyText, fc.string({ unit: fc.constantFrom(...TEMPLATE_PIECES), maxLength: 40 })), sourceArb, tokensArb], (text, source, [nCols, toks, pos]) =>
      checkTemplate(text, source, nCols, toks, pos),
    );
  });
  it('parseTemplate + checkColumns + expandToken over mutated built-in templates', () => {
    run('parseTemplate (mutated templates)', 1500, [mutatedTemplateArb, sourceArb, tokensArb], (text, source, [nCols, toks, pos]) =>
      checkTemplate(text, source, nCols, toks, pos),
    );
  });
  it('mutated templates applied to data: build + extract', () => {
    run('mutated template + build + extract', 300, [mutatedTemplateArb, dataArb], (tText, [train, test]) =>
      checkExtract(tText, train, test, null, 1, true),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 3. model file

const headerArb = fc.record({
  format: fc.constantFrom('asyngrad-crf', 'x'),
  labels: fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }),
  template: fc.string({ unit: 'grapheme', maxLength: 30 }),
  n: fc.double(),
  nested: fc.jsonValue({ maxDepth: 2 }),
});
const weightsArb = fc.oneof(
  fc.float32Array({ maxLength: 40 }),
  fc.integer({ min: 0, max: 3000 }).map((n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i))),
);

function expectModelError(f: () => unknown, path: string): ModelFileError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw new Error(`expected a ModelFileError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    expect(e.file).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    expect(e.message.length).toBeGreaterThan(path.length + 10);
    return e;
  }
  throw new Error('expected a ModelFileError');
}

const sameBytes = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** recomputes the trailing CRC, so that corruption reaches the checks after the checksum */
function reseal(buf: Buffer): Buffer {
  if (buf.length >= 4) buf.writeUInt32LE(crc32(buf.subarray(0, buf.length - 4)), buf.length - 4);
  return buf;
}

describe('fuzz: model file', () => {
  it('decodeModel on random bytes (with and without the magic) refuses with a ModelFileError', () => {
    run(
      'decodeModel (random bytes)',
      600,
      [fc.uint8Array({ maxLength: 200 }), fc.constantFrom('none', 'magic', 'magic+version'), fc.boolean()],
      (bytes, prefix, sealed) => {
        let buf = Buffer.from(bytes);
        if (prefix !== 'none') {
          const head = Buffer.alloc(prefix === 'magic' ? 8 : 12);
          head.write('ASYNGRAD', 0, 'latin1');
          if (prefix === 'magic+version') head.writeUInt32LE(1, 8);
          buf = Buffer.concat([head, buf]);
        }
        if (sealed) reseal(buf);
        try {
          const m = decodeModel(buf, 'r.model');
          // only a well-formed file decodes: then it re-encodes to the same bytes
          expect(encodeModel(m.header as object, m.weights).equals(buf)).toBe(true);
        } catch (e) {
          if (!(e instanceof ModelFileError)) throw e;
          expectModelError(() => { throw e; }, 'r.model');
        }
      },
    );
  });

  it('decodeModel: the original for an intact file; a ModelFileError for flips, truncations, extensions', () => {
    run(
      'decodeModel (corrupted encodings)',
      1500,
      [headerArb, weightsArb, fc.constantFrom('none', 'flip', 'flips', 'truncate', 'extend', 'resealed-flip'), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 1, maxLength: 9 })],
      (header, weights, op, at, bit, extra) => {
        const buf = encodeModel(header, weights);
        let bad: Buffer;
        if (op === 'none') {
          const m = decodeModel<typeof header>(buf, 'm.model');
          expect(m.header).toEqual(JSON.parse(JSON.stringify(header)));
          expect(sameBytes(m.weights, weights)).toBe(true);
          return;
        } else if (op === 'flip' || op === 'resealed-flip') {
          bad = Buffer.from(buf);
          bad[at % bad.length]! ^= 1 << bit;
          if (op === 'resealed-flip') reseal(bad);
        } else if (op === 'flips') {
          bad = Buffer.from(buf);
          for (let k = 0; k < extra.length; k++) bad[(at + k * 7919) % bad.length]! ^= extra[k]! | 1;
        } else if (op === 'truncate') bad = buf.subarray(0, at % buf.length);
        else bad = Buffer.concat([buf, Buffer.from(extra)]);
        try {
          const m = decodeModel(bad, 'm.model');
          // a resealed flip can only get through where it does not matter to the format: in the
          // JSON text (still valid JSON) or the weights; what comes back is then what is there
          expect(op).toBe('resealed-flip');
          const H = bad.readUInt32LE(12);
          const wStart = Math.ceil((24 + H) / 4) * 4;
          expect(m.header).toEqual(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bad.subarray(24, 24 + H))));
          expect(m.weights.length).toBe(weights.length);
          expect(Buffer.from(m.weights.buffer).equals(bad.subarray(wStart, bad.length - 4))).toBe(true);
        } catch (e) {
          if (!(e instanceof ModelFileError)) throw e;
          expectModelError(() => { throw e; }, 'm.model');
        }
      },
    );
  });

  it('decodeModel: size fields overwritten with huge, negative, fractional or NaN values are refused before allocation', () => {
    const sizeArb = fc.oneof(
      fc.constantFrom(2 ** 40, 2 ** 32, 2 ** 31, 2 ** 53, 2 ** 64, -1, -0, 0.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, 1e300),
      fc.double(),
      fc.integer(),
    );
    run(
      'decodeModel (size fields)',
      800,
      [headerArb, weightsArb, fc.constantFrom('H', 'P', 'both', 'version'), sizeArb, fc.nat({ max: 0xffffffff }), fc.boolean()],
      (header, weights, field, p, h, sealed) => {
        const buf = Buffer.from(encodeModel(header, weights));
        const oldP = buf.readDoubleLE(16);
        const oldH = buf.readUInt32LE(12);
        if (field === 'H' || field === 'both') buf.writeUInt32LE(h, 12);
        if (field === 'P' || field === 'both') buf.writeDoubleLE(p, 16);
        if (field === 'version') buf.writeUInt32LE(h, 8);
        if (sealed) reseal(buf);
        const unchanged = Object.is(buf.readDoubleLE(16), oldP) && buf.readUInt32LE(12) === oldH && buf.readUInt32LE(8) === 1;
        const t0 = performance.now();
        try {
          const m = decodeModel(buf, 'm.model');
          // the sizes decide the layout: only sizes describing this very file get through
          expect(Math.ceil((24 + buf.readUInt32LE(12)) / 4) * 4 + m.weights.length * 4 + 4).toBe(buf.length);
          expect(m.weights.length).toBeLessThanOrEqual(buf.length / 4);
          if (unchanged) expect(sameBytes(m.weights, weights)).toBe(true);
        } catch (e) {
          if (!(e instanceof ModelFileError)) throw e;
          expect(unchanged && sealed).toBe(false);
          expectModelError(() => { throw e; }, 'm.model');
        }
        expect(performance.now() - t0).toBeLessThan(1000); // nothing huge was allocated or filled
      },
    );
  });

  it('decodeModel: a header claiming 2^40 weights is refused by the size check', () => {
    const buf = Buffer.from(encodeModel({ format: 'asyngrad-crf' }, new Float32Array(3)));
    buf.writeDoubleLE(2 ** 40, 16);
    reseal(buf);
    const e = expectModelError(() => decodeModel(buf, 'big.model'), 'big.model');
    expect(e.message).toMatch(/1099511627776 weights need \d+ bytes, the file has \d+/);
    buf.writeUInt32LE(0xffffffff, 12);
    reseal(buf);
    expect(expectModelError(() => decodeModel(buf, 'big.model'), 'big.model').message).toMatch(/header claims 4294967295 bytes/);
  });
});

// CrfTagger.load on files that decode (checksum valid) but whose header is not a CRF model

const tmp = mkdtempSync(join(tmpdir(), 'asyngrad-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function validCrfHeader(): Record<string, unknown> {
  return {
    format: 'asyngrad-crf',
    task: 'chunking',
    model: 'crf',
    Y: 2,
    F: 3,
    E: 1,
    labels: ['B-NP', 'O'],
    template: 'U00:%x[0,0]\nU01:%x[0,1]\nB\n',
    templateSource: 'chunking.txt',
    features: ['U00:a', 'U00:b', 'U01:NN'],
    training: { passes: 1 },
  };
}

describe('fuzz: CrfTagger.load', () => {
  it('loads the valid header', () => {
    const h = validCrfHeader();
    const path = join(tmp, 'ok.model');
    writeFileSync(path, encodeModel(h, new Float32Array(crfParamCount(2, 3, 1))));
    const t = CrfTagger.load(path);
    expect(t.labels.size).toBe(2);
    expect(t.dict.size).toBe(3);
  });

  it('refuses corrupted-but-checksum-valid headers with a ModelFileError', () => {
    const KEYS = Object.keys(validCrfHeader());
    const wrongValue = fc.oneof(
      fc.constantFrom(null, undefined, 0, -1, 1.5, NaN, 1e9, 2 ** 40, '', '2', [], {}, [1, 2], ['B-NP', 'B-NP'], ['B-NP'], ['B-NP', 'O', 'I-NP'], [null, 'O'], [1, 2, 3], ['a', 'a', 'b'], 'pos', 'seg', 'nope', 'dense-crf', true, 'U00:%x[0,9]\n', 'V00\n', 'U00:%x[999999999999,0]\n'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    let n = 0;
    run(
      'CrfTagger.load (corrupted headers)',
      300,
      [fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.option(wrongValue, { freq: 4 })), { minLength: 1, maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.option(fc.jsonValue({ maxDepth: 1 }), { freq: 10 })],
      (changes, dw, whole) => {
        let h: unknown = validCrfHeader();
        for (const [k, v] of changes) {
          if (v === null) delete (h as Record<string, unknown>)[k];
          else (h as Record<string, unknown>)[k] = v;
        }
        if (whole !== null) h = whole; // not even an object
        const path = join(tmp, `m${n++}.model`);
        writeFileSync(path, encodeModel(h as object ?? null, new Float32Array(Math.max(0, crfParamCount(2, 3, 1) + dw))));
        let t: CrfTagger;
        try {
          t = CrfTagger.load(path);
        } catch (e) {
          expectModelError(() => { throw e; }, path);
          return;
        }
        // what loads is a consistent model
        const hd = t.header;
        expect(['chunking', 'pos', 'seg']).toContain(hd.task);
        expect(['crf', 'dense-crf']).toContain(hd.model);
        expect(Number.isSafeInteger(hd.Y) && hd.Y >= 1).toBe(true);
        expect(Number.isSafeInteger(hd.F) && hd.F >= 0).toBe(true);
        expect(Number.isSafeInteger(hd.E) && hd.E >= 0 && hd.E <= hd.F).toBe(true);
        expect(hd.labels.every((l) => typeof l === 'string')).toBe(true);
        expect(hd.features.every((f) => typeof f === 'string')).toBe(true);
        expect(t.weights.length).toBe(crfParamCount(hd.Y, hd.F, hd.E));
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 4. CLI option parsers

const optionStringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '-', '+', '.', 'e', 'E', 'x', ' ', '_', 'n', '\t', '\u00a0'), maxLength: 10 }),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.double().map(String),
  fc.constantFrom('', ' ', '-0', '+0', '0x10', '0b1', '0o7', '1e3', '1e400', 'Infinity', '-Infinity', 'NaN', '9007199254740993', '1.0', '.5', '5.', '1_000', '١٢', '\ufeff5', '5\n', '٣'),
);
const rangeArb = fc.oneof(
  fc.tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 1000 })).map(([lo, w]) => [lo, lo + w] as const),
  fc.constantFrom([0, 1] as const, [1, 2 ** 31 - 1] as const, [0, Number.MAX_SAFE_INTEGER] as const, [-1e9, 1e9] as const),
);

function checkOption(kind: 'int' | 'number', name: string, lo: number, hi: number, v: string): void {
  const parse = (kind === 'int' ? intOption : numberOption)(name, lo, hi);
  let n: number;
  try {
    n = parse(v);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    expect(e.message).toContain(name);
    expect(e.message).toContain(`${lo} to ${hi}`);
    // refused: not a (decimal) number in range
    const x = Number(v);
    if (kind === 'int' && /^\s*[+-]?\d+\s*$/.test(v) && Number.isSafeInteger(x)) expect(x < lo || x > hi).toBe(true);
    return;
  }
  expect(typeof n).toBe('number');
  expect(Number.isFinite(n)).toBe(true);
  expect(n >= lo && n <= hi).toBe(true);
  expect(Object.is(n, -0)).toBe(false);
  expect(n === Number(v)).toBe(true);
  if (kind === 'int') expect(Number.isSafeInteger(n)).toBe(true);
}

describe('fuzz: CLI option parsers', () => {
  it('intOption: an integer in range or InvalidArgumentError naming the option', () => {
    run('intOption', 1000, [optionStringArb, rangeArb, fc.constantFrom('--threads', '--passes', '--seed')], (v, [lo, hi], name) =>
      checkOption('int', name, lo, hi, v),
    );
  });
  it('numberOption: a finite number in range or InvalidArgumentError naming the option', () => {
    run('numberOption', 1000, [optionStringArb, rangeArb, fc.constantFrom('--lr', '--l2', '--decay')], (v, [lo, hi], name) =>
      checkOption('number', name, lo, hi, v),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// the bugs this fuzzing found, as plain examples

describe('fuzz: regressions', () => {
  it('a token lacking a column the template uses is a DataError naming the data file:line', () => {
    const t = parseTemplate('U00:%x[0,0]\nU01:%x[0,1]\n', 't.txt');
    const train = readColumnText('a NN X\nb VB Y\n', 'train.txt');
    const dict = FeatureDictionary.build(train, t);
    const labels = LabelDictionary.build(train);
    const ragged: Sentence = { tokens: [['a', 'NN'], ['b']], tags: [], line: 7, source: 'in.txt' };
    expect(() => extract([ragged], t, dict, labels)).toThrow(DataError);
    expect(() => extract([ragged], t, dict, labels)).toThrow(/^in\.txt:8: token 2 of the sentence has 1 observation column, but template t\.txt uses column 1/);
    expect(() => FeatureDictionary.build([ragged], t)).toThrow(/^in\.txt:8: /);
    // through a dictionary loaded from a model file (the string path) too
    expect(() => extract([ragged], t, FeatureDictionary.fromArrays(dict.features), labels)).toThrow(/^in\.txt:8: /);
  });

  it('a macro offset beyond +-1000 (or an overflowing number) is refused by the parser', () => {
    for (const m of ['%x[99999999999,0]', '%x[-2147483648,1]', '%x[1001,0]', `%x[0,${'9'.repeat(400)}]`]) {
      const e = (() => {
        try {
          parseTemplate(`U00:%x[0,0]\nU01:${m}\n`, 'big.txt');
        } catch (err) {
          return err as DataError;
        }
        throw new Error(`${m} was accepted`);
      })();
      expect(e).toBeInstanceOf(DataError);
      expect(e.message).toMatch(/^big\.txt:2: macro .* is out of range/);
    }
    expect(parseTemplate('U00:%x[-1000,0]/%x[1000,0]\n', 'ok.txt').lines[0]!.macros).toEqual([{ row: -1000, col: 0 }, { row: 1000, col: 0 }]);
  });

  it('a model header that is not UTF-8 is refused as such', () => {
    const buf = Buffer.from(encodeModel({ format: 'asyngrad-crf', labels: ['é'] }, new Float32Array(2)));
    const at = buf.indexOf(Buffer.from('é', 'utf8'));
    buf[at] = 0xff;
    reseal(buf);
    expect(() => decodeModel(buf, 'u.model')).toThrow(/^u\.model: corrupt header \(not valid UTF-8\)/);
  });

  it('CrfTagger.load refuses headers with bad field types, a bad task or model, or an impossible shape', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ labels: ['B-NP'] }, /labels must be 2 strings/],
      [{ labels: ['B-NP', 7] }, /labels must be 2 strings/],
      [{ features: undefined }, /features must be 3 strings/],
      [{ Y: '2' }, /shape Y="2"/],
      [{ E: -1 }, /0 <= E <= F/],
      [{ E: 4 }, /0 <= E <= F/],
      [{ templateSource: undefined }, /templateSource must be strings/],
      [{ task: 'ner' }, /task "ner" is not one of chunking, np-chunking, pos, seg/],
      [{ model: 'lstm' }, /model "lstm" is not crf or dense-crf/],
      [{ template: 'U00:%x[99999999999,0]\n' }, /out of range/],
    ];
    for (const [change, msg] of cases) {
      const path = join(tmp, 'reg.model');
      writeFileSync(path, encodeModel({ ...validCrfHeader(), ...change }, new Float32Array(crfParamCount(2, 3, 1))));
      const e = expectModelError(() => CrfTagger.load(path), path);
      expect(e.message).toMatch(msg);
    }
  });

  it('intOption / numberOption turn "-0" into 0', () => {
    expect(Object.is(intOption('--seed', 0, 10)('-0'), 0)).toBe(true);
    expect(Object.is(numberOption('--l2', 0, 10)('-0'), 0)).toBe(true);
  });
});
