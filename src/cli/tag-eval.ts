// `asyngrad tag` and `asyngrad eval` with a saved model.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadTagger } from '../models/load.js';
import { tagsToWords } from '../data/segmented.js';
import { scoreTask, headline } from '../train/score.js';
import { taskSpec } from '../train/tasks.js';

export function registerTagEval(program: Command): void {
  program
    .command('tag')
    .description('tag a file with a trained model (column files: the tag is appended as the last column; seg: words split by spaces)')
    .requiredOption('--model-file <file>', 'a model written by `asyngrad train --out`')
    .requiredOption('--input <file>', 'data in the task\'s format: the observation columns, with or without the gold tag column (kept in the output, as crf_test does)')
    .option('--output <file>', 'write here instead of standard output')
    .action((o) => {
      const tagger = loadTagger(o.modelFile);
      const spec = taskSpec(tagger.task);
      const sents = spec.read(o.input, false);
      // one column more than the model was trained on: the gold tags, kept for the output only
      const columns = tagger.header.columns;
      const withGold = tagger.task !== 'seg' && columns !== undefined && sents[0].tokens[0].length === columns + 1;
      const tags = tagger.predict(withGold ? sents.map((s) => ({ ...s, tokens: s.tokens.map((t) => t.slice(0, -1)) })) : sents);
      let out = '';
      if (tagger.task === 'seg') {
        // line for line with the input: a blank input line stays a blank output line
        const lines: string[] = [];
        sents.forEach((s, i) => {
          while (lines.length < s.line - 1) lines.push('');
          lines.push(tagsToWords(s.tokens.map((t) => t[0]), tags[i]).join(' '));
        });
        out = lines.join('\n') + '\n';
      } else {
        // the input's separator: tab-separated files stay tab-separated
        const sep = firstLineHasTab(o.input) ? '\t' : ' ';
        out = sents.map((s, i) => s.tokens.map((t, j) => [...t, tags[i][j]].join(sep)).join('\n') + '\n').join('\n');
      }
      if (o.output) writeFileSync(o.output, out);
      else process.stdout.write(out);
    });

  program
    .command('eval')
    .description('score a trained model on labeled data (chunking: conlleval F1; pos: accuracy; seg: SIGHAN word F1)')
    .requiredOption('--model-file <file>', 'a model written by `asyngrad train --out`')
    .requiredOption('--test <file>', 'labeled data in the task\'s format')
    .option('--json', 'print a JSON object', false)
    .action((o) => {
      const tagger = loadTagger(o.modelFile);
      const sents = taskSpec(tagger.task).read(o.test);
      const score = scoreTask(tagger.task, sents, tagger.predict(sents));
      if (o.json) console.log(JSON.stringify({ task: tagger.task, model: tagger.header.model, ...score }));
      else console.log(`${tagger.task}: ${tagger.task === 'pos' ? 'accuracy' : 'F1'} ${headline(tagger.task, score).toFixed(2)} (${JSON.stringify(score)})`);
    });
}

/** Whether the first non-blank line of a file (read from its first 64 KiB) separates fields by tabs. */
function firstLineHasTab(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, n).toString('utf8').split('\n').find((l) => l.trim() !== '') ?? '';
    return line.trim().includes('\t');
  } finally {
    closeSync(fd);
  }
}
