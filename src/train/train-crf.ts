// Training a CRF tagger end to end: read, extract features, lay out the shared memory, run passes
// with the chosen engine, decay the rate, shrink for L2, decode and score between passes.
import { OptionError } from './option-error.js';
import type { Sentence } from '../data/types.js';
import { Engine, InterruptedError, defaultThreads, effectiveRun, type Mode, type Sampling } from '../engine/engine.js';
import { BestPass, checkBestPassOptions, selectionFingerprint } from './best-pass.js';
import { interruption } from './interrupted.js';
import { crc32 } from '../io/crc32.js';
import { hashStrings, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { weightsLookFinite } from './finite.js';
import { FeatureDictionary, LabelDictionary } from '../features/dictionary.js';
import { extract } from '../features/extract.js';
import { readFileSync } from 'node:fs';
import { builtinTemplatePath, parseTemplate } from '../features/template.js';
import { CrfModel, type CrfData } from '../models/crf/model.js';
import { CrfTagger, type CrfHeader } from '../models/crf/tagger.js';
import { Rng } from '../runtime/rng.js';
import { scoreTask, type Score } from './score.js';
import { taskSpec, trainingColumns, type TaskName } from './tasks.js';
import { checkObservationColumns } from '../data/column.js';
import { DataError } from '../data/errors.js';
import { crfEdgeOffset } from '../reference/crf.js';

export interface TrainCrfOptions {
  task: TaskName;
  /** 'crf': standard linear-chain CRF; 'dense-crf': frequent node features also conjoined with label pairs */
  model: 'crf' | 'dense-crf';
  train: string;
  test?: string;
  dev?: string;
  /** CRF++ template file (default: the task's bundled template) */
  template?: string;
  /** serial | async (default: AsynGrad, as the CLI) | sync */
  mode?: Mode;
  /** workers (default: one per logical CPU, at most 64) */
  threads?: number;
  /** 'shuffle' (default: each pass visits every sentence once) or 'uniform' (the paper's draws with replacement) */
  sampling?: Sampling;
  passes?: number;
  seed?: number;
  /** structure regularisation: mini-sample length (0: off) */
  sr?: number;
  lr?: number;
  decay?: number;
  l2?: number;
  /**
   * dense CRF: the L2 strength of the rich-edge weights (default per task; --l2 covers the node and
   * transition weights). Ignored by the standard CRF, whose only edge weights (those of B template
   * lines with macros) take --l2.
   */
  edgeL2?: number;
  /** drop features seen fewer times (default 1) */
  minCount?: number;
  /** rich edges for node features seen more than N times (default 10, the paper's rule) */
  edgeAbove?: number;
  /** or: rich edges for the most frequent fraction of the U features (Sun's code: 0.4) */
  edgeTopFraction?: number;
  /** skip token updates whose gradient entries are all below this (0: exact; default 1e-3) */
  skip?: number;
  /**
   * average the weights over the passes (Polyak averaging of the end-of-pass weights, from pass
   * `averageFrom` on); the averaged weights are scored and saved (default: off)
   */
  average?: boolean;
  averageFrom?: number;
  /** gradient-error accounting (default: on in parallel modes) */
  account?: boolean;
  /** evaluate every N passes (default 1); the last pass is always evaluated */
  evalEvery?: number;
  /** return (and save) the weights of the pass that scored best on `dev`, not the last pass's */
  keepBest?: boolean;
  /** stop once this many evaluations in a row have not beaten the best dev score (needs `dev`) */
  patience?: number;
  onPass?: (r: PassReport) => void;
  /** checkpoint file: written atomically every `checkpointEvery` passes and when interrupted */
  checkpoint?: string;
  checkpointEvery?: number;
  /** continue from `checkpoint` if it exists (same data and options) */
  resume?: boolean;
  /** aborting it (Ctrl-C) stops the pass, writes the checkpoint of the last finished pass, and rejects with InterruptedError */
  signal?: AbortSignal;
  /** with signal: the InterruptedError carries a model to keep (InterruptedError.model) */
  keepModel?: boolean;
  /** called before each pass with the live shared weights (inspection; tests inject faults here) */
  beforePass?: (pass: number, weights: Float32Array) => void;
  onTick?: (done: number, total: number) => void;
  /** called when a run resumes from its checkpoint, with the passes the checkpoint had finished */
  onResume?: (pass: number) => void;
  /** called once the data is read and the features are built */
  onReady?: (info: DataInfo) => void;
}

export interface DataInfo {
  sentences: number;
  tokens: number;
  labels: number;
  features: number;
  edgeFeatures: number;
  params: number;
  extractSeconds: number;
}

export interface PassReport {
  pass: number;
  lr: number;
  /** sum of sample negative log-likelihoods seen in the pass */
  loss: number;
  samples: number;
  /** training time of this pass (no evaluation) */
  seconds: number;
  /** cumulative training time */
  elapsed: number;
  gradientErrorRate: number[];
  /** per worker: gradients, gradients with an error, read-overwrites, write-overwrites */
  workerSamples: number[];
  workerErrors: number[];
  readErrors: number[];
  writeErrors: number[];
  dev?: Score;
  test?: Score;
}

export interface TrainCrfResult {
  tagger: CrfTagger;
  history: PassReport[];
  info: DataInfo;
  /** with keepBest or patience: the pass that scored best on dev (its weights are the tagger's with keepBest) */
  bestPass?: number;
}

export class DivergenceError extends Error {}

export async function trainCrf(options: TrainCrfOptions): Promise<TrainCrfResult> {
  const o = { ...options, mode: options.mode ?? 'async', threads: options.threads ?? defaultThreads() };
  const spec = taskSpec(o.task);
  if (o.model !== 'crf' && o.model !== 'dense-crf') throw new OptionError(`--model must be crf or dense-crf (got "${o.model}")`);
  const passes = o.passes ?? spec.passes;
  const lr0 = o.lr ?? spec.lr, decay = o.decay ?? spec.decay, l2 = o.l2 ?? spec.l2;
  // the rich-edge block's prior: only the dense CRF has one (undefined keeps the standard CRF's fingerprint)
  const edgeL2 = o.model === 'dense-crf' ? (o.edgeL2 ?? spec.edgeL2) : undefined;
  checkNumber('--passes', passes, 1, 1e6, true);
  checkNumber('--lr', lr0, 1e-12, 1e6);
  checkNumber('--decay', decay, 1e-6, 1);
  checkNumber('--l2', l2, 0, 1e6);
  if (edgeL2 !== undefined) checkNumber('--edge-l2', edgeL2, 0, 1e6);
  checkNumber('--sr', o.sr ?? 0, 0, 1e6);
  if (o.sr && o.sr < 1) throw new OptionError(`--sr must be 0 (off) or a length of at least 1 (got ${o.sr})`);
  const seed = o.seed ?? 1;
  const run = effectiveRun(o.mode, o.threads, o.sampling);
  const selection = checkBestPassOptions(o);

  const t0 = performance.now();
  const trainRaw = spec.read(o.train);
  const columns = trainingColumns(spec, trainRaw, o.template === undefined);
  const trainSents = spec.derive(trainRaw);
  const templatePath = o.template ?? builtinTemplatePath(spec.kind);
  const templateText = readTemplateFile(templatePath);
  const template = parseTemplate(templateText, templatePath);
  if (!template.lines.some((l) => !l.edgeOnly)) throw new DataError(templatePath, undefined, 'the template has no U lines, so the model would have no observation features');
  // CRF++ leaves the transitions out of a template without B; here they are always in the model
  if (!template.hasBigram) throw new DataError(templatePath, undefined, 'the template has no B line: asyngrad\'s CRFs always model label transitions (CRF++ would leave them out); add a line "B"');
  const dict = FeatureDictionary.build(trainSents, template, { minCount: o.minCount ?? 1 });
  const labels = LabelDictionary.build(trainSents);
  // edge-only features (B lines with macros) have edge weights in either model
  let E = dict.edgeOnly;
  if (o.model === 'dense-crf') {
    E = o.edgeTopFraction !== undefined ? dict.edgeCount({ topFraction: o.edgeTopFraction }) : dict.edgeCount({ minCount: (o.edgeAbove ?? 10) + 1 });
  }
  const shape = { Y: labels.size, F: dict.size, E };
  const trainData = extract(trainSents, template, dict, labels);
  const load = (path: string | undefined): { sents: Sentence[]; data: CrfData } | undefined => {
    if (!path) return undefined;
    const sents = spec.read(path);
    checkObservationColumns(sents, columns, `the training data (${o.train}) has`);
    return { sents, data: extract(spec.derive(sents), template, dict, labels, { unknownTag: 'ignore' }) };
  };
  const test = load(o.test), dev = load(o.dev);
  const info: DataInfo = {
    sentences: trainSents.length,
    tokens: trainData.labels.length,
    labels: shape.Y,
    features: shape.F,
    edgeFeatures: E,
    params: 0,
    extractSeconds: (performance.now() - t0) / 1000,
  };

  const model = new CrfModel(shape, trainData, o.sr ?? 0, [test?.data, dev?.data].filter((d): d is CrfData => !!d), o.skip ?? 1e-3, o.average ?? false);
  info.params = model.params;
  o.onReady?.(info);
  const engine = await Engine.create(model, { mode: o.mode, threads: o.threads, seed, account: o.account, sampling: o.sampling });
  const history: PassReport[] = [];
  try {
    const k = engine.kernels;
    const average = o.average ?? false;
    const decoder = model.decoder(k, engine.memory, average);
    const avgFrom = o.averageFrom ?? 1;
    let averaged = 0;
    const w = engine.weights();
    let elapsed = 0;
    let start = 0;
    // What must match for a checkpoint to be resumed: the data, features and every option that
    // changes the result.
    const fingerprint = {
      task: o.task, model: o.model, ...shape, labelsHash: crc32(Buffer.from(labels.labels.join('\n'))),
      featuresHash: hashStrings(dict.features), tokens: trainData.labels.length, templateHash: crc32(Buffer.from(templateText)),
      mode: o.mode, ...run, seed, lr0, decay, l2, edgeL2, sr: o.sr ?? 0, skip: o.skip ?? 1e-3, average: o.average ?? false,
      ...selectionFingerprint(selection, dev?.sents),
    };
    const avgView = () => new Float32Array(engine.memory.buffer, model.avgOffset, model.params);
    // the weights that are scored and kept: the running average when averaging, else w
    const scored = () => (average && averaged > 0 ? avgView() : w);
    const best = selection ? new BestPass(o.task, selection) : null;
    // a checkpoint holds w, the average (when averaging) and the best pass's weights (with keepBest)
    const lengths = [model.params, ...(average ? [model.params] : []), ...(best?.opts.keepBest ? [model.params] : [])];
    if (o.resume && o.checkpoint) {
      const ck = readCheckpoint(o.checkpoint, fingerprint, lengths);
      if (ck) {
        w.set(ck.vectors[0]);
        if (average) avgView().set(ck.vectors[1]);
        start = ck.header.pass;
        if (start > passes) throw new OptionError(`--resume: the checkpoint ${o.checkpoint} has ${start} finished passes, more than --passes ${passes}`);
        averaged = ck.header.counters.averaged ?? 0;
        elapsed = ck.header.elapsed;
        history.push(...ck.header.history);
        best?.replay(history, ck.vectors.at(-1));
        o.onResume?.(start);
      }
    }
    const saveCheckpoint = (pass: number, weights: Float32Array, avg: Float32Array | null) => {
      const vectors = [weights, ...(avg ? [avg] : []), ...(best?.opts.keepBest ? [best.weights ?? weights] : [])];
      if (o.checkpoint) writeCheckpoint(o.checkpoint, { pass, elapsed, counters: { averaged }, fingerprint, history }, vectors);
    };
    const makeTagger = (weights: Float32Array, passesDone: number) => {
      const header: CrfHeader = {
        format: 'asyngrad-crf',
        task: o.task,
        model: o.model,
        ...shape,
        labels: [...labels.labels],
        template: templateText,
        templateSource: template.source,
        columns,
        features: [...dict.features],
        training: { mode: o.mode, ...run, passes: passesDone, lr: lr0, decay, l2, edgeL2, sr: o.sr ?? 0, seed },
      };
      return new CrfTagger(header, weights, dict);
    };
    const every = o.checkpointEvery ?? 0;
    const onAbort = () => engine.abort();
    o.signal?.addEventListener('abort', onAbort);
    let passesDone = start;
    for (let p = start; p < passes; p++) {
      if (best?.exhausted) break;
      const stop = { passes: p, keepModel: o.keepModel, best, makeTagger };
      if (o.signal?.aborted) throw interruption({ ...stop, message: `interrupted before pass ${p + 1}`, lastPass: () => scored().slice(), current: null });
      const lr = lr0 * Math.pow(decay, p);
      o.beforePass?.(p + 1, w);
      // State at the end of the last finished pass, for a checkpoint if this pass is interrupted.
      const snapshot = o.checkpoint && o.signal ? w.slice() : null;
      const avgSnapshot = snapshot && average ? avgView().slice() : null;
      const numSamples = o.sr ? model.writeMiniSamples(engine.memory, new Rng(seed, 0x5eed + p)) : model.numSentences;
      let s;
      try {
        s = await engine.runPass(lr, { numSamples, onTick: o.onTick, pass: p });
      } catch (e) {
        if (e instanceof InterruptedError && (snapshot || o.keepModel)) {
          if (snapshot) saveCheckpoint(p, snapshot, avgSnapshot);
          throw interruption({
            ...stop,
            message: `interrupted in pass ${p + 1}${snapshot ? `; checkpoint of pass ${p} written to ${o.checkpoint}` : ''}`,
            // no copy of the last pass is kept without a checkpoint: then the weights as the pass left them
            lastPass: snapshot ? () => (avgSnapshot && averaged > 0 ? avgSnapshot : snapshot) : null,
            current: () => w.slice(),
          });
        }
        throw e;
      }
      // L2 (Gaussian prior) as in Sun's code: the per-sample shrink w *= (1 - lr*l2/N), applied N
      // times, folded into one shrink per pass (exact under sparse updates, and O(P) once a pass).
      // The dense CRF's rich-edge block (last in w) has a prior of its own, edgeL2.
      const t1 = performance.now();
      const rest = crfEdgeOffset(shape.Y, shape.F, 0), edges = model.params - rest;
      if (l2 > 0) k.scal(rest, Math.exp(-lr * l2), engine.plan.model.wOffset);
      // (the standard CRF's edge block holds only the edge-only features of B template lines: --l2)
      const edgePrior = edgeL2 ?? l2;
      if (edges > 0 && edgePrior > 0) k.scal(edges, Math.exp(-lr * edgePrior), engine.plan.model.wOffset + rest * 4);
      elapsed += s.seconds + (performance.now() - t1) / 1000;
      if (s.nonFinite > 0 || !Number.isFinite(s.loss) || !weightsLookFinite(w)) {
        throw new DivergenceError(`training diverged in pass ${p + 1} (loss ${s.loss}, ${s.nonFinite} non-finite samples): try a smaller learning rate than --lr ${lr0}`);
      }
      if (average && p + 1 >= avgFrom) {
        // running mean of the end-of-pass weights: avg += (w - avg) / n
        averaged++;
        k.scal(model.params, 1 - 1 / averaged, model.avgOffset);
        k.axpy(model.params, 1 / averaged, engine.plan.model.wOffset, model.avgOffset);
      }
      const report: PassReport = {
        pass: p + 1,
        lr,
        loss: s.loss,
        samples: s.samples,
        seconds: s.seconds,
        elapsed,
        gradientErrorRate: s.workers.map((x) => x.errorRate),
        workerSamples: s.workers.map((x) => x.samples),
        workerErrors: s.workers.map((x) => x.errors),
        readErrors: s.workers.map((x) => x.readErrors),
        writeErrors: s.workers.map((x) => x.writeErrors),
      };
      const evalEvery = o.evalEvery ?? 1;
      if ((p + 1) % evalEvery === 0 || p === passes - 1) {
        if (test) report.test = scoreTask(o.task, test.sents, labelsOf(decoder.decodeAll(test.data), labels.labels));
        if (dev) report.dev = scoreTask(o.task, dev.sents, labelsOf(decoder.decodeAll(dev.data), labels.labels));
      }
      history.push(report);
      best?.observe(report, scored);
      passesDone = p + 1;
      o.onPass?.(report);
      // the last pass: the last of --passes, or the one after which patience ran out
      const last = p === passes - 1 || best?.exhausted;
      if (every > 0 && ((p + 1) % every === 0 || last)) {
        saveCheckpoint(p + 1, w, average ? avgView() : null);
      }
    }
    o.signal?.removeEventListener('abort', onAbort);
    if (best?.opts.keepBest && best.weights) {
      return { tagger: makeTagger(best.weights.slice(), best.pass), history, info, bestPass: best.pass };
    }
    return { tagger: makeTagger(scored().slice(), passesDone), history, info, bestPass: best && best.pass > 0 ? best.pass : undefined };
  } finally {
    await engine.close();
  }
}

function labelsOf(ids: Int32Array[], names: readonly string[]): string[][] {
  return ids.map((row) => Array.from(row, (y) => names[y]));
}

function checkNumber(name: string, v: number, lo: number, hi: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new OptionError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi} (got ${v})`);
  }
}

function readTemplateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(path, undefined, `the --template file cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code ?? (e as Error).message})`);
  }
}

