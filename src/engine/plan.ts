// What the main thread tells every worker about a training run: plain data (posted in workerData),
// byte offsets into the shared memory, never objects.

export type OptimizerPlan =
  | { kind: 'sgd' }
  | { kind: 'adam'; beta1: number; beta2: number; eps: number; mOffset: number; vOffset: number };

/** A model's part of the plan: where its parameters and data live, and what a worker needs. */
export interface ModelPlan {
  /** key into the worker-side model registry (src/models/registry.ts) */
  kind: string;
  /** number of f32 parameters; w lives at wOffset */
  params: number;
  wOffset: number;
  /** training samples (sentences) */
  numSamples: number;
  /** gradient-error stamps: one i32 per parameter block */
  stampCount: number;
  /** the most touched-list entries one gradient can write */
  listCapacity: number;
  /** the most entries a mini-batch's list can hold however large the batch (blocks are listed once) */
  maxListCapacity?: number;
  /** per-worker model scratch, bytes */
  scratchBytes: number;
  /** the worker-side gradient has a fused SGD step (then serial/async SGD need no gradient buffer) */
  fusedSgd?: boolean;
  /** the worker-side gradient can apply Adam to its dense blocks as it computes them (SampleHooks.adamStep) */
  fusedAdam?: boolean;
  /** grad(s, account, append = true) adds to the buffer and list (mini-batches, see EngineOptions.batch) */
  batchable?: boolean;
  /** every block appears once in a touched list, so the list gives the gradient's norm (--clip) */
  uniqueList?: boolean;
  /**
   * rows that Adam may update lazily (--embeddings lazy): touched-list entries with stamp >= rowStamp
   * are rows, row = stamp - rowStamp, numbered through the tables in order (floats offset, dim, rows)
   */
  lazyRows?: { rowStamp: number; tables: { offset: number; dim: number; rows: number }[] };
  /** model-specific offsets and sizes */
  data: Record<string, number>;
}

/** Per-worker private regions. */
export interface WorkerSlot {
  gOffset: number; // gradient buffer, params f32, kept zero between samples
  /** async Adam: this worker's own first and second moments (else -1: the shared ones) */
  mOffset: number;
  vOffset: number;
  listOffset: number; // touched list, listCapacity * 3 i32
  /** lazy Adam rows: this worker's step at which each row was last brought up to date (i32 per row), or -1 */
  lastOffset: number;
  scratchOffset: number; // model scratch
}

export interface RunPlan {
  model: ModelPlan;
  optimizer: OptimizerPlan;
  stampsOffset: number;
  workers: number;
  seed: number;
  slots: WorkerSlot[];
  /** the pass order (i32 per sample, written by the main thread before each pass), or -1: uniform draws */
  orderOffset: number;
  /** gradients go through the buffer and touched list (false: the model's fused SGD step is used) */
  buffered: boolean;
  /** samples whose gradients are summed into one update (1: per-sample updates) */
  batch: number;
  /** Adam catches the model's lazyRows up when they are next used and at the end of each pass */
  lazy: boolean;
  /** > 0: each update's gradient is scaled to an L2 norm of at most this (serial and async) */
  clip: number;
  /** the model applies Adam to its dense blocks itself (ModelPlan.fusedAdam; serial/async, per-sample, no clip) */
  fusedAdam: boolean;
}
