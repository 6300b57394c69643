// Segmented text (Chinese word segmentation): one sentence a line, words separated by whitespace.
// Each character (Unicode code point) becomes a token whose column 0 is the character; its tag is
// B (first character of a multi-character word), M (middle), E (last) or S (single-character word).
import { decodeUtf8, readDataFile } from './column.js';
import { DataError } from './errors.js';
import type { Sentence } from './types.js';

export interface SegmentedReadOptions {
  /**
   * true (default): lines are segmented (gold words) and tags are B/M/E/S.
   * false: raw text to segment; whitespace is dropped and tags are left empty.
   */
  labeled?: boolean;
}

const WS = /\s+/u;

/** B/M/E/S tags for the characters of a sequence of words. */
export function wordsToTags(words: readonly string[]): { chars: string[]; tags: string[] } {
  const chars: string[] = [];
  const tags: string[] = [];
  for (const w of words) {
    const cs = Array.from(w);
    if (cs.length === 0) continue;
    if (cs.length === 1) {
      chars.push(cs[0]!);
      tags.push('S');
      continue;
    }
    for (let k = 0; k < cs.length; k++) {
      chars.push(cs[k]!);
      tags.push(k === 0 ? 'B' : k === cs.length - 1 ? 'E' : 'M');
    }
  }
  return { chars, tags };
}

/**
 * Parses segmented text, one sentence per non-empty line. `source` names the text in error messages.
 * Throws DataError when there is no sentence at all.
 */
export function readSegmentedText(text: string, source: string, opts: SegmentedReadOptions = {}): Sentence[] {
  const labeled = opts.labeled ?? true;
  const sentences: Sentence[] = [];
  let pos = 0;
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  let lineNo = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(pos, end).trim(); // also drops a CR and Unicode whitespace at the ends
    pos = end + 1;
    if (line.length === 0) continue;
    const words = line.split(WS);
    let tokens: string[][];
    let tags: string[];
    if (labeled) {
      const t = wordsToTags(words);
      tokens = t.chars.map((c) => [c]);
      tags = t.tags;
    } else {
      tokens = [];
      for (const w of words) for (const c of w) tokens.push([c]);
      tags = [];
    }
    sentences.push({ tokens, tags, line: lineNo, source, oneLine: true });
  }
  if (sentences.length === 0) throw new DataError(source, undefined, 'no sentences (the file is empty or blank)');
  return sentences;
}

/** Reads a segmented-text file (UTF-8); error messages name `path` as given. */
export function readSegmentedFile(path: string, opts: SegmentedReadOptions = {}): Sentence[] {
  return readSegmentedText(decodeUtf8(readDataFile(path), path), path, opts);
}

/**
 * Words from characters and B/M/E/S tags. Invalid sequences are repaired the usual way:
 * B and S close any open word (S then forms a word alone, B opens a new one); M or E with no open
 * word opens one; E closes the word it ends; M continues; a word left open at the end is closed.
 * Any other tag is treated as S.
 */
export function tagsToWords(chars: readonly string[], tags: readonly string[]): string[] {
  if (chars.length !== tags.length) {
    throw new Error(`tagsToWords: ${chars.length} characters but ${tags.length} tags`);
  }
  const words: string[] = [];
  let cur = '';
  let open = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    switch (tags[i]) {
      case 'B':
        if (open) words.push(cur);
        cur = c;
        open = true;
        break;
      case 'M':
        if (open) cur += c;
        else {
          cur = c;
          open = true;
        }
        break;
      case 'E':
        words.push(open ? cur + c : c);
        cur = '';
        open = false;
        break;
      default: // 'S' and anything else
        if (open) words.push(cur);
        words.push(c);
        cur = '';
        open = false;
    }
  }
  if (open) words.push(cur);
  return words;
}

/** The words of a character-tagged sentence under `tags` (default: its gold tags). */
export function sentenceWords(s: Sentence, tags: readonly string[] = s.tags): string[] {
  return tagsToWords(s.tokens.map((t) => t[0]!), tags);
}
