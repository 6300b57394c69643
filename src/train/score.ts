// Scores a task's predictions: chunking by conlleval F1, POS by token accuracy, segmentation by the
// SIGHAN word F1 (tags B/M/E/S turned back into words). Percent, as the reference scorers print.
import type { Sentence } from '../data/types.js';
import { sentenceWords } from '../data/segmented.js';
import { tokenAccuracy } from '../eval/accuracy.js';
import { conlleval } from '../eval/conlleval.js';
import { sighanScore } from '../eval/sighan.js';
import { taskKind, type TaskName } from './tasks.js';

export interface Score {
  accuracy: number;
  f1?: number;
  precision?: number;
  recall?: number;
}

export function scoreTask(task: TaskName, gold: readonly Sentence[], pred: readonly (readonly string[])[]): Score {
  const goldTags = gold.map((s) => s.tags);
  const acc = tokenAccuracy(goldTags, pred).accuracy;
  const kind = taskKind(task);
  if (kind === 'pos') return { accuracy: acc };
  if (kind === 'chunking') {
    const r = conlleval(goldTags, pred);
    return { accuracy: r.accuracy, f1: r.f1, precision: r.precision, recall: r.recall };
  }
  const r = sighanScore(gold.map((s) => sentenceWords(s)), pred.map((p, i) => sentenceWords(gold[i], p)));
  return { accuracy: acc, f1: r.f1, precision: r.precision, recall: r.recall };
}

/** The number a task is judged by. */
export function headline(task: TaskName, s: Score): number {
  return taskKind(task) === 'pos' ? s.accuracy : (s.f1 ?? s.accuracy);
}
