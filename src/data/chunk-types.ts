// Keeping only some chunk types of a chunked data set: base-NP chunking (Ramshaw & Marcus; Sha &
// Pereira; Sun et al. 2008) reads the CoNLL-2000 files and keeps the NP chunks, every other token O.
import type { Sentence } from './types.js';

/**
 * A chunk tag as the kept types see it: PREFIX-TYPE (B-NP, I-VP, and E-/S- of IOBES alike) stays
 * when TYPE is kept, anything else (another type, or O) becomes O.
 */
export function chunkTagKeeper(keep: readonly string[]): (tag: string) => string {
  const kept = new Set(keep);
  return (t) => {
    const dash = t.indexOf('-');
    return dash > 0 && kept.has(t.slice(dash + 1)) ? t : 'O';
  };
}

/** The sentences with every chunk tag whose type is not in `keep` replaced by O. */
export function keepChunkTypes(sentences: Sentence[], keep: readonly string[]): Sentence[] {
  const tag = chunkTagKeeper(keep);
  return sentences.map((s) => (s.tags.length ? { ...s, tags: s.tags.map(tag) } : s));
}
