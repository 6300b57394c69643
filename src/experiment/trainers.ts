// The two trainers an experiment runs: the CRF (`trainCrf`) and the Bi-LSTM (`trainLstm`, loaded on
// demand, so that a build without it still runs CRF experiments and says plainly that the Bi-LSTM one
// is not available). Both resolve with the same PassReport history.
import type { Mode } from '../engine/engine.js';
import { trainCrf } from '../train/train-crf.js';
import type { Method } from './plan.js';
import type { Trainer } from './runner.js';

export class NotAvailableError extends Error {}

export function modeOf(method: Method): Mode {
  return method === 'serial' ? 'serial' : method === 'sync' ? 'sync' : 'async';
}

/** CRF: SGD at the task's rate and L2 (the paper's), decayed per pass; SR for the async-sr run. */
export const crfTrainer: Trainer = async (spec, data, o, cb) => {
  const r = await trainCrf({
    task: spec.task,
    model: o.crf,
    train: data.train,
    test: data.test,
    mode: modeOf(spec.method),
    threads: spec.threads,
    sampling: o.sampling,
    passes: spec.passes,
    seed: spec.seed,
    sr: spec.method === 'async-sr' ? spec.sr : 0,
    signal: cb.signal,
    onPass: cb.onPass,
    onTick: cb.onTick,
    onReady: cb.onReady,
  });
  return { history: r.history, info: r.info };
};

type TrainLstm = (o: Record<string, unknown>) => Promise<{ history: import('../train/train-crf.js').PassReport[]; info: import('../train/train-crf.js').DataInfo }>;

/** Loads trainLstm, or throws NotAvailableError naming why. */
export async function loadLstmTrainer(): Promise<Trainer> {
  let trainLstm: TrainLstm | undefined;
  try {
    const mod = (await import('../train/train-lstm.js')) as Record<string, unknown>;
    if (typeof mod.trainLstm === 'function') trainLstm = mod.trainLstm as TrainLstm;
  } catch (e) {
    throw new NotAvailableError(`the lstm experiment is not available: the Bi-LSTM trainer failed to load (${(e as Error).message})`);
  }
  if (!trainLstm) throw new NotAvailableError('the lstm experiment is not available: this build has no trainLstm (src/train/train-lstm.ts)');
  const fn = trainLstm;
  // Bi-LSTM: Adam (β1 = β2 = 0.95, ε = 1e-4, the paper's) for serial, AsynGrad and sync alike.
  return async (spec, data, o, cb) => {
    const r = await fn({
      task: spec.task,
      train: data.train,
      test: data.test,
      mode: modeOf(spec.method),
      threads: spec.threads,
      sampling: o.sampling,
      passes: spec.passes,
      seed: spec.seed,
      hidden: o.hidden,
      output: o.lstmOutput ?? 'softmax',
      optimizer: 'adam',
      signal: cb.signal,
      onPass: cb.onPass,
      onTick: cb.onTick,
      onReady: cb.onReady,
    });
    return { history: r.history, info: r.info };
  };
}
