// Where an experiment's data sets live in `--data DIR` (the layout of ../shared/data and of the
// package's bundled data/), and the truncated copies that `--limit` trains on.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../io/crc32.js';
import type { TaskName } from '../train/tasks.js';

export interface TaskData {
  task: TaskName;
  train: string;
  /** held-out set scored after every pass */
  test: string;
  /** which split `test` is: Weibo has no public gold test set, so its dev set stands in */
  testSplit: 'test' | 'dev';
  /** the corpus, for the report */
  corpus: string;
}

const LAYOUT: Record<TaskName, { dir: string; test: 'test' | 'dev'; corpus: string }> = {
  chunking: { dir: 'conll2000', test: 'test', corpus: 'CoNLL-2000' },
  'np-chunking': { dir: 'conll2000', test: 'test', corpus: 'CoNLL-2000, NP chunks' },
  pos: { dir: 'ud-ewt-pos', test: 'test', corpus: 'UD English-EWT (PTB tags)' },
  seg: { dir: 'weibo', test: 'dev', corpus: 'NLPCC 2016 Weibo (dev set as test)' },
};

/** The task's files in dataDir, or the paths that are missing. */
export function findTaskData(dataDir: string, task: TaskName): { data?: TaskData; missing: string[] } {
  const l = LAYOUT[task];
  const train = join(dataDir, l.dir, 'train.txt');
  const test = join(dataDir, l.dir, `${l.test}.txt`);
  const missing = [train, test].filter((p) => !existsSync(p));
  if (missing.length) return { missing };
  return { data: { task, train, test, testSplit: l.test, corpus: l.corpus }, missing };
}

/** The paper's three tasks whose data is present in dataDir (NP chunking only when asked for by --tasks). */
export function availableTasks(dataDir: string): TaskName[] {
  return (['chunking', 'pos', 'seg'] as const).filter((t) => !findTaskData(dataDir, t).missing.length);
}

/**
 * With a limit, writes the first `limit` sentences of the training and test files under
 * `<out>/data/<task>/` and returns those paths (column files: sentences separated by blank lines;
 * segmentation: one sentence a line).
 */
export function limitTaskData(d: TaskData, limit: number | undefined, out: string): TaskData {
  if (!limit) return d;
  const dir = join(out, 'data', d.task);
  mkdirSync(dir, { recursive: true });
  const cut = (path: string, name: string) => {
    const text = readFileSync(path, 'utf8').replace(/\r\n?/g, '\n');
    const parts = d.task === 'seg' ? text.split('\n').filter((l) => l.trim() !== '') : text.split(/\n[ \t]*\n/).filter((s) => s.trim() !== '');
    const body = parts.slice(0, limit).map((s) => s.replace(/\n+$/, '')).join(d.task === 'seg' ? '\n' : '\n\n') + '\n';
    const target = join(dir, name);
    if (!existsSync(target) || readFileSync(target, 'utf8') !== body) writeFileSync(target, body);
    return target;
  };
  return { ...d, train: cut(d.train, 'train.txt'), test: cut(d.test, `${d.testSplit}.txt`) };
}

/** Identifies a data file's content (size and CRC-32), so that a changed file re-runs its runs. */
export function fileIdentity(path: string): { path: string; bytes: number; crc32: number } {
  const buf = readFileSync(path);
  return { path, bytes: statSync(path).size, crc32: crc32(buf) };
}
