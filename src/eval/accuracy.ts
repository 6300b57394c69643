// Token accuracy, in percent.

export interface AccuracyResult {
  /** 100 * correct / total (0 when there are no tokens) */
  accuracy: number;
  correct: number;
  total: number;
}

function result(correct: number, total: number): AccuracyResult {
  return { accuracy: total > 0 ? (100 * correct) / total : 0, correct, total };
}

/** Accuracy over sentences of gold and predicted tags (same shapes). */
export function tokenAccuracy(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
): AccuracyResult {
  if (gold.length !== pred.length) throw new Error(`tokenAccuracy: ${gold.length} gold sentences but ${pred.length} predicted`);
  let correct = 0;
  let total = 0;
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s]!;
    const p = pred[s]!;
    if (g.length !== p.length) throw new Error(`tokenAccuracy: sentence ${s} has ${g.length} gold tags but ${p.length} predicted`);
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) correct++;
    total += g.length;
  }
  return result(correct, total);
}

/**
 * Accuracy over label ids (e.g. Extracted.labels against predictions). A gold id below 0 (a tag
 * unseen in training, stored as -1) always counts as wrong.
 */
export function labelAccuracy(gold: ArrayLike<number>, pred: ArrayLike<number>): AccuracyResult {
  if (gold.length !== pred.length) throw new Error(`labelAccuracy: ${gold.length} gold labels but ${pred.length} predicted`);
  let correct = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i]! >= 0 && gold[i] === pred[i]) correct++;
  return result(correct, gold.length);
}
