// `asyngrad experiment`: runs the plan (resumable), optionally the Theorem 1 check, and writes
// results.json, report.md and the figures (SVG and PNG) into the output folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLINGS } from '../engine/engine.js';
import { availableTasks, findTaskData, limitTaskData, type TaskData } from './data.js';
import { experimentFigureSpec, renderFigure, systemFontsPresent, theoremFigureSpec } from './figures.js';
import { buildPlan, type ExperimentOptions } from './plan.js';
import { figureName, renderReport, renderTheorem } from './report.js';
import { machine, speedups, type ExperimentResults } from './results.js';
import { runAll, writeJsonAtomic, type ExperimentEvent, type RunnerHooks } from './runner.js';
import { runTheoremCheck, type TheoremOptions, type TheoremResult } from './theorem.js';
import { crfTrainer, loadLstmTrainer } from './trainers.js';

export class ExperimentUsageError extends Error {}

export interface ExperimentFiles {
  results: string;
  report: string;
  figures: string[];
  theorem?: string;
  theoremFigures?: string[];
}

/** Checks that every task's data is in dataDir (naming what is missing) and returns the files to train on. */
export function resolveData(o: ExperimentOptions): Map<string, TaskData> {
  const data = new Map<string, TaskData>();
  // every task checked before anything is written (a usage error leaves no output folder behind)
  const found = o.tasks.map((task) => ({ task, f: findTaskData(o.dataDir, task) }));
  for (const { task, f } of found) {
    if (!f.data) {
      const have = availableTasks(o.dataDir);
      throw new ExperimentUsageError(
        `--tasks ${task}: no data in ${o.dataDir} (missing ${f.missing.join(', ')})` +
          (task === 'seg' ? '; the Weibo set may not be redistributed, so the bundled data has none: pass --data with a weibo/ folder' : '') +
          `; tasks with data there: ${have.length ? have.join(', ') : 'none'}`,
      );
    }
  }
  for (const { task, f } of found) data.set(task, limitTaskData(f.data!, o.limit, o.out));
  return data;
}

export async function runExperiment(
  o: ExperimentOptions,
  hooks: RunnerHooks & { theorem?: TheoremOptions | false; onNote?: (s: string) => void } = {},
): Promise<{ results: ExperimentResults; files: ExperimentFiles }> {
  if (!o.tasks.length) throw new ExperimentUsageError('--tasks: no task to run');
  if (o.sampling !== undefined && !SAMPLINGS.includes(o.sampling)) throw new ExperimentUsageError(`--sampling must be one of ${SAMPLINGS.join(', ')} (got "${o.sampling}")`);
  if (!o.threads.length || o.threads.some((k) => !Number.isInteger(k) || k < 1 || k > 64)) throw new ExperimentUsageError(`--threads must be integers from 1 to 64 (got ${o.threads.join(',')})`);
  const trainer = o.model === 'crf' ? crfTrainer : await loadLstmTrainer();
  const data = resolveData(o);
  mkdirSync(o.out, { recursive: true });
  const plan = buildPlan(o);
  const runs = await runAll(plan, data, o, trainer, hooks);

  let theorem: TheoremResult | undefined;
  if (hooks.theorem) theorem = await theoremStep(o.out, { threads: o.threads, ...hooks.theorem, signal: hooks.signal }, hooks.onEvent);

  const { cores: _cores, ...options } = o;
  const results: ExperimentResults = {
    format: 'asyngrad-experiment',
    version: 1,
    createdAt: new Date().toISOString(),
    options,
    machine: machine(),
    runs,
    speedups: speedups(runs, o.tasks, o.threads),
    theorem,
  };
  const files: ExperimentFiles = { results: join(o.out, 'results.json'), report: join(o.out, 'report.md'), figures: [] };
  writeJsonAtomic(files.results, results);

  if (!systemFontsPresent()) hooks.onNote?.('no system fonts found: the PNG figures will have no text (the SVGs are complete)');
  const fig = join(o.out, figureName(o.model));
  const spec = experimentFigureSpec(results);
  writeFileSync(`${fig}.vl.json`, JSON.stringify(spec, null, 1) + '\n');
  const p = await renderFigure(spec, fig);
  files.figures.push(p.svg, p.png);
  let theoremBase: string | undefined;
  if (theorem) {
    theoremBase = join(o.out, 'theorem');
    const t = await renderFigure(theoremFigureSpec(theorem), theoremBase);
    files.theorem = join(o.out, 'theorem.json');
    files.theoremFigures = [t.svg, t.png];
  }
  const rel = (f: string) => f.slice(o.out.length).replace(/^[\\/]/, '');
  writeFileSync(files.report, renderReport(results, { figures: files.figures.map(rel), theoremFigure: theoremBase ? 'theorem' : undefined }));
  return { results, files };
}

/**
 * The Theorem 1 check, resumable like the runs: `<out>/theorem.json` is reused when it was made with
 * the same options.
 */
export async function theoremStep(out: string, t: TheoremOptions, onEvent?: (e: ExperimentEvent) => void): Promise<TheoremResult> {
  mkdirSync(out, { recursive: true });
  const path = join(out, 'theorem.json');
  const { onProgress: _p, signal: _s, ...key } = t;
  const note = (message: string) => onEvent?.({ kind: 'note', message });
  if (existsSync(path)) {
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { options: unknown; result: TheoremResult };
      if (JSON.stringify(saved.options) === JSON.stringify(key)) {
        note(`theorem check: finished earlier, skipped (${path})`);
        return saved.result;
      }
    } catch {
      /* run it again */
    }
  }
  note('theorem check: started');
  const result = await runTheoremCheck({ ...t, onProgress: t.onProgress ?? note });
  writeJsonAtomic(path, { options: key, result });
  note('theorem check: done');
  return result;
}

/** `asyngrad experiment theorem`: the check alone, with theorem.json, theorem.md and the figure. */
export async function runTheoremOnly(out: string, t: TheoremOptions, onEvent?: (e: ExperimentEvent) => void): Promise<{ result: TheoremResult; files: string[] }> {
  const result = await theoremStep(out, t, onEvent);
  const base = join(out, 'theorem');
  const f = await renderFigure(theoremFigureSpec(result), base);
  const md = join(out, 'theorem.md');
  writeFileSync(md, ['# AsynGrad: Theorem 1 check', '', ...renderTheorem(result, 'theorem').slice(2)].join('\n'));
  return { result, files: [join(out, 'theorem.json'), md, f.svg, f.png] };
}
