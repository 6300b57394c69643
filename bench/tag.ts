// `npm run bench -- tag [--data DIR] [--model-file M] [--threads K] [--rounds R]`: Bi-LSTM tagging
// speed on worker threads. Tags CoNLL-2000 test.txt with a Bi-LSTM-CRF (M, or one trained here for
// one pass on the first 500 training sentences at the default size, H = 280: decoding costs the same
// whatever the training) at 1..K threads, interleaved rounds; one JSON line per thread count with the
// median seconds, sentences and tokens per second and the speed-up over 1 thread.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { flag } from './args.js';
import { emit, median, round } from './timing.js';
import { packageFile } from '../src/runtime/package-root.js';
import { readColumnFile } from '../src/data/column.js';
import { loadTagger } from '../src/models/load.js';
import { LstmTagger } from '../src/models/lstm/tagger.js';
import { trainLstm } from '../src/train/train-lstm.js';
import { defaultThreads } from '../src/engine/engine.js';

export async function benchTag(args: string[]): Promise<void> {
  const dataDir = flag(args, '--data') ?? packageFile('data', 'conll2000');
  const test = join(dataDir, 'test.txt'), train = join(dataDir, 'train.txt');
  for (const p of [train, test]) if (!existsSync(p)) throw new Error(`--data ${dataDir}: ${p} not found (expects CoNLL-2000 train.txt and test.txt)`);
  const maxThreads = Number(flag(args, '--threads') ?? defaultThreads());
  const rounds = Number(flag(args, '--rounds') ?? 3);
  if (!Number.isInteger(maxThreads) || maxThreads < 1 || maxThreads > 64) throw new Error(`--threads must be an integer from 1 to 64 (got ${flag(args, '--threads')})`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer (got ${flag(args, '--rounds')})`);
  const modelFile = flag(args, '--model-file');
  let tagger: LstmTagger;
  if (modelFile) {
    const t = loadTagger(modelFile);
    if (!(t instanceof LstmTagger)) throw new Error(`--model-file ${modelFile}: not a Bi-LSTM model`);
    tagger = t;
  } else {
    tagger = (await trainLstm({ task: 'chunking', train, mode: 'serial', threads: 1, passes: 1, limit: 500, output: 'crf', seed: 1 })).tagger;
  }
  const sents = readColumnFile(test);
  const tokens = sents.reduce((a, s) => a + s.tokens.length, 0);
  const counts = [...new Set([1, 2, 4, 8, 16, 32, 64, maxThreads].filter((k) => k <= maxThreads))].sort((a, b) => a - b);
  const times = new Map<number, number[]>();
  let reference: string[][] | null = null;
  for (let r = 0; r < rounds; r++) {
    for (const k of counts) {
      const t0 = performance.now();
      const tags = await tagger.predictAsync(sents, { threads: k });
      times.set(k, [...(times.get(k) ?? []), (performance.now() - t0) / 1000]);
      reference ??= tags;
      if (JSON.stringify(tags) !== JSON.stringify(reference)) throw new Error(`${k} threads tagged differently from ${counts[0]}`);
    }
  }
  const one = median(times.get(1)!);
  for (const k of counts) {
    const s = median(times.get(k)!);
    emit({ bench: 'tag', model: tagger.header.model, hidden: tagger.header.H, threads: k, sentences: sents.length, tokens, seconds: round(s, 3), sentences_per_second: round(sents.length / s, 1), tokens_per_second: Math.round(tokens / s), speedup: round(one / s, 3), rounds });
  }
}
