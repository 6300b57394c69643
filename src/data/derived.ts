// Derived observation columns, so that CRF++ templates (which only copy columns) can use word
// features. Both functions return new Sentence objects; the input is not modified.
//
// addPosColumns: for a sentence with n observation columns (column 0 = the word), these columns are
// appended at index n + k (UD-EWT POS data has n = 1, so `lower` is column 1 ... `isCap` column 12;
// CoNLL-2000 chunking data has n = 2, word and POS, so `lower` is column 2 ... `isCap` column 13):
//   k  name       value
//   0  lower      the word lowercased
//   1  suf1       last 1 character of `lower`
//   2  suf2       last 2 characters of `lower`, or '_' if the word is shorter
//   3  suf3       last 3 characters of `lower`, or '_'
//   4  suf4       last 4 characters of `lower`, or '_'
//   5  pre1       first 1 character of `lower`
//   6  pre2       first 2 characters of `lower`, or '_'
//   7  pre3       first 3 characters of `lower`, or '_'
//   8  shape      word shape: upper-case letter X, other letter x, digit d, anything else itself,
//                 runs of the same symbol collapsed ("Mr." -> "Xx.", "1,000" -> "d,d", "U.S." -> "X.X.")
//   9  hasDigit   '1' if the word contains a digit, else '0'
//  10  hasHyphen  '1' if the word contains '-', else '0'
//  11  isCap      '1' if the first character is an upper-case letter, else '0'
// Characters are Unicode code points. ('_' cannot collide with a real suffix/prefix of length >= 2.)
//
// addSegColumns: for character data (column 0 = the character), appends one column at index n:
//   0  class      D digit (any script, includes full-width), L Latin letter (includes full-width),
//                 C CJK ideograph (Han), P punctuation or symbol, O anything else (kana, Hangul, ...)
import type { Sentence } from './types.js';

/** Names of the columns addPosColumns appends, in order. */
export const POS_DERIVED_COLUMNS = [
  'lower',
  'suf1',
  'suf2',
  'suf3',
  'suf4',
  'pre1',
  'pre2',
  'pre3',
  'shape',
  'hasDigit',
  'hasHyphen',
  'isCap',
] as const;

/** Names of the columns addSegColumns appends, in order. */
export const SEG_DERIVED_COLUMNS = ['class'] as const;

const SURROGATE = /[\uD800-\uDFFF]/;
const UPPER = /^[\p{Lu}\p{Lt}]$/u;
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

function shapeChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 128) {
    if (c >= 65 && c <= 90) return 'X';
    if (c >= 97 && c <= 122) return 'x';
    if (c >= 48 && c <= 57) return 'd';
    return ch;
  }
  if (UPPER.test(ch)) return 'X';
  if (LETTER.test(ch)) return 'x';
  if (DIGIT.test(ch)) return 'd';
  return ch;
}

/** The word-shape feature (see the table at the top of this file). */
export function wordShape(word: string): string {
  let out = '';
  let last = '';
  for (const ch of word) {
    const s = shapeChar(ch);
    if (s !== last) {
      out += s;
      last = s;
    }
  }
  return out;
}

/** The 12 derived POS columns of one word, in the documented order. */
export function posFeatures(word: string): string[] {
  const lower = word.toLowerCase();
  const cps = SURROGATE.test(lower) ? Array.from(lower) : null;
  const n = cps ? cps.length : lower.length;
  const suf = (k: number) => (n < k ? '_' : cps ? cps.slice(n - k).join('') : lower.slice(n - k));
  const pre = (k: number) => (n < k ? '_' : cps ? cps.slice(0, k).join('') : lower.slice(0, k));
  let hasDigit = false;
  for (const ch of word) {
    if (shapeChar(ch) === 'd') {
      hasDigit = true;
      break;
    }
  }
  const firstCh = word.length > 0 ? String.fromCodePoint(word.codePointAt(0)!) : '';
  return [
    lower,
    suf(1),
    suf(2),
    suf(3),
    suf(4),
    pre(1),
    pre(2),
    pre(3),
    wordShape(word),
    hasDigit ? '1' : '0',
    word.includes('-') ? '1' : '0',
    firstCh !== '' && UPPER.test(firstCh) ? '1' : '0',
  ];
}

/** Appends the derived POS columns (computed from column 0) to every token. */
export function addPosColumns(sentences: readonly Sentence[]): Sentence[] {
  const cache = new Map<string, string[]>();
  return sentences.map((s) => ({
    ...s,
    tokens: s.tokens.map((cols) => {
      const w = cols[0] ?? '';
      let f = cache.get(w);
      if (!f) {
        f = posFeatures(w);
        cache.set(w, f);
      }
      return cols.concat(f);
    }),
  }));
}

const HAN = /^\p{Script=Han}$/u;
const LATIN = /^\p{Script=Latin}$/u;
const PUNCT = /^[\p{P}\p{S}]$/u;

/** Character class of one character: D, L, C, P or O (see the table at the top of this file). */
export function charClass(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c < 128) {
    if (c >= 48 && c <= 57) return 'D';
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 'L';
    return 'P';
  }
  if (DIGIT.test(ch)) return 'D';
  if (HAN.test(ch)) return 'C';
  if (LATIN.test(ch)) return 'L';
  if (PUNCT.test(ch)) return 'P';
  return 'O';
}

/** Appends the character-class column (computed from column 0) to every token. */
export function addSegColumns(sentences: readonly Sentence[]): Sentence[] {
  const cache = new Map<string, string>();
  return sentences.map((s) => ({
    ...s,
    tokens: s.tokens.map((cols) => {
      const ch = cols[0] ?? '';
      let c = cache.get(ch);
      if (c === undefined) {
        c = charClass(ch);
        cache.set(ch, c);
      }
      return cols.concat(c);
    }),
  }));
}
