// A trained Bi-LSTM tagger: vocabularies, labels and weights; tags, evaluates, saves and loads.
import type { Sentence } from '../../data/types.js';
import { checkObservationColumns } from '../../data/column.js';
import { loadModel, saveModel, ModelFileError } from '../../io/model-file.js';
import { ArenaLayout } from '../../runtime/arena.js';
import { compileKernels, heapBase, instantiate } from '../../runtime/wasm.js';
import { TASKS, isTaskName, taskSpec, type TaskName } from '../../train/tasks.js';
import { scoreTask, type Score } from '../../train/score.js';
import { encode, taskInputs, Vocab, withDims, type LstmShape } from './inputs.js';
import { lstmLayout, lstmScratchLayout } from './model.js';
import { decodeLstm } from './decoder.js';
import type { PretrainedVectors } from './pretrained.js';
import { Worker } from 'node:worker_threads';
import { packageFile } from '../../runtime/package-root.js';
import { MAX_WORKERS } from '../../runtime/control.js';
import { defaultThreads } from '../../engine/engine.js';
import type { DecodeJob, DecodeResult } from '../../runtime/decode-worker.js';
import type { LstmData } from './inputs.js';
import { OptionError } from '../../train/option-error.js';
import { toSentence, type SentenceInput, type TaggedWithProbabilities } from '../tagged.js';

export interface LstmHeader {
  format: 'asyngrad-lstm';
  task: TaskName;
  /** 'lstm': a softmax per token; 'lstm-crf': a linear-chain CRF over the tokens' tag scores */
  model: 'lstm' | 'lstm-crf';
  H: number;
  labels: string[];
  /** vocabulary of each input field, id order (id 0 = UNK) */
  vocabs: string[][];
  /** observation columns of the training data (absent in files before it was kept) */
  columns?: number;
  /** embedding size of each input field (absent in files before pretrained vectors: the task's sizes) */
  dims?: number[];
  training?: Record<string, unknown>;
}

/** The fewest tokens worth a decode worker (starting one costs about what decoding this many does). */
const MIN_TOKENS_PER_WORKER = 256;

export class LstmTagger {
  private readonly vocabs: Vocab[];
  private readonly labelIndex: Map<string, number>;

  constructor(readonly header: LstmHeader, readonly weights: Float32Array) {
    this.vocabs = header.vocabs.map((v) => Vocab.fromValues(v));
    this.labelIndex = new Map(header.labels.map((l, i) => [l, i]));
    const L = this.layout();
    if (weights.length !== L.params) throw new Error(`LSTM model: ${weights.length} weights, expected ${L.params}`);
  }

  get task(): TaskName {
    return this.header.task;
  }

  /** the input fields and sizes the model was trained with */
  get shape(): LstmShape {
    return withDims({ ...taskInputs(this.header.task), H: this.header.H }, this.header.dims);
  }

  /** where each block of weights lies */
  layout() {
    return lstmLayout(this.shape, this.vocabs.map((v) => v.size), this.header.labels.length, this.header.model === 'lstm-crf' ? 'crf' : 'softmax');
  }

  /**
   * One input field's embedding table (field: 'word', 'pos', 'suffix3', 'char' or 'bigram', as the
   * task has them): its values and their vectors, the UNK row left out.
   */
  embeddingTable(field: string): PretrainedVectors {
    const fields = this.shape.fields;
    const i = fields.findIndex((f) => f.name === field);
    if (i < 0) throw new OptionError(`--embeddings ${field}: the model's input fields are ${fields.map((f) => f.name).join(', ')}`);
    const L = this.layout();
    const dim = L.dims[i];
    const words = this.header.vocabs[i].slice(1);
    return { words, dim, vectors: this.weights.slice(L.embOff[i] + dim, L.embOff[i] + dim * (words.length + 1)) };
  }

  predict(sentences: readonly SentenceInput[]): string[][] {
    return this.predictSentences(sentences.map(toSentence));
  }

  /**
   * predict on `threads` worker threads (default: one per logical CPU, at most 64), each decoding a
   * contiguous share of the sentences over the one shared copy of the weights: the same tags.
   */
  async predictAsync(sentences: readonly SentenceInput[], opts: { threads?: number } = {}): Promise<string[][]> {
    const r = await this.decodeParallel(sentences.map(toSentence), opts.threads ?? defaultThreads(), false);
    return this.labelsOf(r.ids);
  }

  /** predictWithProbabilities on worker threads, as predictAsync: the same results. */
  async predictWithProbabilitiesAsync(sentences: readonly SentenceInput[], opts: { threads?: number } = {}): Promise<TaggedWithProbabilities[]> {
    const r = await this.decodeParallel(sentences.map(toSentence), opts.threads ?? defaultThreads(), true);
    return this.withProbabilities(this.labelsOf(r.ids), r.probs!, r.sentenceProbs!);
  }

  /**
   * Tags with probabilities. Softmax output: per token the softmax probability of its tag, and for
   * the sentence their product (the tokens are predicted independently). CRF output: as the CRF
   * tagger gives them, P(tags | x) and each tag's marginal probability.
   */
  predictWithProbabilities(sentences: readonly SentenceInput[]): TaggedWithProbabilities[] {
    const probs: Float64Array[] = [];
    const seq: number[] = [];
    const tags = this.predictSentences(sentences.map(toSentence), probs, seq);
    return this.withProbabilities(tags, probs, seq);
  }

  private withProbabilities(tags: string[][], probs: Float64Array[], seq: number[]): TaggedWithProbabilities[] {
    const crf = this.header.model === 'lstm-crf';
    return tags.map((t, i) => ({ tags: t, probability: crf ? seq[i] : probs[i].reduce((a, p) => a * p, 1), marginals: Array.from(probs[i]) }));
  }

  /** The encoded sentences, after the column check. */
  private encoded(sentences: Sentence[]): LstmData {
    if (this.header.columns !== undefined) checkObservationColumns(sentences, this.header.columns, 'the model was trained on');
    return encode(sentences, this.shape, this.vocabs, (t) => this.labelIndex.get(t) ?? -1);
  }

  /**
   * Decodes on up to `threads` worker threads, each given a contiguous range of sentences with about
   * the same number of tokens and its own scratch region; the weights are in the shared memory once.
   */
  private async decodeParallel(sentences: Sentence[], threads: number, probabilities: boolean): Promise<DecodeResult> {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WORKERS) throw new OptionError(`--threads must be an integer from 1 to ${MAX_WORKERS} (got ${threads})`);
    const data = this.encoded(sentences);
    const S = sentences.length;
    const total = data.tokStart[S];
    // a worker costs tens of milliseconds to start, the decoding of a few hundred tokens: small
    // inputs are decoded here, and each worker gets at least MIN_TOKENS_PER_WORKER tokens
    const n = Math.max(1, Math.min(threads, S, Math.floor(total / MIN_TOKENS_PER_WORKER)));
    if (n === 1) {
      const probs: Float64Array[] | undefined = probabilities ? [] : undefined;
      const sentenceProbs: number[] | undefined = probabilities ? [] : undefined;
      const ids = this.decodeHere(data, probs, sentenceProbs);
      return { ids, probs, sentenceProbs: probabilities && this.header.model === 'lstm-crf' ? sentenceProbs : undefined };
    }
    const L = this.layout();
    // shares: contiguous ranges [b[i], b[i+1]) with about the same number of tokens
    const b = [0];
    for (let i = 1, s = 0; i < n; i++) {
      while (s < S && data.tokStart[s] < (total * i) / n) s++;
      b.push(Math.max(b[i - 1], Math.min(s, S)));
    }
    b.push(S);
    const shares = b.slice(0, n).map((s0, i) => {
      const s1 = b[i + 1];
      let Tmax = 0;
      for (let s = s0; s < s1; s++) Tmax = Math.max(Tmax, data.tokStart[s + 1] - data.tokStart[s]);
      return { s0, s1, Tmax };
    });
    // each share's scratch is sized by its own longest sentence; a share with no tokens needs none
    const { module, memory, wOffset, scratch } = this.decodeMemory(shares.map((sh) => sh.Tmax));
    const script = packageFile('dist', 'decode-worker.js');
    const workers: Worker[] = [];
    const crf = L.transOff >= 0;
    try {
      const parts = await Promise.all(
        shares.map(({ s0, s1, Tmax }, i): Promise<DecodeResult> | DecodeResult => {
          if (Tmax === 0) {
            // only empty sentences: nothing to decode
            const none = Array.from({ length: s1 - s0 }, () => new Int32Array(0));
            return { ids: none, probs: probabilities ? none.map(() => new Float64Array(0)) : undefined, sentenceProbs: probabilities && crf ? none.map(() => 1) : undefined };
          }
          const t0 = data.tokStart[s0], t1 = data.tokStart[s1];
          const part: LstmData = {
            tokStart: data.tokStart.slice(s0, s1 + 1).map((x) => x - t0),
            ids: data.ids.map((a) => a.slice(t0, t1)),
            rare: data.rare.slice(t0, t1),
            labels: data.labels.slice(t0, t1),
          };
          const w = new Worker(script, { workerData: { module, memory, layout: L, wOffset, scratchOffset: scratch[i], Tmax, data: part, probabilities } satisfies DecodeJob });
          workers.push(w);
          return workerResult(w, i);
        }),
      );
      return {
        ids: parts.flatMap((p) => p.ids),
        probs: probabilities ? parts.flatMap((p) => p.probs!) : undefined,
        sentenceProbs: probabilities && crf ? parts.flatMap((p) => p.sentenceProbs!) : undefined,
      };
    } finally {
      // done or failed: none is left running
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }

  evaluate(data: string | Sentence[]): Score {
    const sents = typeof data === 'string' ? taskSpec(this.task).read(data) : data;
    return scoreTask(this.task, sents, this.predictSentences(sents));
  }

  private predictSentences(sentences: Sentence[], probs?: Float64Array[], sentenceProbs?: number[]): string[][] {
    return this.labelsOf(this.decodeHere(this.encoded(sentences), probs, sentenceProbs));
  }

  /** Decodes encoded sentences on this thread, over a fresh memory holding the weights. */
  private decodeHere(data: LstmData, probs?: Float64Array[], sentenceProbs?: number[]): Int32Array[] {
    let Tmax = 1;
    for (let s = 0; s + 1 < data.tokStart.length; s++) Tmax = Math.max(Tmax, data.tokStart[s + 1] - data.tokStart[s]);
    const { module, memory, wOffset, scratch } = this.decodeMemory([Tmax]);
    return decodeLstm(instantiate(module, memory), memory, wOffset, this.layout(), scratch[0], Tmax, data, probs, sentenceProbs);
  }

  /**
   * A fresh shared memory holding the weights, and one decode scratch per entry of `Tmax` sized for
   * sentences of up to that many tokens (-1 for 0: none).
   */
  private decodeMemory(Tmax: number[]): { module: WebAssembly.Module; memory: WebAssembly.Memory; wOffset: number; scratch: number[] } {
    const L = this.layout();
    const module = compileKernels();
    const arena = new ArenaLayout(heapBase(module));
    const wOffset = arena.reserve('lstm weights', this.weights.length * 4);
    const scratch = Tmax.map((t, i) => (t > 0 ? arena.reserve(`lstm decode scratch ${i}`, lstmScratchLayout(L, t).bytes) : -1));
    const memory = arena.createMemory();
    new Float32Array(memory.buffer, wOffset, this.weights.length).set(this.weights);
    return { module, memory, wOffset, scratch };
  }

  /** Label ids to label strings. */
  private labelsOf(ids: Int32Array[]): string[][] {
    return ids.map((row) => Array.from(row, (y) => this.header.labels[y]));
  }

  save(path: string): void {
    saveModel(path, this.header, this.weights);
  }

  static load(path: string): LstmTagger {
    const { header, weights } = loadModel<LstmHeader>(path);
    return LstmTagger.fromFile(path, header, weights);
  }

  static fromFile(path: string, header: LstmHeader, weights: Float32Array): LstmTagger {
    if (header?.format !== 'asyngrad-lstm') throw new ModelFileError(path, 'not a Bi-LSTM model');
    if (!Array.isArray(header.labels) || !Array.isArray(header.vocabs) || !Number.isInteger(header.H)) throw new ModelFileError(path, 'corrupt Bi-LSTM header');
    if (header.model !== 'lstm' && header.model !== 'lstm-crf') throw new ModelFileError(path, `corrupt Bi-LSTM header (model ${JSON.stringify(header.model)})`);
    if (!isTaskName(header.task)) throw new ModelFileError(path, `corrupt Bi-LSTM header (task ${JSON.stringify(header.task)} is not one of ${TASKS.join(', ')})`);
    if (header.columns !== undefined && !(Number.isSafeInteger(header.columns) && header.columns >= 1)) throw new ModelFileError(path, `corrupt Bi-LSTM header (columns ${JSON.stringify(header.columns)})`);
    if (header.dims !== undefined && !(Array.isArray(header.dims) && header.dims.length === header.vocabs.length && header.dims.every((d) => Number.isSafeInteger(d) && d >= 1))) {
      throw new ModelFileError(path, `corrupt Bi-LSTM header (dims ${JSON.stringify(header.dims)})`);
    }
    try {
      return new LstmTagger(header, weights);
    } catch (e) {
      throw new ModelFileError(path, (e as Error).message);
    }
  }
}

/** One decode worker's result, or an error naming it. */
function workerResult(w: Worker, i: number): Promise<DecodeResult> {
  return new Promise((resolve, reject) => {
    let done = false;
    w.once('message', (r: DecodeResult) => {
      done = true;
      resolve(r);
    });
    w.once('error', (e) => reject(new Error(`decode worker ${i} failed: ${e instanceof Error ? e.message : String(e)}`)));
    w.once('exit', (code) => {
      if (!done) reject(new Error(`decode worker ${i} exited without a result (code ${code})`));
    });
  });
}
