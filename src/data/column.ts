// Column-format data (CoNLL / CRF++ style): one token a line, fields separated by runs of spaces or
// tabs, a blank line between sentences. When the data is labeled the last field is the gold tag and
// the others are observation columns; unlabeled data (input to `tag`) has observation columns only.
// Every line of a file must have the same number of fields.
import { readFileSync } from 'node:fs';
import { DataError } from './errors.js';
import { tokenLine, type Sentence } from './types.js';

export interface ColumnReadOptions {
  /** the last column is the gold tag (default true) */
  labeled?: boolean;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 bytes, throwing a DataError that names the line of the first invalid byte.
 * A leading byte-order mark is dropped.
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    // find the line: UTF-8 sequences never contain 0x0A, so lines can be decoded one by one
    let line = 1;
    let start = 0;
    for (;;) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      const lineBytes = bytes.subarray(start, end);
      try {
        new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(lineBytes);
      } catch {
        const at = firstInvalidUtf8(lineBytes);
        const b = lineBytes[at] ?? 0;
        throw new DataError(
          source,
          line,
          `invalid UTF-8 (byte 0x${b.toString(16).padStart(2, '0')} at byte ${at + 1} of the line); the file must be UTF-8 text`,
        );
      }
      if (end >= bytes.length) break;
      start = end + 1;
      line++;
    }
    // a sequence cut by the end of the file is reported on the last line above; this is unreachable
    throw new DataError(source, undefined, 'invalid UTF-8');
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

const FIELD_SEP = /[ \t]+/;
const BLANK = /^[ \t]*$/;
const EDGE_SPACE = /^[ \t]+|[ \t]+$/g;

/** Fields of a non-blank line (runs of spaces/tabs separate; leading/trailing ones are ignored). */
function splitFields(line: string): string[] {
  const first = line.charCodeAt(0);
  const last = line.charCodeAt(line.length - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9) line = line.replace(EDGE_SPACE, '');
  return line.split(FIELD_SEP);
}

/**
 * Parses column-format text. `source` names the text in error messages (usually the file path).
 * Throws DataError for: no sentences, a line whose field count differs from the file's first
 * token line, and (labeled) a line with a single field.
 */
export function readColumnText(text: string, source: string, opts: ColumnReadOptions = {}): Sentence[] {
  const labeled = opts.labeled ?? true;
  const sentences: Sentence[] = [];
  let expected = -1;
  let tokens: string[][] = [];
  let tags: string[] = [];
  let first = 0;
  let lineNo = 0;
  let pos = 0;
  if (text.charCodeAt(0) === 0xfeff) pos = 1; // byte-order mark
  const len = text.length;
  const flush = () => {
    if (tokens.length > 0) {
      sentences.push({ tokens, tags, line: first, source });
      tokens = [];
      tags = [];
    }
  };
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0 || BLANK.test(line)) {
      flush();
      continue;
    }
    const fields = splitFields(line);
    if (expected < 0) {
      expected = fields.length;
      if (labeled && expected < 2) {
        throw new DataError(
          source,
          lineNo,
          'labeled data needs at least 2 columns (observations, then the tag), found 1',
        );
      }
    } else if (fields.length !== expected) {
      throw new DataError(source, lineNo, `expected ${expected} columns, found ${fields.length}`);
    }
    if (tokens.length === 0) first = lineNo;
    if (labeled) tags.push(fields.pop()!);
    tokens.push(fields);
  }
  flush();
  if (sentences.length === 0) throw new DataError(source, undefined, 'no sentences (the file is empty or blank)');
  return sentences;
}

/** Reads a column-format file (UTF-8); error messages name `path` as given. */
export function readColumnFile(path: string, opts: ColumnReadOptions = {}): Sentence[] {
  return readColumnText(decodeUtf8(readDataFile(path), path), path, opts);
}

/** The bytes of a data file, or a DataError naming it (missing, a directory, unreadable). */
export function readDataFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a directory, not a file' : code === 'ENOENT' ? 'no such file' : code === 'ERR_FS_FILE_TOO_LARGE' ? 'larger than 2 GiB, more than a data file can be here' : `cannot read (${code ?? (e as Error).message})`;
    throw new DataError(path, undefined, why);
  }
}

/** Observation columns per token of read sentences (the first token's: a file's lines all agree). */
export function observationColumns(sents: readonly Sentence[]): number {
  return sents[0]?.tokens[0]?.length ?? 0;
}

/**
 * Throws a DataError naming the file and line of the first token whose number of observation columns
 * is not `expected` (the training data's). `against` says what fixed it, e.g. "the model was trained on".
 */
export function checkObservationColumns(sents: readonly Sentence[], expected: number, against: string): void {
  for (const s of sents) {
    for (let i = 0; i < s.tokens.length; i++) {
      const n = s.tokens[i].length;
      if (n !== expected) {
        throw new DataError(s.source ?? '<input>', tokenLine(s, i), `${n} observation column${n === 1 ? '' : 's'}, but ${against} ${expected}`);
      }
    }
  }
}
