// `asyngrad tag` and `asyngrad eval` with a saved model.
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeUtf8, readDataFile } from '../data/column.js';
import { DataError } from '../data/errors.js';
import type { Command } from 'commander';
import { loadTagger } from '../models/load.js';
import { sentenceWords } from '../data/segmented.js';
import { evaluationReport } from '../eval/report.js';
import { printfFixed } from '../eval/conlleval.js';
import { taskKind, taskSpec, type TaskName } from '../train/tasks.js';
import type { Sentence } from '../data/types.js';
import type { TaggedWithProbabilities } from '../models/tagged.js';
import { UsageError, checkWritable, intOption } from './options.js';
import { CrfTagger } from '../models/crf/tagger.js';
import { LstmTagger } from '../models/lstm/tagger.js';
import { defaultThreads } from '../engine/engine.js';

export function registerTagEval(program: Command): void {
  program
    .command('tag')
    .description('tag a file with a trained model (column files: the tag is appended as the last column; seg: words split by spaces)')
    .requiredOption('--model-file <file>', 'a model written by `asyngrad train --out`')
    .requiredOption('--input <file>', 'data in the task\'s format (- for standard input): the observation columns, with or without the gold tag column (kept in the output, as crf_test does)')
    .option('--output <file>', 'write here instead of standard output')
    .option('--debug', 'print stack traces', false)
    .option('--threads <k>', 'Bi-LSTM models: decode on k worker threads (a CRF decodes on one: its Viterbi is not the cost)', intOption('--threads', 1, 64), defaultThreads())
    .option('--probabilities', 'as CRF++\'s -v1: a "# P" line before each sentence with the probability of its tag sequence, and each tag written as tag/p, p its marginal probability (chunking, pos)', false)
    .action(async (o, cmd: Command) => {
      if (o.output !== undefined) checkWritable(o.output, '--output');
      const tagger = loadTagger(o.modelFile);
      if (tagger instanceof CrfTagger && cmd.getOptionValueSource('threads') === 'cli' && o.threads !== 1) {
        throw new UsageError(`--threads ${o.threads}: a CRF model tags on one thread (only the Bi-LSTM models decode in parallel)`);
      }
      if (o.probabilities && tagger.task === 'seg') {
        throw new UsageError('--probabilities applies to column output (chunking, pos), not to seg, whose output is words, line for line');
      }
      const spec = taskSpec(tagger.task);
      const source = o.input === '-' ? '<stdin>' : o.input;
      const text = decodeUtf8(o.input === '-' ? readStdin() : readDataFile(o.input), source);
      const write = (out: string) => (o.output ? writeFileSync(o.output, out) : process.stdout.write(out));
      if (!/\S/.test(text)) {
        // nothing to tag is not an error (crf_test prints nothing); seg keeps its blank lines
        const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        write(tagger.task === 'seg' ? '\n'.repeat(lines) : '');
        return;
      }
      const sents = spec.readText(text, source, false);
      // one column more than the model was trained on: the gold tags, kept for the output only
      const columns = tagger.header.columns;
      const withGold = tagger.task !== 'seg' && columns !== undefined && sents[0].tokens[0].length === columns + 1;
      const observed = withGold ? sents.map((s) => ({ ...s, tokens: s.tokens.map((t) => t.slice(0, -1)) })) : sents;
      // the kept gold column as the task reads gold tags (np-chunking: the NP chunks), so that
      // conlleval over the output scores what eval scores
      const gold = spec.goldTag;
      const shown = withGold && gold ? sents.map((s) => ({ ...s, tokens: s.tokens.map((t) => [...t.slice(0, -1), gold(t[t.length - 1]!)]) })) : sents;
      const lstm = tagger instanceof LstmTagger ? tagger : null;
      const scored = o.probabilities ? await (lstm ? lstm.predictWithProbabilitiesAsync(observed, { threads: o.threads }) : tagger.predictWithProbabilities(observed)) : null;
      const tags = scored ? scored.map((r) => r.tags) : await (lstm ? lstm.predictAsync(observed, { threads: o.threads }) : tagger.predict(observed));
      write(tagger.task === 'seg' ? segmentedOutput(sents, tags) : columnOutput(shown, tags, firstLineHasTab(text) ? '\t' : ' ', scored));
    });

  program
    .command('eval')
    .description('score a trained model on labeled data (chunking: conlleval F1; pos: accuracy; seg: SIGHAN word F1)')
    .requiredOption('--model-file <file>', 'a model written by `asyngrad train --out`')
    .requiredOption('--test <file>', 'labeled data in the task\'s format')
    .option('--dictionary <file>', 'training data in the task\'s format: its words give known/unknown-word accuracy (pos) or OOV/IV recall (seg), as the SIGHAN scorer reports')
    .option('--json', 'print a JSON object', false)
    .option('--debug', 'print stack traces', false)
    .action((o) => {
      const tagger = loadTagger(o.modelFile);
      const spec = taskSpec(tagger.task);
      if (o.dictionary !== undefined && taskKind(tagger.task) === 'chunking') {
        throw new UsageError('--dictionary applies to pos (known/unknown words) and seg (OOV recall), not to chunking');
      }
      const dictionary = o.dictionary !== undefined ? trainingWords(tagger.task, readDictionary(tagger.task, o.dictionary)) : undefined;
      const sents = spec.read(o.test);
      const report = evaluationReport(tagger.task, sents, tagger.predict(sents), dictionary);
      if (o.json) console.log(JSON.stringify({ task: tagger.task, model: tagger.header.model, ...report.json }));
      else process.stdout.write(report.text);
    });
}

/** Segmented text, line for line with the input: a blank input line stays a blank output line. */
function segmentedOutput(sents: readonly Sentence[], tags: readonly string[][]): string {
  const lines: string[] = [];
  sents.forEach((s, i) => {
    while (lines.length < s.line - 1) lines.push('');
    lines.push(sentenceWords(s, tags[i]).join(' '));
  });
  return lines.join('\n') + '\n';
}

/**
 * Column output as crf_test writes it: the input's columns (separated as the input was) and the tag,
 * a blank line after every sentence (so that outputs concatenate); with probabilities, -v1's
 * "# P" line and tag/p, printed with %f (6 decimals).
 */
function columnOutput(sents: readonly Sentence[], tags: readonly string[][], sep: string, scored: TaggedWithProbabilities[] | null): string {
  const p6 = (x: number) => printfFixed(x, 6);
  const tagAt = (i: number, j: number) => (scored ? `${tags[i][j]}/${p6(scored[i].marginals[j])}` : tags[i][j]);
  return sents.map((s, i) => (scored ? `# ${p6(scored[i].probability)}\n` : '') + s.tokens.map((t, j) => [...t, tagAt(i, j)].join(sep)).join('\n') + '\n\n').join('');
}

/** The --dictionary file, read as the task's training data. */
function readDictionary(task: TaskName, path: string) {
  const text = decodeUtf8(readDataFile(path), path);
  if (task === 'seg') {
    // a column file would read as segmented text (a tab is a space there), every tag a "word"
    const line = text.split('\n').findIndex((l) => l.includes('\t'));
    if (line >= 0) throw new DataError(path, line + 1, 'a tab: --dictionary for seg takes segmented text like the training data (one sentence a line, words split by spaces)');
  }
  return taskSpec(task).readText(text, path);
}

/** The words of training data: the first column (pos), the segmented words (seg). */
function trainingWords(task: TaskName, sents: readonly Sentence[]): Set<string> {
  const words = new Set<string>();
  for (const s of sents) {
    if (task === 'seg') for (const w of sentenceWords(s)) words.add(w);
    else for (const t of s.tokens) words.add(t[0]!);
  }
  return words;
}

/** Whether the first non-blank line separates fields by tabs. */
function firstLineHasTab(text: string): boolean {
  const m = /^[ \t\r]*\S[^\n]*/m.exec(text);
  return m !== null && m[0].trim().includes('\t');
}

/** All of standard input (a pipe, a file or a terminal until end of file). */
function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch (e) {
    throw new DataError('<stdin>', undefined, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
