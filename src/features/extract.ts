// Feature extraction for a whole data set into flat typed arrays (CSR layout):
//   sentence s covers tokens tokStart[s] .. tokStart[s+1]-1;
//   token t has feature ids featIds[featStart[t] .. featStart[t+1]-1] (ascending); an edge-only
//   feature f (from a B line with macros) is stored as ~f (negative): the kernels give it no node
//   weights, only its edge block;
//   labels[t] is the gold label id of token t, or -1 (unlabeled input, or an unknown tag with
//   unknownTag: 'ignore'; scorers must count a -1 token as wrong whatever is predicted).
// Features that are not in the dictionary are dropped.
import { DataError } from '../data/errors.js';
import { tokenLine, type Sentence } from '../data/types.js';
import type { FeatureDictionary, LabelDictionary } from './dictionary.js';
import { checkColumns, checkTokenColumns, type Template } from './template.js';

export interface ExtractOptions {
  /**
   * a gold tag not seen in training: 'error' (default) throws a DataError naming file:line;
   * 'ignore' stores label -1, which always counts as wrong
   */
  unknownTag?: 'error' | 'ignore';
}

export interface Extracted {
  /** nSent + 1 offsets into the token arrays */
  tokStart: Int32Array;
  /** nTok + 1 offsets into featIds */
  featStart: Int32Array;
  /** feature ids of all tokens, ascending within a token; ~f (negative) for an edge-only feature f */
  featIds: Int32Array;
  /** nTok gold label ids (-1: none / unknown) */
  labels: Int32Array;
}

export function extract(
  sentences: readonly Sentence[],
  template: Template,
  dict: FeatureDictionary,
  labels: LabelDictionary,
  opts: ExtractOptions = {},
): Extracted {
  const ignoreUnknown = opts.unknownTag === 'ignore';
  const nSent = sentences.length;
  let nTok = 0;
  for (const s of sentences) nTok += s.tokens.length;
  const nl = template.lines.length;
  const edgeOnlyLine = template.lines.map((l) => l.edgeOnly);
  const tokStart = new Int32Array(nSent + 1);
  const featStart = new Int32Array(nTok + 1);
  const labelIds = new Int32Array(nTok);
  const ids = new Int32Array(nTok * nl); // upper bound: one feature per template line and token
  let nf = 0;
  let tok = 0;
  let checked = -1;
  let scratch = new Int32Array(1024);
  for (let si = 0; si < nSent; si++) {
    const s = sentences[si]!;
    tokStart[si] = tok;
    const toks = s.tokens;
    const len = toks.length;
    if (len > 0) {
      const nc = toks[0]!.length;
      if (nc !== checked) {
        checkColumns(template, nc, s.source);
        checked = nc;
      }
      checkTokenColumns(template, s);
    }
    const tags = s.tags;
    if (tags.length !== 0 && tags.length !== len) {
      throw new DataError(s.source ?? '(data)', s.line, `sentence has ${len} tokens but ${tags.length} tags`);
    }
    if (scratch.length < len * nl) scratch = new Int32Array(len * nl * 2);
    dict.lookupSentence(template, toks, scratch);
    for (let i = 0; i < len; i++, tok++) {
      featStart[tok] = nf;
      const begin = nf;
      for (let t = 0; t < nl; t++) {
        const found = scratch[i * nl + t]!;
        // a B line's feature has no label pair at the first token (CRF++ starts them at the second)
        if (found < 0 || (i === 0 && edgeOnlyLine[t])) continue;
        const id = edgeOnlyLine[t] ? ~found : found;
        // insertion keeps the token's ids ascending (a token has only a few dozen)
        let j = nf++;
        while (j > begin && ids[j - 1]! > id) {
          ids[j] = ids[j - 1]!;
          j--;
        }
        ids[j] = id;
      }
      if (tags.length === 0) labelIds[tok] = -1;
      else {
        const tag = tags[i]!;
        const y = labels.id(tag);
        if (y < 0 && !ignoreUnknown) {
          throw new DataError(
            s.source ?? '(data)',
            tokenLine(s, i),
            `tag '${tag}' was not seen in the training data (known: ${labels.size} tags); use unknownTag 'ignore' to score such tokens as errors`,
          );
        }
        labelIds[tok] = y;
      }
    }
  }
  tokStart[nSent] = tok;
  featStart[nTok] = nf;
  return { tokStart, featStart, featIds: ids.slice(0, nf), labels: labelIds };
}
