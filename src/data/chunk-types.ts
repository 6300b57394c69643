// Keeping only some chunk types of a chunked data set: base-NP chunking (Ramshaw & Marcus; Sha &
// Pereira; Sun et al. 2008) reads the CoNLL-2000 files and keeps the NP chunks, every other token O.
import type { Sentence } from './types.js';

/**
 * The sentences with every chunk tag whose type is not in `keep` replaced by O. A tag is
 * PREFIX-TYPE (B-NP, I-VP, and E-/S- of IOBES alike); a tag without a type (O) stays O.
 */
export function keepChunkTypes(sentences: Sentence[], keep: readonly string[]): Sentence[] {
  const kept = new Set(keep);
  const tag = (t: string) => {
    const dash = t.indexOf('-');
    return dash > 0 && kept.has(t.slice(dash + 1)) ? t : 'O';
  };
  return sentences.map((s) => (s.tags.length ? { ...s, tags: s.tags.map(tag) } : s));
}
