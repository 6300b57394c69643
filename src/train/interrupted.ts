// What an interrupted run (Ctrl-C) leaves: the InterruptedError both trainers throw, carrying, when a
// model is to be kept (keepModel: the CLI writes it to --out, as Wapiti saves on interrupt), the best
// dev pass's model with keepBest; else the last finished pass's when the trainer still has it
// (between passes, or in a checkpoint snapshot); else the weights as the interrupted pass left them.
import { InterruptedError } from '../engine/engine.js';
import type { BestPass } from './best-pass.js';

export interface Interruption {
  message: string;
  /** passes finished */
  passes: number;
  keepModel?: boolean;
  best: BestPass | null;
  /** the weights of the last finished pass, when the trainer has them */
  lastPass: (() => Float32Array) | null;
  /** the weights as the interrupted pass left them (null between passes) */
  current: (() => Float32Array) | null;
  makeTagger: (weights: Float32Array, passes: number) => { save(path: string): void };
}

export function interruption(o: Interruption): InterruptedError {
  const err = new InterruptedError(o.message);
  err.passes = o.passes;
  if (!o.keepModel) return err;
  const { passes, makeTagger } = o;
  const kept = (weights: Float32Array, partial: boolean) => ({ passes, partial, save: (path: string) => makeTagger(weights, passes).save(path) });
  err.model = o.best?.interruptedModel(makeTagger)
    ?? (o.lastPass && passes > 0 ? kept(o.lastPass(), false) : o.current ? kept(o.current(), true) : undefined);
  return err;
}
