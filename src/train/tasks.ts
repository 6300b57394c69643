// The three tasks: how to read their files, which derived columns and template they use, how they
// are scored, and the paper's SGD settings (../shared/PAPER.md, Dense CRF section).
import { addPosColumns, addSegColumns } from '../data/derived.js';
import { readColumnFile } from '../data/column.js';
import { readSegmentedFile } from '../data/segmented.js';
import type { Sentence } from '../data/types.js';

export type TaskName = 'chunking' | 'pos' | 'seg';
export const TASKS: readonly TaskName[] = ['chunking', 'pos', 'seg'];

export interface TaskSpec {
  name: TaskName;
  /** the score the task is judged by */
  metric: 'f1' | 'accuracy';
  /** CRF SGD: initial rate, per-pass decay, L2 (Gaussian prior) */
  lr: number;
  decay: number;
  l2: number;
  /** passes that reach the published accuracy with the defaults */
  passes: number;
  read(path: string, labeled?: boolean): Sentence[];
  /** appends derived observation columns (word suffixes, character class…) */
  derive(sentences: Sentence[]): Sentence[];
}

export const TASK_SPECS: Record<TaskName, TaskSpec> = {
  chunking: {
    name: 'chunking',
    metric: 'f1',
    lr: 0.05,
    decay: 0.9,
    l2: 0.5,
    passes: 30,
    read: (p, labeled = true) => readColumnFile(p, { labeled }),
    derive: (s) => addPosColumns(s),
  },
  pos: {
    name: 'pos',
    metric: 'accuracy',
    // The paper's 0.02 is for WSJ; on UD-EWT dev (dense CRF, 30 passes, async 2) 0.05 scores 94.51,
    // 0.02 94.33 and 0.1 94.48, so 0.05 (tuned on dev.txt, never on test).
    lr: 0.05,
    decay: 0.9,
    l2: 1,
    passes: 30,
    read: (p, labeled = true) => readColumnFile(p, { labeled }),
    derive: (s) => addPosColumns(s),
  },
  seg: {
    name: 'seg',
    metric: 'f1',
    lr: 0.1,
    decay: 0.9,
    l2: 1,
    passes: 30,
    read: (p, labeled = true) => readSegmentedFile(p, { labeled }),
    derive: (s) => addSegColumns(s),
  },
};

export function taskSpec(name: string): TaskSpec {
  const t = TASK_SPECS[name as TaskName];
  if (!t) throw new Error(`--task must be one of ${TASKS.join(', ')} (got "${name}")`);
  return t;
}
