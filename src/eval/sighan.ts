// Word segmentation precision / recall / F1 as the SIGHAN bakeoff scorer computes them: a word is a
// span of characters, and a predicted word is correct iff the same span is a word in the gold
// segmentation. Precision = correct / predicted words, recall = correct / gold words, in percent.
// With a training-word dictionary, OOV and IV recall are reported as well (the recall over gold words
// not in / in the dictionary), as the SIGHAN script does.

export interface SegmentationResult {
  precision: number;
  recall: number;
  f1: number;
  goldWords: number;
  predWords: number;
  correctWords: number;
  /** recall over gold words not in the dictionary (only when a dictionary is given) */
  oovRecall?: number;
  /** recall over gold words in the dictionary (only when a dictionary is given) */
  ivRecall?: number;
  /** gold words not in the dictionary */
  oovWords?: number;
  /** of those, found */
  oovCorrectWords?: number;
}

export interface SighanOptions {
  /** training-data words, for OOV / IV recall */
  dictionary?: ReadonlySet<string>;
}

const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : 0);

/** Scores predicted segmentations against gold ones; each sentence must spell the same text. */
export function sighanScore(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
  opts: SighanOptions = {},
): SegmentationResult {
  if (gold.length !== pred.length) throw new Error(`sighanScore: ${gold.length} gold sentences but ${pred.length} predicted`);
  const dict = opts.dictionary;
  let goldWords = 0;
  let predWords = 0;
  let correct = 0;
  let oov = 0;
  let oovCorrect = 0;
  let ivCorrect = 0;
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s]!.filter((w) => w.length > 0);
    const p = pred[s]!.filter((w) => w.length > 0);
    if (g.join('') !== p.join('')) {
      throw new Error(`sighanScore: sentence ${s}: the gold and predicted words spell different text`);
    }
    goldWords += g.length;
    predWords += p.length;
    // walk both span lists; a gold word [gs, ge) is correct iff a predicted word has the same span
    let gi = 0;
    let pi = 0;
    let gs = 0;
    let ps = 0;
    while (gi < g.length && pi < p.length) {
      const ge = gs + g[gi]!.length;
      const pe = ps + p[pi]!.length;
      if (gs === ps && ge === pe) {
        correct++;
        if (dict) {
          if (dict.has(g[gi]!)) ivCorrect++;
          else oovCorrect++;
        }
      }
      if (ge <= pe) {
        gs = ge;
        gi++;
      }
      if (pe <= ge) {
        ps = pe;
        pi++;
      }
    }
    if (dict) for (const w of g) if (!dict.has(w)) oov++;
  }
  const precision = pct(correct, predWords);
  const recall = pct(correct, goldWords);
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const r: SegmentationResult = { precision, recall, f1, goldWords, predWords, correctWords: correct };
  if (dict) {
    r.oovWords = oov;
    r.oovCorrectWords = oovCorrect;
    r.oovRecall = pct(oovCorrect, oov);
    r.ivRecall = pct(ivCorrect, goldWords - oov);
  }
  return r;
}
