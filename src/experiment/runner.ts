// Runs an experiment's run list one run after another. Each finished run is saved as its own JSON
// file, `<out>/runs/<id>.json` (written atomically), and a later invocation with the same --out skips
// every run whose file is there with the same fingerprint (same options and data), so an interrupted
// experiment picks up where it stopped. A run whose options or data changed is run again.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InterruptedError } from '../engine/engine.js';
import type { DataInfo, PassReport } from '../train/train-crf.js';
import { builtinTemplatePath } from '../features/template.js';
import { LSTM_DEFAULTS, TASK_SPECS, taskKind } from '../train/tasks.js';
import { fileIdentity, type TaskData } from './data.js';
import { specLabel, type ExperimentOptions, type RunSpec } from './plan.js';
import { machine, summarise, type Fingerprint, type RunRecord } from './results.js';

export type ExperimentEvent =
  | { kind: 'skip'; index: number; total: number; spec: RunSpec; label: string; record: RunRecord }
  | { kind: 'start'; index: number; total: number; spec: RunSpec; label: string; etaSeconds: number | null }
  | { kind: 'ready'; spec: RunSpec; info: DataInfo }
  | { kind: 'pass'; spec: RunSpec; report: PassReport }
  | { kind: 'end'; index: number; total: number; spec: RunSpec; label: string; record: RunRecord; etaSeconds: number | null }
  | { kind: 'note'; message: string };

export interface RunnerHooks {
  onEvent?: (e: ExperimentEvent) => void;
  onTick?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Trains one run; the CRF and Bi-LSTM trainers plug in here. */
export type Trainer = (
  spec: RunSpec,
  data: TaskData,
  o: ExperimentOptions,
  cb: { onPass: (r: PassReport) => void; onTick?: (done: number, total: number) => void; onReady: (info: DataInfo) => void; signal?: AbortSignal },
) => Promise<{ history: PassReport[]; info: DataInfo }>;

export function runPath(out: string, spec: RunSpec): string {
  return join(out, 'runs', `${spec.id}.json`);
}

export function fingerprint(spec: RunSpec, data: TaskData, o: ExperimentOptions): Fingerprint {
  const train = fileIdentity(data.train), test = fileIdentity(data.test);
  return {
    model: spec.model, task: spec.task, method: spec.method, threads: spec.threads, passes: spec.passes, sr: spec.sr, seed: spec.seed,
    crf: spec.model === 'crf' ? o.crf : null,
    template: spec.model === 'crf' ? fileIdentity(builtinTemplatePath(taskKind(spec.task))).crc32 : null,
    hidden: spec.model === 'lstm' ? (o.hidden ?? null) : null,
    rates: spec.model === 'crf'
      ? {
          lr: TASK_SPECS[spec.task].lr, decay: TASK_SPECS[spec.task].decay, l2: TASK_SPECS[spec.task].l2,
          // the dense CRF's edge prior (session 10): runs saved before it are stale and are re-run
          ...(o.crf === 'dense-crf' ? { edgeL2: TASK_SPECS[spec.task].edgeL2 } : {}),
        }
      : { lr: LSTM_DEFAULTS.adamLr, decay: LSTM_DEFAULTS.decay, l2: null },
    sampling: spec.method === 'serial' ? 'shuffle' : (o.sampling ?? 'shuffle'),
    limit: o.limit ?? null,
    train: { bytes: train.bytes, crc32: train.crc32 },
    test: { bytes: test.bytes, crc32: test.crc32 },
    // Bi-LSTM only (a CRF run's fingerprint stays as it was, so its saved runs stay valid)
    ...(spec.model === 'lstm' ? { embeddings: LSTM_DEFAULTS.embeddings } : {}),
    // the Bi-LSTM-CRF only (softmax runs keep their fingerprint, so their saved runs stay valid)
    ...(spec.model === 'lstm' && o.lstmOutput === 'crf' ? { output: 'crf' } : {}),
  };
}

/** A saved record if it is there, readable and made with the same fingerprint. */
export function loadFinished(path: string, fp: Fingerprint): RunRecord | null {
  if (!existsSync(path)) return null;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    if (r.format !== 'asyngrad-experiment-run' || JSON.stringify(r.fingerprint) !== JSON.stringify(fp)) return null;
    if (!Array.isArray(r.history) || r.history.length !== fp.passes) return null;
    return r;
  } catch {
    return null;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
  renameSync(tmp, path);
}

/**
 * Rough ETA: a run's cost is passes × training-file bytes / min(threads, cores) (parallel runs
 * are assumed to scale up to the cores), and the seconds per unit of cost are measured on the runs
 * finished so far, in this invocation or an earlier one (per task when there is one, else over
 * all). Null before the first run.
 */
class Eta {
  private perTask = new Map<string, { seconds: number; cost: number }>();
  private all = { seconds: 0, cost: 0 };
  constructor(private readonly cores: number, private readonly bytes: Map<string, number>) {}
  cost(s: RunSpec): number {
    return (s.passes * (this.bytes.get(s.task) ?? 1)) / (s.method === 'serial' ? 1 : Math.min(s.threads, this.cores));
  }
  add(s: RunSpec, seconds: number): void {
    const c = this.cost(s);
    const t = this.perTask.get(s.task) ?? { seconds: 0, cost: 0 };
    t.seconds += seconds;
    t.cost += c;
    this.perTask.set(s.task, t);
    this.all.seconds += seconds;
    this.all.cost += c;
  }
  remaining(rest: RunSpec[]): number | null {
    if (this.all.cost === 0) return rest.length ? null : 0;
    let eta = 0;
    for (const s of rest) {
      const t = this.perTask.get(s.task);
      const rate = t && t.cost > 0 ? t.seconds / t.cost : this.all.seconds / this.all.cost;
      eta += rate * this.cost(s);
    }
    return eta;
  }
}

export async function runAll(plan: RunSpec[], data: Map<string, TaskData>, o: ExperimentOptions, train: Trainer, hooks: RunnerHooks = {}): Promise<RunRecord[]> {
  mkdirSync(join(o.out, 'runs'), { recursive: true });
  const emit = hooks.onEvent ?? (() => undefined);
  const bytes = new Map<string, number>();
  const fps = new Map<string, Fingerprint>();
  for (const spec of plan) {
    const d = data.get(spec.task)!;
    const fp = fingerprint(spec, d, o);
    fps.set(spec.id, fp);
    bytes.set(spec.task, fp.train.bytes);
  }
  const eta = new Eta(o.cores, bytes);
  const records: RunRecord[] = [];
  const todo: RunSpec[] = [];
  const done = new Map<string, RunRecord>();
  for (const spec of plan) {
    const r = loadFinished(runPath(o.out, spec), fps.get(spec.id)!);
    if (r) done.set(spec.id, r);
    else todo.push(spec);
  }
  for (let i = 0; i < plan.length; i++) {
    const spec = plan[i];
    const label = specLabel(spec);
    const saved = done.get(spec.id);
    if (saved) {
      // a finished run's wall time (same machine, presumably) seeds the ETA of the rest
      if (saved.summary.wallSeconds > 0) eta.add(spec, saved.summary.wallSeconds);
      emit({ kind: 'skip', index: i + 1, total: plan.length, spec, label, record: saved });
      records.push(saved);
      continue;
    }
    if (hooks.signal?.aborted) throw new InterruptedError(`interrupted before run ${i + 1} of ${plan.length}; re-run with the same --out to continue`);
    const rest = todo.slice(todo.indexOf(spec));
    emit({ kind: 'start', index: i + 1, total: plan.length, spec, label, etaSeconds: eta.remaining(rest) });
    const startedAt = new Date();
    const t0 = performance.now();
    const d = data.get(spec.task)!;
    const { history, info } = await train(spec, d, o, {
      onPass: (report) => emit({ kind: 'pass', spec, report }),
      onTick: hooks.onTick,
      onReady: (info) => emit({ kind: 'ready', spec, info }),
      signal: hooks.signal,
    });
    const wall = (performance.now() - t0) / 1000;
    eta.add(spec, wall);
    const record: RunRecord = {
      format: 'asyngrad-experiment-run',
      version: 1,
      spec,
      label,
      fingerprint: fps.get(spec.id)!,
      data: { train: d.train, test: d.test, testSplit: d.testSplit, corpus: d.corpus },
      info,
      history,
      summary: summarise(spec.task, history, wall),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: machine(),
    };
    writeJsonAtomic(runPath(o.out, spec), record);
    records.push(record);
    emit({ kind: 'end', index: i + 1, total: plan.length, spec, label, record, etaSeconds: eta.remaining(rest.slice(1)) });
  }
  return records;
}
