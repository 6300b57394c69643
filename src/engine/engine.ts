// The training engine behind one interface: serial, AsynGrad (async) and synchronous parallel.
// It lays out the shared memory (model regions from the model, then stamps, optimizer state and one
// private slot per worker), starts the pool and runs passes.
import { availableParallelism } from 'node:os';
import { OptionError } from '../train/option-error.js';
import { ArenaLayout } from '../runtime/arena.js';
import { Command, Ctl, MAX_WORKERS, WStat, lossIndex, wstat } from '../runtime/control.js';
import { WorkerPool, type PoolOptions } from '../runtime/pool.js';
import { Rng } from '../runtime/rng.js';
import { compileKernels, heapBase, instantiate, type Kernels } from '../runtime/wasm.js';
import type { ModelPlan, OptimizerPlan, RunPlan, WorkerSlot } from './plan.js';

export type Mode = 'serial' | 'async' | 'sync';
export const MODES: readonly Mode[] = ['serial', 'async', 'sync'];

/**
 * How a pass picks its samples. 'shuffle' (the default, what CRFsuite and PyTorch users expect): every
 * pass visits each sample once, in a fresh random order that all workers share (they claim positions
 * in it), so AsynGrad at 1 worker is exactly serial SGD. 'uniform': each worker draws samples
 * uniformly at random with replacement, the paper's AsynGrad (some samples twice, ~37% not at all).
 */
export type Sampling = 'shuffle' | 'uniform';
export const SAMPLINGS: readonly Sampling[] = ['shuffle', 'uniform'];

/** Workers when none are asked for: one per logical CPU, at most MAX_WORKERS. */
export function defaultThreads(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

/** The threads and sampling a run really uses: serial mode is one thread visiting every sample once. */
export function effectiveRun(mode: Mode, threads: number, sampling: Sampling | undefined): { threads: number; sampling: Sampling } {
  return mode === 'serial' ? { threads: 1, sampling: 'shuffle' } : { threads, sampling: sampling ?? 'shuffle' };
}

/** What a model must give the engine (main-thread side). */
export interface TrainableModel {
  /** Reserves the model's regions (weights, data) and describes them. */
  reserve(arena: ArenaLayout): ModelPlan;
  /** Writes data and initial weights into the freshly created memory. */
  fill(memory: WebAssembly.Memory, plan: ModelPlan, kernels: Kernels): void;
}

export interface EngineOptions {
  mode: Mode;
  /** workers (threads); serial mode always uses 1 */
  threads: number;
  seed: number;
  /** default 'shuffle'; serial mode always shuffles */
  sampling?: Sampling;
  optimizer?: { kind: 'sgd' } | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number };
  /** gradient-error accounting (default on in async/sync, off in serial) */
  account?: boolean;
  pool?: PoolOptions;
  /** use the gradient buffer + touched list even where the model has a fused SGD or Adam step */
  buffered?: boolean;
  /**
   * Mini-batch size for serial and async (default 1, the paper's per-sample updates): each worker
   * sums the gradients of `batch` consecutive samples it claimed, all computed from the live w, and
   * applies them as one update (one Adam step). Needs a model whose gradient can accumulate
   * (the Bi-LSTM); sync mode's batch is its thread count.
   */
  batch?: number;
  /**
   * serial and async, buffered gradients: scale each update's gradient (the batch's sum) so that its
   * L2 norm is at most this, as PyTorch's clip_grad_norm_ (default 0: off)
   */
  clip?: number;
}

export interface WorkerPassStats {
  samples: number;
  readErrors: number;
  writeErrors: number;
  errors: number;
  /** errors / samples: the paper's per-thread gradient-error rate */
  errorRate: number;
}

export interface PassStats {
  pass: number;
  lr: number;
  seconds: number;
  samples: number;
  /** sum of the sample losses seen in the pass (regularisation not included) */
  loss: number;
  nonFinite: number;
  workers: WorkerPassStats[];
  /** all workers' errors / all samples */
  gradientErrorRate: number;
}

export class InterruptedError extends Error {
  /**
   * The model to keep, when the trainer was asked for one (keepModel): the CLI writes it to --out, as
   * Wapiti saves its model on Ctrl-C. Which one: see interruption() in src/train/interrupted.ts.
   */
  model?: InterruptedModel;
  /** passes finished before the interrupt (set by the trainers) */
  passes?: number;
}

/** A model an interrupted run can still write: after `passes` passes, or part of the next (partial). */
export interface InterruptedModel {
  passes: number;
  partial: boolean;
  save(path: string): void;
}

export class Engine {
  private passIndex = 0;
  private aborting = false;
  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly kernels: Kernels,
    readonly plan: RunPlan,
    readonly options: EngineOptions,
    private readonly pool: WorkerPool,
  ) {}

  static async create(model: TrainableModel, options: EngineOptions): Promise<Engine> {
    const { mode } = options;
    if (!MODES.includes(mode)) throw new OptionError(`--mode must be one of ${MODES.join(', ')} (got "${mode}")`);
    const workers = mode === 'serial' ? 1 : options.threads;
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      throw new OptionError(`--threads must be an integer from 1 to ${MAX_WORKERS} (got ${options.threads})`);
    }
    const sampling = options.sampling ?? 'shuffle';
    if (!SAMPLINGS.includes(sampling)) throw new OptionError(`--sampling must be one of ${SAMPLINGS.join(', ')} (got "${sampling}")`);
    const batch = options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1 || batch > 65536) throw new OptionError(`--batch must be an integer from 1 to 65536 (got ${options.batch})`);
    if (batch > 1 && mode === 'sync') throw new OptionError('--batch applies to serial and async modes (a sync round already sums one gradient per thread)');
    const clip = options.clip ?? 0;
    if (typeof clip !== 'number' || !(clip >= 0 && Number.isFinite(clip))) throw new OptionError(`--clip must be a number from 0 (off) (got ${options.clip})`);
    if (clip > 0 && mode === 'sync') throw new OptionError('--clip applies to serial and async modes (a sync round sums its gradients slice by slice, so no worker sees their norm)');
    const module = compileKernels();
    const arena = new ArenaLayout(heapBase(module));
    const mplan = model.reserve(arena);
    if (batch > 1 && !mplan.batchable) throw new OptionError(`--batch ${batch}: this model (${mplan.kind}) takes per-sample updates only; mini-batches are for --model lstm and lstm-crf`);
    const stampsOffset = arena.reserve('gradient-error stamps', mplan.stampCount * 4);
    const orderOffset = mode === 'serial' || sampling === 'shuffle' ? arena.reserve('pass order', mplan.numSamples * 4) : -1;
    const o = options.optimizer ?? { kind: 'sgd' };
    // AsynGrad with Adam keeps each worker's moments private, as PyTorch's Hogwild does (every process
    // its own optimizer over the shared weights): shared moments updated without a lock can be torn
    // (m from one worker's store, v from another's: a large m over a tiny v, a step of lr * m / eps),
    // which diverged the Bi-LSTM, and sharing them triples the cache lines both cores write.
    const privateMoments = o.kind === 'adam' && mode === 'async' && workers > 1;
    let optimizer: OptimizerPlan;
    if (o.kind === 'adam') {
      optimizer = {
        kind: 'adam',
        beta1: o.beta1 ?? 0.95,
        beta2: o.beta2 ?? 0.95,
        eps: o.eps ?? 1e-4,
        mOffset: privateMoments ? -1 : arena.reserve('adam first moment', mplan.params * 4),
        vOffset: privateMoments ? -1 : arena.reserve('adam second moment', mplan.params * 4),
      };
    } else optimizer = { kind: 'sgd' };
    // Lazy rows: only Adam has momentum to catch up, and the sync engine's Adam step is dense anyway.
    const lazy = optimizer.kind === 'adam' && mode !== 'sync' && mplan.lazyRows !== undefined;
    const lazyRowCount = lazy ? mplan.lazyRows!.tables.reduce((a, t) => a + t.rows, 0) : 0;
    if (lazy && optimizer.kind === 'adam' && !(optimizer.beta1 * optimizer.beta1 < optimizer.beta2)) {
      throw new OptionError(`lazy embedding updates need Adam's beta1^2 < beta2 (got beta1 ${optimizer.beta1}, beta2 ${optimizer.beta2}): use --embeddings sparse or dense`);
    }
    // The fused SGD step writes straight into w: no gradient buffer or touched list to reserve.
    const fused = mplan.fusedSgd === true && optimizer.kind === 'sgd' && mode !== 'sync' && !options.buffered && batch === 1;
    // before any memory is made: a clip needs the gradient's norm from a touched list that lists each block once
    if (clip > 0 && (fused || !mplan.uniqueList)) throw new OptionError(`--clip: this model (${mplan.kind}) ${fused ? 'takes fused SGD steps' : 'lists some gradient blocks more than once'}, so its gradient's norm is not at hand; clipping is for the Bi-LSTM`);
    const slots: WorkerSlot[] = [];
    for (let i = 0; i < workers; i++) {
      slots.push({
        mOffset: privateMoments ? arena.reserve(`worker ${i} adam first moment`, mplan.params * 4) : -1,
        vOffset: privateMoments ? arena.reserve(`worker ${i} adam second moment`, mplan.params * 4) : -1,
        gOffset: fused ? -1 : arena.reserve(`worker ${i} gradient`, mplan.params * 4),
        listOffset: fused ? -1 : arena.reserve(`worker ${i} touched list`, Math.min(mplan.listCapacity * batch, mplan.maxListCapacity ?? Infinity) * 12),
        lastOffset: lazy ? arena.reserve(`worker ${i} lazy row steps`, lazyRowCount * 4) : -1,
        scratchOffset: arena.reserve(`worker ${i} scratch`, mplan.scratchBytes),
      });
    }
    const memory = arena.createMemory();
    const kernels = instantiate(module, memory);
    model.fill(memory, mplan, kernels);
    // Fused Adam: the model's dense blocks skip the gradient buffer (a clip needs the whole gradient's
    // norm first, a mini-batch its sum, and sync mode sums the workers' buffers)
    const fusedAdam = mplan.fusedAdam === true && optimizer.kind === 'adam' && mode !== 'sync' && !options.buffered && batch === 1 && clip === 0;
    const plan: RunPlan = { model: mplan, optimizer, stampsOffset, workers, seed: options.seed >>> 0, slots, buffered: !fused, orderOffset, batch, lazy, clip, fusedAdam };
    const ctl = new Int32Array(memory.buffer, 0, 4096);
    ctl[Ctl.WORKERS] = workers;
    ctl[Ctl.ACCOUNT] = (options.account ?? mode !== 'serial') ? 1 : 0;
    const pool = await WorkerPool.start(module, memory, plan, options.pool);
    return new Engine(memory, kernels, plan, options, pool);
  }

  /** Float32Array view of the weights (a live view into the shared memory). */
  weights(): Float32Array {
    return new Float32Array(this.memory.buffer, this.plan.model.wOffset, this.plan.model.params);
  }

  /**
   * Runs one pass at learning rate lr: `samples` gradients (default: one per sample) drawn from the
   * first `numSamples` samples (default: all; structure regularisation rewrites the sample table
   * between passes and passes its new size).
   */
  async runPass(lr: number, opts: { onTick?: (done: number, total: number) => void; samples?: number; numSamples?: number; pass?: number } = {}): Promise<PassStats> {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a positive number (got ${lr})`);
    const ctl = new Int32Array(this.memory.buffer, 0, 4096);
    const f32 = new Float32Array(this.memory.buffer, 0, 4096);
    const f64 = new Float64Array(this.memory.buffer, 0, 2048);
    const k = this.plan.workers;
    const numSamples = opts.numSamples ?? this.plan.model.numSamples;
    if (!Number.isInteger(numSamples) || numSamples < 1 || numSamples > this.plan.model.numSamples) {
      throw new Error(`numSamples must be from 1 to ${this.plan.model.numSamples} (got ${numSamples})`);
    }
    const total = opts.samples ?? numSamples;
    for (let i = 0; i < k; i++) {
      for (const f of [WStat.SAMPLES, WStat.READ_ERR, WStat.WRITE_ERR, WStat.ANY_ERR, WStat.NONFINITE]) ctl[wstat(i, f)] = 0;
      f64[lossIndex(i)] = 0;
    }
    ctl[Ctl.TOTAL] = total;
    ctl[Ctl.NSAMPLES] = numSamples;
    if (opts.pass !== undefined) this.passIndex = opts.pass;
    ctl[Ctl.PASS] = this.passIndex;
    ctl[Ctl.CLAIM] = 0;
    ctl[Ctl.ABORT] = 0;
    this.aborting = false;
    ctl[Ctl.BAR_COUNT] = 0;
    f32[Ctl.LR] = lr;
    if (this.plan.orderOffset >= 0) {
      // The pass order, from a stream of its own per pass (a resumed run draws what it would have drawn).
      // It is the stream the serial worker drew its permutation from before the order moved here, so
      // serial runs kept their exact results; no worker draws from it in shuffle mode.
      new Rng(this.plan.seed, MAX_WORKERS * this.passIndex).permutation(new Int32Array(this.memory.buffer, this.plan.orderOffset, numSamples), numSamples);
    }
    const cmd = this.options.mode === 'serial' ? Command.SERIAL_PASS : this.options.mode === 'async' ? Command.ASYNC_PASS : Command.SYNC_PASS;
    const t0 = performance.now();
    const onTick = opts.onTick;
    await this.pool.run(cmd, { onTick: onTick ? () => onTick(Math.min(total, Atomics.load(ctl, Ctl.CLAIM)), total) : undefined });
    const seconds = (performance.now() - t0) / 1000;
    if (this.aborting) throw new InterruptedError(`pass ${this.passIndex + 1} was interrupted`);
    if (cmd === Command.SYNC_PASS) ctl[Ctl.STEP] += Math.ceil(total / k);
    const workers: WorkerPassStats[] = [];
    let loss = 0, samples = 0, errors = 0, nonFinite = 0;
    for (let i = 0; i < k; i++) {
      const s = ctl[wstat(i, WStat.SAMPLES)];
      const e = ctl[wstat(i, WStat.ANY_ERR)];
      workers.push({ samples: s, readErrors: ctl[wstat(i, WStat.READ_ERR)], writeErrors: ctl[wstat(i, WStat.WRITE_ERR)], errors: e, errorRate: s ? e / s : 0 });
      loss += f64[lossIndex(i)];
      samples += s;
      errors += e;
      nonFinite += ctl[wstat(i, WStat.NONFINITE)];
    }
    return { pass: this.passIndex++, lr, seconds, samples, loss, nonFinite, workers, gradientErrorRate: samples ? errors / samples : 0 };
  }

  /** Optimizer steps taken (Adam's bias correction); checkpoints save and restore it. */
  get optimizerStep(): number {
    return new Int32Array(this.memory.buffer, 0, 16)[Ctl.STEP];
  }

  set optimizerStep(n: number) {
    new Int32Array(this.memory.buffer, 0, 16)[Ctl.STEP] = n;
  }

  /** The optimizer's state vectors in the shared memory (Adam: the moments, per worker in async mode). */
  optimizerState(): Float32Array[] {
    const o = this.plan.optimizer;
    if (o.kind !== 'adam') return [];
    const P = this.plan.model.params;
    const offsets = this.plan.slots[0].mOffset >= 0 ? this.plan.slots.flatMap((s) => [s.mOffset, s.vOffset]) : [o.mOffset, o.vOffset];
    return offsets.map((off) => new Float32Array(this.memory.buffer, off, P));
  }

  /** Asks the running pass to stop as soon as possible (Ctrl-C); runPass then rejects. */
  abort(): void {
    this.aborting = true;
    Atomics.store(new Int32Array(this.memory.buffer, 0, 16), Ctl.ABORT, 1);
  }

  /** Test hook: kill worker i as if it crashed. */
  killWorker(i: number): Promise<void> {
    return this.pool.kill(i);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
