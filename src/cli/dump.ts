// `asyngrad dump`: what a model file holds, as `crfsuite dump` and Wapiti's dump mode show it: the
// header (task, model, labels, training options) and, for a CRF, the label transitions and the
// strongest feature weights (node features per label and, for the dense CRF, rich edges).
import type { Command } from 'commander';
import { loadTagger } from '../models/load.js';
import { CrfTagger } from '../models/crf/tagger.js';
import { intOption } from './options.js';
import { LstmTagger } from '../models/lstm/tagger.js';
import { UsageError } from './options.js';

export interface WeightEntry {
  feature: string;
  /** the label (node weight) or the label pair "prev --> cur" (rich edge) */
  label: string;
  weight: number;
}

/** The `top` largest |weights| among `n` candidates (index -> weight), largest first. */
function strongest(n: number, top: number, weight: (i: number) => number): number[] {
  if (top <= 0) return [];
  // a min-heap on |weight| of the best `top` so far: one pass over the candidates
  const heap: number[] = [];
  const key = (i: number) => Math.abs(weight(i));
  const swap = (a: number, b: number) => { const t = heap[a]; heap[a] = heap[b]; heap[b] = t; };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && key(heap[l]) < key(heap[m])) m = l;
      if (r < heap.length && key(heap[r]) < key(heap[m])) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = 0; i < n; i++) {
    if (heap.length < top) {
      heap.push(i);
      for (let j = heap.length - 1; j > 0 && key(heap[(j - 1) >> 1]) > key(heap[j]); j = (j - 1) >> 1) swap(j, (j - 1) >> 1);
    } else if (key(i) > key(heap[0])) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => key(b) - key(a) || a - b);
}

/** The CRF's transitions and its strongest node and rich-edge weights. */
export function crfWeights(t: CrfTagger, top: number): { transitions: number[][]; features: WeightEntry[]; edges: WeightEntry[] } {
  const { Y, F, E, labels, features } = t.header;
  const w = t.weights;
  const YY = Y * Y;
  const transitions = Array.from({ length: Y }, (_, p) => Array.from(w.subarray(p * Y, p * Y + Y)));
  const node = strongest(F * Y, top, (i) => w[YY + i]).map((i) => ({ feature: features[Math.floor(i / Y)], label: labels[i % Y], weight: w[YY + i] }));
  const edgeBase = YY + F * Y;
  const edges = strongest(E * YY, top, (i) => w[edgeBase + i]).map((i) => {
    const pair = i % YY;
    return { feature: features[Math.floor(i / YY)], label: `${labels[Math.floor(pair / Y)]} --> ${labels[pair % Y]}`, weight: w[edgeBase + i] };
  });
  return { transitions, features: node, edges };
}

/** The shortest decimal that reads back as the same f32. */
function f32Text(x: number): string {
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * A Bi-LSTM's embedding table for one input field in word2vec's text format ("count dim", then
 * "value v1 ... vdim" a line; the UNK row left out), as `--pretrained` reads it back.
 */
export function* embeddingLines(t: LstmTagger, field: string): Generator<string> {
  const { words, dim, vectors } = t.embeddingTable(field);
  yield `${words.length} ${dim}`;
  for (let r = 0; r < words.length; r++) yield `${words[r]} ${Array.from(vectors.subarray(r * dim, (r + 1) * dim), f32Text).join(' ')}`;
}

export function registerDump(program: Command): void {
  program
    .command('dump')
    .description('show what a model file holds: task, labels, training options; for a CRF the transitions and the strongest feature weights (as crfsuite dump)')
    .requiredOption('--model-file <file>', 'a model written by `asyngrad train --out`')
    .option('--top <n>', 'CRF: how many of the strongest node and rich-edge weights to list (0: none)', intOption('--top', 0, 1e7), 20)
    .option('--embeddings <field>', 'Bi-LSTM: print this input field\'s embedding table (word, pos, suffix3, char, bigram) in word2vec text format, which train --pretrained reads')
    .option('--json', 'print a JSON object', false)
    .option('--debug', 'print stack traces', false)
    .action(async (o) => {
      const t = loadTagger(o.modelFile);
      const h = t.header;
      if (o.embeddings !== undefined) {
        if (!(t instanceof LstmTagger)) throw new UsageError('--embeddings: the model is a CRF, which has no embeddings');
        let chunk: string[] = [];
        for (const line of embeddingLines(t, o.embeddings)) {
          chunk.push(line);
          if (chunk.length === 1000) { await writeOut(chunk); chunk = []; }
        }
        await writeOut(chunk);
        return;
      }
      const info: Record<string, unknown> = { file: o.modelFile, task: h.task, model: h.model, labels: h.labels, weights: t.weights.length, training: h.training ?? null };
      if (t instanceof CrfTagger) Object.assign(info, { features: t.header.F, rich_edge_features: t.header.E, columns: t.header.columns ?? null, template: t.header.templateSource });
      else {
        const fields = t.shape.fields;
        Object.assign(info, { hidden: t.header.H, vocabularies: Object.fromEntries(t.header.vocabs.map((v, i) => [fields[i]?.name ?? `field${i}`, v.length])), columns: t.header.columns ?? null });
      }
      const crf = t instanceof CrfTagger ? crfWeights(t, o.top) : null;
      if (o.json) {
        console.log(JSON.stringify({ ...info, ...(crf ? { transitions: crf.transitions, top_features: crf.features, top_edges: crf.edges } : {}) }));
        return;
      }
      const lines = [
        `${o.modelFile}: ${h.model} for ${h.task}, ${t.weights.length} weights`,
        `labels (${h.labels.length}): ${h.labels.join(' ')}`,
      ];
      if (t instanceof CrfTagger) lines.push(`features: ${t.header.F} (${t.header.E} with rich edges); template ${t.header.templateSource}`);
      else lines.push(`hidden ${t.header.H} per direction; vocabularies ${Object.entries(info.vocabularies as Record<string, number>).map(([f, n]) => `${f} ${n}`).join(', ')}`);
      if (h.training) lines.push(`trained: ${Object.entries(h.training).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (crf) {
        lines.push('', 'TRANSITIONS (previous --> current: weight)');
        crf.transitions.forEach((row, p) => row.forEach((x, c) => lines.push(`  ${h.labels[p]} --> ${h.labels[c]}: ${x.toFixed(6)}`)));
        if (crf.features.length) lines.push('', `STATE FEATURES, the ${crf.features.length} strongest (feature --> label: weight)`, ...crf.features.map((e) => `  (${e.feature}) --> ${e.label}: ${e.weight.toFixed(6)}`));
        if (crf.edges.length) lines.push('', `RICH EDGES, the ${crf.edges.length} strongest (feature, previous --> current: weight)`, ...crf.edges.map((e) => `  (${e.feature}) ${e.label}: ${e.weight.toFixed(6)}`));
      }
      console.log(lines.join('\n'));
    });
}

/** Writes lines to stdout, waiting for it to drain (a large table must not queue in memory). */
async function writeOut(lines: string[]): Promise<void> {
  if (lines.length && !process.stdout.write(lines.join('\n') + '\n')) await new Promise((r) => process.stdout.once('drain', r));
}
