// What an experiment records: one RunRecord per finished run (saved as runs/<id>.json), and
// results.json, which gathers the records with per-task speed-ups (serial seconds per pass over a
// method's seconds per pass).
import { availableParallelism, cpus, platform } from 'node:os';
import type { DataInfo, PassReport } from '../train/train-crf.js';
import { headline } from '../train/score.js';
import type { TaskName } from '../train/tasks.js';
import type { Sampling } from '../engine/engine.js';
import type { ExperimentModel, ExperimentOptions, Method, RunSpec } from './plan.js';
import type { TheoremResult } from './theorem.js';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
}

export function machine(): Machine {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model?.trim() ?? 'unknown', node: process.version, platform: `${platform()}-${process.arch}` };
}

/** Everything that must match for a saved run to be reused: the run, the options that change it, the data. */
export interface Fingerprint {
  model: ExperimentModel;
  task: TaskName;
  method: Method;
  threads: number;
  passes: number;
  sr: number;
  seed: number;
  crf: string | null;
  /** CRC-32 of the CRF's feature template (the task's bundled default) */
  template: number | null;
  hidden: number | null;
  /** Bi-LSTM embedding updates (the trainer's default, LSTM_DEFAULTS.embeddings) */
  embeddings?: string;
  /** 'crf' for the Bi-LSTM-CRF (absent for the softmax output, as in runs saved before it existed) */
  output?: string;
  /** the training defaults the run used (CRF: SGD rate, decay, L2 of the task; Bi-LSTM: Adam rate,
   * decay), so that a changed default makes a saved run stale instead of silently reused */
  /** edgeL2: the dense CRF's rich-edge prior (absent from runs made before it existed, and from other models) */
  rates: { lr: number; decay: number; l2: number | null; edgeL2?: number };
  sampling: Sampling;
  limit: number | null;
  train: { bytes: number; crc32: number };
  test: { bytes: number; crc32: number };
}

export interface RunSummary {
  passes: number;
  /** training time (no feature extraction, no scoring) */
  seconds: number;
  secondsPerPass: number;
  /** the task's headline score on the last pass: F1 (chunking, seg) or token accuracy (pos), percent */
  score: number | null;
  metric: 'F1' | 'accuracy';
  /** per worker, over all passes: gradients with an error / gradients */
  gradientErrorRate: number[];
  /** all workers together */
  meanGradientErrorRate: number;
  /** wall-clock seconds of the whole run (reading data, features, training, scoring) */
  wallSeconds: number;
}

export interface RunRecord {
  format: 'asyngrad-experiment-run';
  version: 1;
  spec: RunSpec;
  label: string;
  fingerprint: Fingerprint;
  data: { train: string; test: string; testSplit: 'test' | 'dev'; corpus: string };
  info: DataInfo;
  history: PassReport[];
  summary: RunSummary;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
}

export interface SpeedupRow {
  task: TaskName;
  threads: number;
  oversubscribed: boolean;
  /** serial seconds per pass / method seconds per pass (null: the run is missing) */
  async: number | null;
  sync: number | null;
}

export interface ExperimentResults {
  format: 'asyngrad-experiment';
  version: 1;
  createdAt: string;
  options: Omit<ExperimentOptions, 'cores'>;
  machine: Machine;
  runs: RunRecord[];
  speedups: SpeedupRow[];
  theorem?: TheoremResult;
}

export function summarise(task: TaskName, history: PassReport[], wallSeconds: number): RunSummary {
  const last = history[history.length - 1];
  const samples: number[] = [], errors: number[] = [];
  for (const r of history) {
    r.workerSamples.forEach((n, i) => (samples[i] = (samples[i] ?? 0) + n));
    r.workerErrors.forEach((n, i) => (errors[i] = (errors[i] ?? 0) + n));
  }
  const totalSamples = samples.reduce((a, x) => a + x, 0);
  const totalErrors = errors.reduce((a, x) => a + x, 0);
  const score = [...history].reverse().find((r) => r.test)?.test;
  return {
    passes: history.length,
    seconds: last?.elapsed ?? 0,
    secondsPerPass: history.length ? (last.elapsed / history.length) : 0,
    score: score ? headline(task, score) : null,
    metric: task === 'pos' ? 'accuracy' : 'F1',
    gradientErrorRate: samples.map((n, i) => (n ? errors[i] / n : 0)),
    meanGradientErrorRate: totalSamples ? totalErrors / totalSamples : 0,
    wallSeconds,
  };
}

export function speedups(runs: RunRecord[], tasks: TaskName[], threads: number[]): SpeedupRow[] {
  const rows: SpeedupRow[] = [];
  for (const task of tasks) {
    const serial = runs.find((r) => r.spec.task === task && r.spec.method === 'serial');
    for (const k of [...new Set(threads)].sort((a, b) => a - b)) {
      const of = (m: Method) => {
        const r = runs.find((x) => x.spec.task === task && x.spec.method === m && x.spec.threads === k);
        return serial && r && r.summary.secondsPerPass > 0 ? serial.summary.secondsPerPass / r.summary.secondsPerPass : null;
      };
      const any = runs.find((x) => x.spec.task === task && x.spec.threads === k);
      rows.push({ task, threads: k, oversubscribed: any?.spec.oversubscribed ?? false, async: of('async'), sync: of('sync') });
    }
  }
  return rows;
}
