// The report `asyngrad eval` prints, in the form each task's reference scorer prints it, and the
// same figures as JSON:
// - chunking: conlleval.pl's report (overall and per chunk type);
// - pos: token accuracy with its counts, whole-sentence accuracy, per-tag precision / recall / F1
//   (as CRFsuite's tagger -qt reports labels), and known / unknown-word accuracy given a dictionary;
// - seg: the summary lines of the SIGHAN bakeoff's `score` script (OOV and IV recall given a
//   dictionary).
import type { Sentence } from '../data/types.js';
import { sentenceWords } from '../data/segmented.js';
import { taskKind, type TaskName } from '../train/tasks.js';
import { conlleval, formatConlleval, printf2, printfFixed } from './conlleval.js';
import { sighanScore } from './sighan.js';
import { tokenAccuracy } from './accuracy.js';

export interface EvaluationReport {
  /** what the reference scorer would print */
  text: string;
  /** the same figures (percentages as numbers, counts as integers) */
  json: Record<string, unknown>;
}

/** Precision / recall / F1 of one label (token level), with its counts. */
export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  /** tokens with this gold label */
  gold: number;
  /** tokens given this label */
  predicted: number;
  correct: number;
}

const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : 0);
const fmt = (x: number) => printf2(x).padStart(6);

function labelScores(correct: number, predicted: number, gold: number): LabelScores {
  const precision = pct(correct, predicted), recall = pct(correct, gold);
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, gold, predicted, correct };
}

/**
 * Scores predictions against gold sentences for a task. `dictionary`: the words of the training data
 * (pos: known/unknown-word accuracy; seg: OOV/IV recall).
 */
export function evaluationReport(
  task: TaskName,
  gold: readonly Sentence[],
  pred: readonly (readonly string[])[],
  dictionary?: ReadonlySet<string>,
): EvaluationReport {
  const kind = taskKind(task);
  if (kind === 'chunking') return chunkingReport(gold, pred);
  if (kind === 'pos') return posReport(gold, pred, dictionary);
  return segReport(gold, pred, dictionary);
}

function chunkingReport(gold: readonly Sentence[], pred: readonly (readonly string[])[]): EvaluationReport {
  const r = conlleval(gold.map((s) => s.tags), pred);
  const types: Record<string, unknown> = {};
  for (const [t, s] of Object.entries(r.byType)) {
    types[t] = { precision: s.precision, recall: s.recall, f1: s.f1, gold: s.foundCorrect, predicted: s.foundGuessed, correct: s.correct };
  }
  return {
    text: formatConlleval(r),
    json: {
      accuracy: r.accuracy, f1: r.f1, precision: r.precision, recall: r.recall,
      tokens: r.tokens, phrases: { gold: r.foundCorrect, predicted: r.foundGuessed, correct: r.correctChunks },
      sentences: gold.length, sentence_accuracy: sentenceAccuracy(gold, pred),
      by_type: types,
    },
  };
}

function sentenceAccuracy(gold: readonly Sentence[], pred: readonly (readonly string[])[]): number {
  let right = 0;
  gold.forEach((s, i) => { if (s.tags.every((t, j) => pred[i]![j] === t)) right++; });
  return pct(right, gold.length);
}

function posReport(gold: readonly Sentence[], pred: readonly (readonly string[])[], dict?: ReadonlySet<string>): EvaluationReport {
  const goldN = new Map<string, number>(), predN = new Map<string, number>(), rightN = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let tokens = 0, correct = 0, known = 0, knownRight = 0;
  gold.forEach((s, i) => {
    const p = pred[i]!;
    if (p.length !== s.tags.length) throw new Error(`sentence ${i} has ${s.tags.length} gold tags but ${p.length} predicted`);
    s.tags.forEach((g, j) => {
      tokens++;
      inc(goldN, g);
      inc(predN, p[j]!);
      const ok = p[j] === g;
      if (ok) { correct++; inc(rightN, g); }
      if (dict?.has(s.tokens[j]![0]!)) { known++; if (ok) knownRight++; }
    });
  });
  const labels = [...new Set([...goldN.keys(), ...predN.keys()])].sort();
  const byTag: Record<string, LabelScores> = {};
  for (const l of labels) byTag[l] = labelScores(rightN.get(l) ?? 0, predN.get(l) ?? 0, goldN.get(l) ?? 0);
  const accuracy = pct(correct, tokens), sentAcc = sentenceAccuracy(gold, pred);
  let text = `processed ${tokens} tokens in ${gold.length} sentences; correct: ${correct}.\n`;
  text += `accuracy: ${fmt(accuracy)}%; sentences all correct: ${fmt(sentAcc)}%\n`;
  const json: Record<string, unknown> = { accuracy, tokens, correct, sentences: gold.length, sentence_accuracy: sentAcc };
  if (dict) {
    const unknown = tokens - known;
    json.known = { tokens: known, accuracy: pct(knownRight, known) };
    json.unknown = { tokens: unknown, accuracy: pct(correct - knownRight, unknown) };
    text += `known words: ${fmt(pct(knownRight, known))}% of ${known}; unknown words: ${fmt(pct(correct - knownRight, unknown))}% of ${unknown}\n`;
  }
  for (const [l, s] of Object.entries(byTag)) {
    text += `${l.padStart(17)}: precision: ${fmt(s.precision)}%; recall: ${fmt(s.recall)}%; F1: ${fmt(s.f1)}  ${s.gold} gold, ${s.predicted} tagged\n`;
  }
  json.by_tag = byTag;
  return { text, json };
}

function segReport(gold: readonly Sentence[], pred: readonly (readonly string[])[], dict?: ReadonlySet<string>): EvaluationReport {
  const r = sighanScore(gold.map((s) => sentenceWords(s)), pred.map((p, i) => sentenceWords(gold[i]!, p)), { dictionary: dict });
  // the score script's printf("%.3f") of its ratios, formed from the counts as it forms them
  const f3 = (x: number) => printfFixed(x, 3);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  const recall = ratio(r.correctWords, r.goldWords), precision = ratio(r.correctWords, r.predWords);
  let text = `=== TOTAL TRUE WORD COUNT:\t${r.goldWords}\n=== TOTAL TEST WORD COUNT:\t${r.predWords}\n`;
  text += `=== TOTAL TRUE WORDS RECALL:\t${f3(recall)}\n=== TOTAL TEST WORDS PRECISION:\t${f3(precision)}\n`;
  text += `=== F MEASURE:\t${f3(recall + precision > 0 ? (2 * precision * recall) / (precision + recall) : 0)}\n`;
  const json: Record<string, unknown> = {
    f1: r.f1, precision: r.precision, recall: r.recall,
    accuracy: tokenAccuracy(gold.map((s) => s.tags), pred).accuracy,
    words: { gold: r.goldWords, predicted: r.predWords, correct: r.correctWords },
    sentences: gold.length, sentence_accuracy: sentenceAccuracy(gold, pred),
  };
  if (dict) {
    const oov = r.oovWords!, oovFound = r.oovCorrectWords!;
    text += `=== OOV Rate:\t${f3(ratio(oov, r.goldWords))}\n=== OOV Recall Rate:\t${f3(ratio(oovFound, oov))}\n`;
    text += `=== IV Recall Rate:\t${f3(ratio(r.correctWords - oovFound, r.goldWords - oov))}\n`;
    json.oov = { words: r.oovWords, rate: pct(r.oovWords!, r.goldWords), recall: r.oovRecall };
    json.iv_recall = r.ivRecall;
  }
  return { text, json };
}
