// CRF++ feature templates.
//
// Syntax (as in CRF++): one template a line; blank lines and lines starting with '#' are skipped.
//   U<anything>   a unigram (observation) template: the line is the feature string, with every macro
//                 %x[row,col] replaced by column `col` of the token at offset `row` from the current
//                 one, e.g. `U05:%x[-1,0]/%x[0,0]` gives `U05:the/dog`. A U line without macros is a
//                 constant (bias) feature.
//   B             transition (label bigram) features: the label pair (y[i-1], y[i]).
//   B<anything>   with macros, e.g. `B01:%x[0,0]`: as in CRF++, each expanded string is a feature of
//                 the label pair only (edge-only: Y*Y weights, no per-label node weights), which is a
//                 rich edge feature chosen by the template rather than by frequency. Its strings start
//                 with B, a U line's with U, so a saved dictionary still tells them apart. As in CRF++
//                 it has no feature at a sentence's first token (no label pair ends there).
// Offsets outside the sentence expand to CRF++'s padding symbols: _B-1, _B-2, ... before the first
// token and _B+1, _B+2, ... after the last one. Column indices are checked against the data when the
// template is applied (see checkColumns). Two U lines with the same identifier (the text before ':')
// would produce colliding feature strings, so that is an error, as is an exact duplicate line.
import { readFileSync } from 'node:fs';
import { DataError } from '../data/errors.js';
import { tokenLine, type Sentence } from '../data/types.js';
import { packageFile } from '../runtime/package-root.js';

export interface Macro {
  /** token offset from the current position */
  row: number;
  /** observation column */
  col: number;
}

export interface TemplateLine {
  /** the template line as written (trimmed), e.g. 'U05:%x[-1,0]/%x[0,0]' */
  text: string;
  /** 1-based line in the template file */
  line: number;
  /** literal text around the macros: parts.length === macros.length + 1 */
  parts: string[];
  macros: Macro[];
  /** a B line with macros: its features have edge (label-pair) weights only */
  edgeOnly: boolean;
}

export interface Template {
  /** the template file name, for error messages */
  source: string;
  /** observation templates in file order: U lines, and B lines with macros (edgeOnly) */
  lines: TemplateLine[];
  /** a `B` line was present (bare or with macros): the model has label-transition features */
  hasBigram: boolean;
  /** largest column index used by a macro, -1 when none */
  maxCol: number;
}

const MACRO = /^%x\[\s*([+-]?\d+)\s*,\s*(\d+)\s*\]/;
/**
 * Largest token offset a macro may use: feature extraction pads every sentence with that many
 * tokens on each side, so an absurd offset (%x[99999999999,0]) would exhaust memory or hang.
 */
export const MAX_MACRO_ROW = 1000;
/** Largest column index a macro may use (any real data has far fewer columns). */
export const MAX_MACRO_COL = 1_000_000;

/** Parses CRF++ template text; `source` names it in error messages (DataError with source:line). */
export function parseTemplate(text: string, source: string): Template {
  const lines: TemplateLine[] = [];
  let hasBigram = false;
  let maxCol = -1;
  const seenText = new Map<string, number>();
  const seenId = new Map<string, number>();
  const rows = text.split('\n');
  for (let ln = 0; ln < rows.length; ln++) {
    const lineNo = ln + 1;
    const raw = rows[ln]!.trim();
    if (raw.length === 0 || raw.startsWith('#')) continue;
    const kind = raw[0];
    if (kind !== 'U' && kind !== 'B') {
      throw new DataError(
        source,
        lineNo,
        `unknown template type '${kind}' in "${raw}": a template line starts with U (unigram) or B (bigram), or # for a comment`,
      );
    }
    const parts: string[] = [];
    const macros: Macro[] = [];
    let lit = '';
    for (let i = 0; i < raw.length; ) {
      const c = raw[i]!;
      if (c !== '%') {
        lit += c;
        i++;
        continue;
      }
      const m = MACRO.exec(raw.slice(i));
      if (!m) {
        throw new DataError(
          source,
          lineNo,
          `bad macro at column ${i + 1} of "${raw}": expected %x[row,col] with integer row and non-negative integer col`,
        );
      }
      const row = Number(m[1]);
      const col = Number(m[2]);
      if (!(Math.abs(row) <= MAX_MACRO_ROW) || !(col <= MAX_MACRO_COL)) {
        throw new DataError(
          source,
          lineNo,
          `macro ${m[0]} at column ${i + 1} of "${raw}" is out of range: the row (token offset) must be from -${MAX_MACRO_ROW} to ${MAX_MACRO_ROW} and the column at most ${MAX_MACRO_COL}`,
        );
      }
      parts.push(lit);
      lit = '';
      macros.push({ row, col });
      i += m[0].length;
    }
    parts.push(lit);
    if (kind === 'B') {
      hasBigram = true;
      // a bare B is the transitions; a B line without macros but with text (B00) is the same in CRF++
      if (macros.length === 0) continue;
    }
    const dup = seenText.get(raw);
    if (dup !== undefined) throw new DataError(source, lineNo, `duplicate template "${raw}" (same as line ${dup})`);
    seenText.set(raw, lineNo);
    const colon = raw.indexOf(':');
    if (colon > 0 && colon < raw.length && !raw.slice(0, colon).includes('%')) {
      const id = raw.slice(0, colon);
      const prev = seenId.get(id);
      if (prev !== undefined) {
        throw new DataError(
          source,
          lineNo,
          `template identifier ${id} is already used on line ${prev}; feature strings of the two lines would collide`,
        );
      }
      seenId.set(id, lineNo);
    }
    for (const m of macros) maxCol = Math.max(maxCol, m.col);
    lines.push({ text: raw, line: lineNo, parts, macros, edgeOnly: kind === 'B' });
  }
  return { source, lines, hasBigram, maxCol };
}

/** Reads and parses a template file; error messages name `path` as given. */
export function readTemplateFile(path: string): Template {
  return parseTemplate(readFileSync(path, 'utf8'), path);
}

/** Templates shipped with the package: one default per task, and the classic CRF++ chunking template. */
export type BuiltinTemplate = 'chunking' | 'chunking-crfpp' | 'pos' | 'seg';

/** Path of a template shipped with the package (templates/<name>.txt). */
export function builtinTemplatePath(name: BuiltinTemplate): string {
  return packageFile('templates', `${name}.txt`);
}

/**
 * Throws a DataError naming the first template line that uses a column the data lacks.
 * `nCols` is the number of observation columns (the tag column is not visible to templates).
 */
export function checkColumns(t: Template, nCols: number, dataSource = 'the data'): void {
  if (t.maxCol < nCols) return;
  for (const tl of t.lines) {
    for (const m of tl.macros) {
      if (m.col >= nCols) {
        throw new DataError(
          t.source,
          tl.line,
          `${tl.text} uses column ${m.col}, but ${dataSource} has ${nCols} observation column${nCols === 1 ? '' : 's'} counting the derived ones the task appends after the file's own (0..${nCols - 1}; README "Tasks and data formats"; the tag column is not visible to templates)`,
        );
      }
    }
  }
}

/**
 * Throws a DataError naming (file:line) the first token of a sentence that lacks a column the
 * template uses (tokens given directly, not read from a file, can have differing column counts).
 */
export function checkTokenColumns(t: Template, s: Sentence): void {
  const need = t.maxCol + 1;
  if (need === 0) return;
  const toks = s.tokens;
  for (let i = 0; i < toks.length; i++) {
    const n = toks[i]!.length;
    if (n < need) {
      throw new DataError(
        s.source ?? '(data)',
        tokenLine(s, i),
        `token ${i + 1} of the sentence has ${n} observation column${n === 1 ? '' : 's'}, but template ${t.source} uses column ${t.maxCol}`,
      );
    }
  }
}

const PAD_BEFORE: string[] = [];
const PAD_AFTER: string[] = [];
for (let k = 1; k <= 16; k++) {
  PAD_BEFORE.push(`_B-${k}`);
  PAD_AFTER.push(`_B+${k}`);
}

/** Column `col` of the token at position i, or the CRF++ padding symbol outside the sentence. */
export function cell(tokens: readonly (readonly string[])[], i: number, col: number): string {
  if (i < 0) return PAD_BEFORE[-i - 1] ?? `_B-${-i}`;
  const n = tokens.length;
  if (i >= n) return PAD_AFTER[i - n] ?? `_B+${i - n + 1}`;
  const v = tokens[i]![col];
  if (v === undefined) throw new Error(`token ${i} has no column ${col}`);
  return v;
}

/** The feature string of one template line at position pos. */
export function expandLine(tl: TemplateLine, tokens: readonly (readonly string[])[], pos: number): string {
  const { parts, macros } = tl;
  let s = parts[0]!;
  for (let k = 0; k < macros.length; k++) {
    const m = macros[k]!;
    s += cell(tokens, pos + m.row, m.col) + parts[k + 1]!;
  }
  return s;
}

/** All observation feature strings (U and B-with-macro lines) at position pos, in template order. */
export function expandToken(t: Template, tokens: readonly (readonly string[])[], pos: number): string[] {
  return t.lines.map((tl) => expandLine(tl, tokens, pos));
}
