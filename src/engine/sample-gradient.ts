// How a model plugs into the engines: given a sample index, write the sample's gradient into the
// worker's private buffer and touched list, reading w from the shared memory, and return its loss.
import type { Kernels } from '../runtime/wasm.js';
import type { ModelPlan, WorkerSlot } from './plan.js';

export interface SampleGradient {
  /**
   * Gradient of sample s into slot.g with its touched list; returns the sample's loss. append (models
   * with plan.batchable only): add to the gradient and list the previous grad() calls left since the
   * last update, each block listed once (a mini-batch).
   */
  grad(s: number, account: boolean, append?: boolean): number;
  /** entries in the touched list (of the whole mini-batch when appending) */
  listCount(): number;
  /** whether the last grad()'s (or step()'s) read of w overlapped another worker's write (when accounting) */
  readOverlap(): boolean;
  /**
   * Optional fused SGD step for serial and async modes: compute sample s's gradient and write
   * w -= lr * g straight into the shared weights (no buffer, no touched list). Returns the loss;
   * writeOverlap() tells whether a block write overlapped another worker's write. `tag`: 0 when not
   * accounting, else the even stamp value of this write (see writeTag in passes.ts).
   */
  step?(s: number, lr: number, tag: number): number;
  /** whether the last step()'s writes, or a fused Adam step's (SampleHooks.adamStep), overlapped another worker's */
  writeOverlap?(): boolean;
}

export type SampleGradientFactory = (
  plan: ModelPlan,
  k: Kernels,
  memory: WebAssembly.Memory,
  slot: WorkerSlot,
  stampsOffset: number,
  hooks?: SampleHooks,
) => SampleGradient;

/** What the engine offers a model's gradient. */
export interface SampleHooks {
  /** this worker's index (0 in serial mode): seeds its random streams, which must not depend on the memory layout */
  worker?: number;
  /**
   * Lazy Adam rows (plan.lazyRows, when the engine updates them lazily): bring the rows among
   * touched-list entries [from, from + count) up to date before the sample reads them. Absent otherwise.
   */
  catchUpRows?(from: number, count: number): void;
  /**
   * Fused Adam (plan.fusedAdam): the model applies Adam to its dense blocks itself, as it computes
   * their gradient, and lists only its other blocks. It calls this once per sample, after its last
   * read of w and before its first write: the engine claims the update's step and write tag, which
   * its own step over the touched list then shares. writeOverlap() tells whether those fused block
   * writes overlapped another worker's.
   */
  adamStep?(): FusedAdamStep;
}

/** What a fused Adam step needs: this worker's moments (byte offsets, indexed as w), the rate, the tag. */
export interface FusedAdamStep {
  m: number;
  v: number;
  /** Adam's bias-corrected rate of this step */
  lrt: number;
  b1: number;
  b2: number;
  eps: number;
  /** the write tag (0: not accounting), see writeTag in passes.ts */
  tag: number;
}
