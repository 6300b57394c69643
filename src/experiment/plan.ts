// The run list of an experiment: for each task, the baseline (serial SGD for the CRF, serial Adam for
// the Bi-LSTM), AsynGrad with each thread count, AsynGrad with the most threads plus structure
// regularisation (CRF), and the synchronous baseline with each thread count. Runs with more threads
// than cores are marked oversubscribed.
import type { TaskName } from '../train/tasks.js';
import type { Sampling } from '../engine/engine.js';

export type ExperimentModel = 'crf' | 'lstm';
export type Method = 'serial' | 'async' | 'async-sr' | 'sync';

export interface ExperimentOptions {
  model: ExperimentModel;
  /** folder with conll2000/, ud-ewt-pos/, weibo/ */
  dataDir: string;
  tasks: TaskName[];
  threads: number[];
  passes: number;
  out: string;
  /** SR mini-sample length for the AsynGrad + SR run (0: no SR run); CRF only */
  sr: number;
  /** first n training and test sentences (quick runs) */
  limit?: number;
  seed: number;
  /** CRF variant: the paper's dense CRF (rich edge features) or the standard linear-chain CRF */
  crf: 'dense-crf' | 'crf';
  /** Bi-LSTM hidden size per direction (default: per task) */
  hidden?: number;
  /** Bi-LSTM output layer: the paper's softmax per token (default) or a CRF over the tag scores (the Bi-LSTM-CRF) */
  lstmOutput?: 'softmax' | 'crf';
  /** the command line that made the experiment (printed in the report) */
  command?: string;
  /** how passes pick sentences (default 'shuffle') */
  sampling?: Sampling;
  /** cores of this machine (threads above it are oversubscribed) */
  cores: number;
}

export interface RunSpec {
  /** file-name-safe id, unique in the experiment: `crf-chunking-async-k4` */
  id: string;
  model: ExperimentModel;
  task: TaskName;
  method: Method;
  threads: number;
  passes: number;
  sr: number;
  seed: number;
  oversubscribed: boolean;
}

export function buildPlan(o: ExperimentOptions): RunSpec[] {
  const threads = [...new Set(o.threads)].sort((a, b) => a - b);
  const kmax = threads[threads.length - 1];
  const runs: RunSpec[] = [];
  const add = (task: TaskName, method: Method, k: number, sr = 0) => {
    const id = `${o.model}-${task}-${method === 'async-sr' ? `async-sr${String(sr).replace('.', '_')}` : method}-k${k}`;
    runs.push({ id, model: o.model, task, method, threads: k, passes: o.passes, sr, seed: o.seed, oversubscribed: k > o.cores });
  };
  for (const task of o.tasks) {
    add(task, 'serial', 1);
    for (const k of threads) add(task, 'async', k);
    if (o.model === 'crf' && o.sr > 0) add(task, 'async-sr', kmax, o.sr);
    for (const k of threads) add(task, 'sync', k);
  }
  return runs;
}

/** The method's name as the paper's tables print it. */
export function methodLabel(model: ExperimentModel, method: Method, threads: number, sr: number, oversubscribed: boolean): string {
  const t = `${threads} thread${threads > 1 ? 's' : ''}${oversubscribed ? ', oversubscribed' : ''}`;
  switch (method) {
    case 'serial':
      return model === 'crf' ? 'SGD' : 'Adam';
    case 'async':
      return `AsynGrad (${t})`;
    case 'async-sr':
      return `AsynGrad (${t}) + SR (length ${sr})`;
    case 'sync':
      return `sync (${t})`;
  }
}

export function specLabel(r: RunSpec): string {
  return methodLabel(r.model, r.method, r.threads, r.sr, r.oversubscribed);
}
