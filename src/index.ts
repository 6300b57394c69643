// asyngrad: the library. `train` a tagger, `load` a saved one; the engines and models underneath are
// exported for those who build their own.
import { CrfTagger } from './models/crf/tagger.js';
import { loadTagger, type Tagger } from './models/load.js';
import { trainCrf, type TrainCrfOptions, type TrainCrfResult } from './train/train-crf.js';
import { trainLstm, type TrainLstmOptions, type TrainLstmResult } from './train/train-lstm.js';
import { OptionError } from './train/option-error.js';
import { bundledData } from './train/tasks.js';

/**
 * What `train` takes: a CRF's options (model 'crf', the default, or 'dense-crf') or a Bi-LSTM's
 * (model 'lstm', or 'lstm-crf' for the Bi-LSTM-CRF, the same as 'lstm' with output 'crf').
 */
export type TrainOptions = CrfTrainOptions | LstmTrainOptions;
/** train's CRF options: as trainCrf's, `train` optional for chunking and POS (the bundled set). */
export type CrfTrainOptions = Omit<TrainCrfOptions, 'model' | 'train'> & { model?: 'crf' | 'dense-crf'; train?: string };
/** train's Bi-LSTM options: as trainLstm's, `train` optional for chunking and POS (the bundled set). */
export type LstmTrainOptions = Omit<TrainLstmOptions, 'train'> & { model: 'lstm' | 'lstm-crf'; train?: string };

/**
 * Trains a tagger: a CRF (see TrainCrfOptions; model 'crf' by default, as in the CLI) or a Bi-LSTM
 * (model 'lstm' or 'lstm-crf', see TrainLstmOptions); resolves with the tagger, the per-pass history and data info.
 */
export function train(options: CrfTrainOptions): Promise<TrainCrfResult>;
export function train(options: LstmTrainOptions): Promise<TrainLstmResult>;
export async function train(options: TrainOptions): Promise<TrainCrfResult | TrainLstmResult> {
  // as the CLI: without a training file, chunking and POS train on the bundled set (and test on its test set)
  if (options && options.train === undefined && options.task !== undefined) {
    const bundled = bundledData(options.task, 'train');
    if (bundled) options = { ...options, train: bundled, test: options.test ?? bundledData(options.task, 'test') };
  }
  const file = options?.train;
  if (typeof file !== 'string' || file === '') throw new OptionError(`train: options.train (the training file) is required${options?.task === 'seg' ? ' (segmentation has no bundled data set)' : ''}`);
  if (options.model === 'lstm') return trainLstm({ ...options, train: file });
  if (options.model === 'lstm-crf') {
    if (options.output === 'softmax') throw new OptionError("train: model 'lstm-crf' has a CRF output layer; output 'softmax' is model 'lstm'");
    return trainLstm({ ...options, train: file, output: 'crf' });
  }
  return trainCrf({ ...options, train: file, model: options.model ?? 'crf' });
}

/** Loads a model file (CRF or Bi-LSTM) written by `tagger.save(path)` or `asyngrad train --out`. */
export function load(path: string): Tagger {
  return loadTagger(path);
}

export { CrfTagger, trainCrf, type TrainCrfOptions, type TrainCrfResult, type Tagger };
export { LstmTagger } from './models/lstm/tagger.js';
export { readPretrained, type PretrainedVectors } from './models/lstm/pretrained.js';
export { trainLstm, type TrainLstmOptions, type TrainLstmResult };
export type { PassReport, DataInfo } from './train/train-crf.js';
export { DivergenceError } from './train/train-crf.js';
export { InterruptedError } from './engine/engine.js';
export { OptionError };
export type { TaggedWithProbabilities, SentenceInput } from './models/tagged.js';
export { TASKS, TASK_SPECS, type TaskName } from './train/tasks.js';
export { scoreTask, type Score } from './train/score.js';
export { evaluationReport, type EvaluationReport, type LabelScores } from './eval/report.js';
export { Engine, MODES, SAMPLINGS, type Sampling, type Mode, type EngineOptions, type PassStats, type WorkerPassStats, type TrainableModel } from './engine/engine.js';
export { LogRegModel, syntheticLogReg, type LogRegData } from './models/logreg/model.js';
export { CrfModel } from './models/crf/model.js';
export { ArenaLayout } from './runtime/arena.js';
export { Rng } from './runtime/rng.js';
export * from './data/index.js';
export { ModelFileError } from './io/model-file.js';
