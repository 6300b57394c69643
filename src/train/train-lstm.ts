// Training the Bi-LSTM tagger: read, build vocabularies, lay out the shared memory, run passes with
// Adam (β1 = β2 = 0.95, ε = 1e-4, as in the paper) or SGD under the chosen engine, score between passes.
import { OptionError } from './option-error.js';
import { Engine, InterruptedError, defaultThreads, effectiveRun, type Mode, type Sampling } from '../engine/engine.js';
import { BestPass, checkBestPassOptions, selectionFingerprint } from './best-pass.js';
import { interruption } from './interrupted.js';
import { hashStrings, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { weightsLookFinite } from './finite.js';
import { LabelDictionary } from '../features/dictionary.js';
import { encode, taskInputs, Vocab, withDims, type LstmData } from '../models/lstm/inputs.js';
import { readPretrained, type PretrainedVectors } from '../models/lstm/pretrained.js';
import { crc32 } from '../io/crc32.js';
import { EMBEDDING_UPDATES, LstmModel, type EmbeddingUpdate, type LstmOutput } from '../models/lstm/model.js';
import { decodeLstm } from '../models/lstm/decoder.js';
import { LstmTagger, type LstmHeader } from '../models/lstm/tagger.js';
import type { Sentence } from '../data/types.js';
import { scoreTask } from './score.js';
import { LSTM_DEFAULTS, taskSpec, trainingColumns, type TaskName } from './tasks.js';
import { checkObservationColumns } from '../data/column.js';
import { DivergenceError, type DataInfo, type PassReport } from './train-crf.js';

export interface TrainLstmOptions {
  task: TaskName;
  train: string;
  test?: string;
  dev?: string;
  /** serial | async (default: AsynGrad, as the CLI) | sync */
  mode?: Mode;
  /** workers (default: one per logical CPU, at most 64) */
  threads?: number;
  /** 'shuffle' (default: each pass visits every sentence once) or 'uniform' (the paper's draws with replacement) */
  sampling?: Sampling;
  passes?: number;
  seed?: number;
  /** hidden size per direction (default: per task, 280 chunking / 170 POS / 220 segmentation) */
  hidden?: number;
  /**
   * the output layer: 'softmax' (default: each token's tag on its own) or 'crf' (the Bi-LSTM-CRF: a
   * linear-chain CRF with learned transitions over the tokens' tag scores, decoded by Viterbi)
   */
  output?: LstmOutput;
  /**
   * dropout on the embeddings and on the LSTM outputs in training: each value zeroed with this
   * probability, the others scaled by 1/(1-p) (default 0: none, as the paper)
   */
  dropout?: number;
  /**
   * serial and async: scale each update's gradient so that its L2 norm is at most this, as PyTorch's
   * clip_grad_norm_ (default 0: off)
   */
  clip?: number;
  optimizer?: 'adam' | 'sgd';
  /**
   * sentences per update (default 1, the paper's per-sentence updates): each worker sums the
   * gradients of this many sentences and takes one optimizer step (serial and async modes)
   */
  batch?: number;
  /**
   * how serial/async updates treat the embedding tables: 'lazy' (default: with Adam, dense's result
   * while writing only the rows used; see LstmModel), 'sparse' (only the rows the sentences used, no
   * momentum between uses) or 'dense' (every row every update, as PyTorch's Adam over a dense nn.Embedding)
   */
  embeddings?: EmbeddingUpdate;
  lr?: number;
  decay?: number;
  /**
   * embeddings text file (word2vec / GloVe / fastText format) that initialises the first input
   * field's table: words (looked up lowercased) for chunking and POS, characters for segmentation.
   * Its vectors' size becomes that field's size; its entries not in the training data join the
   * vocabulary, so that they are known when tagging.
   */
  pretrained?: string;
  /**
   * with `pretrained`: add at most this many entries not in the training data to the vocabulary,
   * the file's first (these files are sorted by frequency); training words' entries are used
   * wherever they are (default: every entry)
   */
  pretrainedMax?: number;
  account?: boolean;
  evalEvery?: number;
  /** as in trainCrf: keep the pass that scored best on dev; stop after `patience` evaluations without a better one */
  keepBest?: boolean;
  patience?: number;
  /** train on the first n training sentences only (quick runs) */
  limit?: number;
  /** as in trainCrf: atomic checkpoints every N passes and on interrupt; resume from one */
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: boolean;
  signal?: AbortSignal;
  /** with signal: the InterruptedError carries a model to keep (as in trainCrf) */
  keepModel?: boolean;
  onPass?: (r: PassReport) => void;
  onTick?: (done: number, total: number) => void;
  /** called when a run resumes from its checkpoint, with the passes the checkpoint had finished */
  onResume?: (pass: number) => void;
  onReady?: (info: DataInfo) => void;
}

export interface TrainLstmResult {
  tagger: LstmTagger;
  history: PassReport[];
  info: DataInfo;
  /** with keepBest or patience: the pass that scored best on dev */
  bestPass?: number;
}

export { LSTM_DEFAULTS };

export async function trainLstm(options: TrainLstmOptions): Promise<TrainLstmResult> {
  const o = { ...options, mode: options.mode ?? 'async', threads: options.threads ?? defaultThreads() };
  const spec = taskSpec(o.task);
  const seed = o.seed ?? 1;
  const passes = o.passes ?? LSTM_DEFAULTS.passes;
  const optimizer = o.optimizer ?? 'adam';
  const lr0 = o.lr ?? (optimizer === 'adam' ? LSTM_DEFAULTS.adamLr : LSTM_DEFAULTS.sgdLr);
  const decay = o.decay ?? LSTM_DEFAULTS.decay;
  const selection = checkBestPassOptions(o);
  const run = effectiveRun(o.mode, o.threads, o.sampling);
  if (!Number.isInteger(passes) || passes < 1) throw new OptionError(`--passes must be a positive integer (got ${passes})`);
  if (!(lr0 > 0)) throw new OptionError(`--lr must be positive (got ${lr0})`);
  const t0 = performance.now();
  let trainSents = spec.read(o.train);
  const columns = trainingColumns(spec, trainSents, false);
  if (o.limit) trainSents = trainSents.slice(0, o.limit);
  const base = taskInputs(o.task);
  const vocabs = base.fields.map((f) => Vocab.build(trainSents, f));
  const max = o.pretrainedMax;
  if (max !== undefined && (o.pretrained === undefined || !Number.isSafeInteger(max) || max < 0)) {
    throw new OptionError(o.pretrained === undefined ? '--pretrained-max applies with --pretrained' : `--pretrained-max must be an integer from 0 (got ${max})`);
  }
  const field0 = base.fields[0];
  let added = 0;
  const pretrained = o.pretrained === undefined ? null : readPretrained(o.pretrained, {
    normalize: normalizer(field0.value),
    // training values always; of the others, the first `max` (the most frequent)
    keep: (v) => (field0.accepts?.(v) ?? true) && (vocabs[0].index.has(v) || max === undefined || added++ < max),
  });
  const shape = withDims({ ...base, H: o.hidden ?? base.H }, pretrained ? [pretrained.dim] : undefined);
  if (pretrained) vocabs[0].extend(pretrained.words);
  const labels = LabelDictionary.build(trainSents);
  const trainData = encode(trainSents, shape, vocabs, (t) => labels.id(t));
  const load = (path?: string): { sents: Sentence[]; data: LstmData } | undefined => {
    if (!path) return undefined;
    const sents = spec.read(path);
    checkObservationColumns(sents, columns, `the training data (${o.train}) has`);
    return { sents, data: encode(sents, shape, vocabs, (t) => labels.id(t)) };
  };
  const test = load(o.test), dev = load(o.dev);
  const embeddings = o.embeddings ?? LSTM_DEFAULTS.embeddings;
  if (!EMBEDDING_UPDATES.includes(embeddings)) throw new OptionError(`--embeddings must be one of ${EMBEDDING_UPDATES.join(', ')} (got "${embeddings}")`);
  const output = o.output ?? 'softmax';
  if (output !== 'softmax' && output !== 'crf') throw new OptionError(`output must be softmax or crf (got "${output}")`);
  const modelName = output === 'crf' ? 'lstm-crf' : 'lstm';
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 0.95)) throw new OptionError(`--dropout must be a number from 0 to 0.95 (got ${dropout})`);
  const model = new LstmModel(shape, vocabs.map((v) => v.size), labels.size, trainData, seed, [test?.data, dev?.data].filter((d): d is LstmData => !!d), embeddings, output, dropout);
  const info: DataInfo = {
    sentences: trainSents.length, tokens: trainData.labels.length, labels: labels.size,
    features: vocabs.reduce((a, v) => a + v.size, 0), edgeFeatures: 0, params: model.layout.params,
    extractSeconds: (performance.now() - t0) / 1000,
  };
  o.onReady?.(info);
  const engine = await Engine.create(model, {
    mode: o.mode, threads: o.threads, seed, account: o.account, sampling: o.sampling, batch: o.batch, clip: o.clip,
    optimizer: optimizer === 'adam' ? { kind: 'adam', beta1: 0.95, beta2: 0.95, eps: 1e-4 } : { kind: 'sgd' },
  });
  const history: PassReport[] = [];
  try {
    const w = engine.weights();
    if (pretrained) setPretrainedRows(w, model.layout.embOff[0], vocabs[0], pretrained);
    let elapsed = 0;
    let start = 0;
    const best = selection ? new BestPass(o.task, selection) : null;
    // a checkpoint holds w, the optimizer's state and (with keepBest) the best pass's weights
    const state = () => [w, ...engine.optimizerState()];
    const stored = () => [...state(), ...(best?.opts.keepBest ? [best.weights ?? w] : [])];
    const fingerprint = {
      task: o.task, model: modelName, H: shape.H, vocabHash: hashStrings(vocabs.flatMap((v) => v.values)), labelsHash: hashStrings(labels.labels),
      tokens: trainData.labels.length, mode: o.mode, ...run, seed, optimizer, lr0, decay,
      batch: o.batch ?? 1,
      embeddings,
      // rare words' UNK draws from (seed, worker, pass) since session 8 (before: from an address)
      unkDraws: 'worker',
      ...(dropout > 0 ? { dropout } : {}),
      ...(o.clip ? { clip: o.clip } : {}),
      ...(pretrained ? { pretrained: crc32(new Uint8Array(pretrained.vectors.buffer)), dims: shape.fields.map((f) => f.dim), ...(max !== undefined ? { pretrainedMax: max } : {}) } : {}),
      ...selectionFingerprint(selection, dev?.sents),
    };
    if (o.resume && o.checkpoint) {
      const ck = readCheckpoint(o.checkpoint, fingerprint, stored().map((v) => v.length));
      if (ck) {
        state().forEach((v, i) => v.set(ck.vectors[i]));
        engine.optimizerStep = ck.header.counters.step ?? 0;
        start = ck.header.pass;
        if (start > passes) throw new OptionError(`--resume: the checkpoint ${o.checkpoint} has ${start} finished passes, more than --passes ${passes}`);
        elapsed = ck.header.elapsed;
        history.push(...ck.header.history);
        best?.replay(history, ck.vectors.at(-1));
        o.onResume?.(start);
      }
    }
    const save = (pass: number, vectors: Float32Array[], step: number) => {
      if (o.checkpoint) writeCheckpoint(o.checkpoint, { pass, elapsed, counters: { step }, fingerprint, history }, vectors);
    };
    const makeTagger = (weights: Float32Array, passesDone: number) => {
      const header: LstmHeader = {
        format: 'asyngrad-lstm', task: o.task, model: modelName, H: shape.H, labels: [...labels.labels], columns,
        vocabs: vocabs.map((v) => v.values),
        dims: shape.fields.map((f) => f.dim),
        training: {
          mode: o.mode, ...run, passes: passesDone, optimizer, batch: o.batch ?? 1, embeddings, lr: lr0, decay, seed,
          ...(dropout > 0 ? { dropout } : {}),
          ...(o.clip ? { clip: o.clip } : {}),
          ...(pretrained ? { pretrained: o.pretrained, pretrained_vectors: pretrained.words.length } : {}),
        },
      };
      return new LstmTagger(header, weights);
    };
    const onAbort = () => engine.abort();
    o.signal?.addEventListener('abort', onAbort);
    let passesDone = start;
    for (let p = start; p < passes; p++) {
      if (best?.exhausted) break;
      const stop = { passes: p, keepModel: o.keepModel, best, makeTagger };
      if (o.signal?.aborted) throw interruption({ ...stop, message: `interrupted before pass ${p + 1}`, lastPass: () => w.slice(), current: null });
      const lr = lr0 * Math.pow(decay, p);
      const snapshot = o.checkpoint && o.signal ? { vectors: stored().map((v) => v.slice()), step: engine.optimizerStep } : null;
      let s;
      try {
        s = await engine.runPass(lr, { onTick: o.onTick, pass: p });
      } catch (e) {
        if (e instanceof InterruptedError && (snapshot || o.keepModel)) {
          if (snapshot) save(p, snapshot.vectors, snapshot.step);
          throw interruption({
            ...stop,
            message: `interrupted in pass ${p + 1}${snapshot ? `; checkpoint of pass ${p} written to ${o.checkpoint}` : ''}`,
            lastPass: snapshot ? () => snapshot.vectors[0] : null,
            // the aborted pass caught its lazy rows up on the way out: these weights are consistent
            current: () => w.slice(),
          });
        }
        throw e;
      }
      elapsed += s.seconds;
      if (s.nonFinite > 0 || !Number.isFinite(s.loss) || !weightsLookFinite(w)) {
        throw new DivergenceError(`training diverged in pass ${p + 1} (loss ${s.loss}): try a smaller learning rate than --lr ${lr0}`);
      }
      const report: PassReport = {
        pass: p + 1, lr, loss: s.loss, samples: s.samples, seconds: s.seconds, elapsed,
        gradientErrorRate: s.workers.map((x) => x.errorRate),
        workerSamples: s.workers.map((x) => x.samples),
        workerErrors: s.workers.map((x) => x.errors),
        readErrors: s.workers.map((x) => x.readErrors),
        writeErrors: s.workers.map((x) => x.writeErrors),
      };
      if ((p + 1) % (o.evalEvery ?? 1) === 0 || p === passes - 1) {
        const score = (set: { sents: Sentence[]; data: LstmData }) => {
          const ids = decodeLstm(engine.kernels, engine.memory, engine.plan.model.wOffset, model.layout, model.evalOffset, model.evalMaxLen, set.data);
          return scoreTask(o.task, set.sents, ids.map((r) => Array.from(r, (y) => labels.labels[y])));
        };
        if (test) report.test = score(test);
        if (dev) report.dev = score(dev);
      }
      history.push(report);
      best?.observe(report, () => w);
      passesDone = p + 1;
      o.onPass?.(report);
      const every = o.checkpointEvery ?? 0;
      // the last pass: the last of --passes, or the one after which patience ran out
      if (every > 0 && ((p + 1) % every === 0 || p === passes - 1 || best?.exhausted)) save(p + 1, stored(), engine.optimizerStep);
    }
    o.signal?.removeEventListener('abort', onAbort);
    if (best?.opts.keepBest && best.weights) return { tagger: makeTagger(best.weights.slice(), best.pass), history, info, bestPass: best.pass };
    return { tagger: makeTagger(w.slice(), passesDone), history, info, bestPass: best && best.pass > 0 ? best.pass : undefined };
  } finally {
    await engine.close();
  }
}

/**
 * How a field maps a raw value: its value() on a one-token sentence (the word fields lowercase), so
 * that pretrained entries are looked up as the model's tokens are.
 */
function normalizer(value: (s: Sentence, t: number) => string): (w: string) => string {
  return (w) => value({ tokens: [[w]], tags: [], line: 1 }, 0);
}

/** Copies the pretrained vectors into the rows of their entries in the first field's table. */
function setPretrainedRows(w: Float32Array, embOff: number, vocab: Vocab, p: PretrainedVectors): void {
  p.words.forEach((word, i) => {
    w.set(p.vectors.subarray(i * p.dim, (i + 1) * p.dim), embOff + vocab.id(word) * p.dim);
  });
}
