// Model selection on the development data: which evaluated pass scored best on dev (the task's
// headline score; ties go to the earlier pass), a copy of its weights when the best model is to be
// kept (`keepBest`, as PyTorch users keep their best checkpoint), and early stopping once `patience`
// evaluations in a row have not beaten it (Wapiti's --stopwin, counted in evaluations).
import { OptionError } from './option-error.js';
import type { InterruptedModel } from '../engine/engine.js';
import type { Sentence } from '../data/types.js';
import { hashStrings } from './checkpoint.js';
import { headline } from './score.js';
import type { TaskName } from './tasks.js';
import type { PassReport } from './train-crf.js';

export interface BestPassOptions {
  keepBest: boolean;
  /** stop after this many evaluations without a better dev score (0: never) */
  patience: number;
}

/** Checks the options against the run: both need dev data. Throws naming the option. */
export function checkBestPassOptions(o: { keepBest?: boolean; patience?: number; dev?: string }): BestPassOptions | null {
  const keepBest = o.keepBest ?? false, patience = o.patience ?? 0;
  if (!Number.isSafeInteger(patience) || patience < 0) throw new OptionError(`--patience must be a whole number of evaluations (0: off; got ${o.patience})`);
  if ((keepBest || patience > 0) && !o.dev) throw new OptionError(`${keepBest ? '--keep-best' : '--patience'} selects on the development data: give --dev`);
  return keepBest || patience > 0 ? { keepBest, patience } : null;
}

/**
 * What a checkpoint must match for selection to resume as it ran (added to the trainers'
 * fingerprints only when selecting): the options, and the dev data the scores came from.
 */
export function selectionFingerprint(sel: BestPassOptions | null, dev: readonly Sentence[] | undefined): Record<string, unknown> {
  if (!sel) return {};
  return { keepBest: sel.keepBest, patience: sel.patience, dev: hashStrings((dev ?? []).map((s) => `${s.tokens.map((t) => t.join(' ')).join('\t')}\n${s.tags.join(' ')}`)) };
}

export class BestPass {
  /** the best pass so far (1-based; 0 before any dev score) */
  pass = 0;
  score = -Infinity;
  /** its weights (keepBest only; allocated on the first best) */
  weights: Float32Array | null = null;
  /** evaluations since the best */
  private stale = 0;

  constructor(private readonly task: TaskName, readonly opts: BestPassOptions) {}

  /** Takes a finished pass; when its dev score is the best so far (and keepBest), copies `weights`. */
  observe(r: PassReport, weights: () => Float32Array): void {
    if (!r.dev) return;
    const s = headline(this.task, r.dev);
    if (s > this.score) {
      this.score = s;
      this.pass = r.pass;
      this.stale = 0;
      if (this.opts.keepBest) {
        const w = weights();
        if (!this.weights) this.weights = w.slice();
        else this.weights.set(w);
      }
    } else {
      this.stale++;
    }
  }

  /** Whether `patience` evaluations in a row have not beaten the best. */
  get exhausted(): boolean {
    return this.opts.patience > 0 && this.stale >= this.opts.patience;
  }

  /** What an interrupted run leaves with keepBest, once there is a best pass: its model. */
  interruptedModel(makeTagger: (weights: Float32Array, passes: number) => { save(path: string): void }): InterruptedModel | undefined {
    const w = this.opts.keepBest ? this.weights : null;
    return w ? { passes: this.pass, partial: false, save: (path) => makeTagger(w, this.pass).save(path) } : undefined;
  }

  /** Rebuilds the record from a resumed run's history and the stored copy of the best weights. */
  replay(history: readonly PassReport[], stored: Float32Array | undefined): void {
    for (const r of history) this.observe(r, () => stored!);
  }
}
