// The control block: page 0 of the shared memory, read and written with Atomics from every thread.
// The main thread posts a command by writing its fields and bumping GEN; workers sleep on GEN.
export const MAX_WORKERS = 64;

export const enum Ctl {
  GEN = 0, // command generation; workers Atomics.wait on it
  CMD = 1, // Command below
  TOTAL = 2, // samples (gradients) in this pass, all workers together
  CLAIM = 3, // next sample slot to claim (Atomics.add), async and serial modes
  DONE = 4, // workers finished with the command
  ABORT = 5, // non-zero: stop the pass as soon as possible
  BAR_COUNT = 6, // sync barrier: arrivals
  BAR_GEN = 7, // sync barrier: generation
  WORKERS = 8, // k
  STEP = 9, // optimizer steps taken so far (Adam bias correction), async: approximate
  ACCOUNT = 10, // gradient-error accounting on (1) or off (0)
  NSAMPLES = 11, // samples to draw from in this pass (structure regularisation changes it per pass)
  PASS = 12, // pass number: each worker's sampling stream is derived from (seed, worker, pass)
  LR = 16, // learning rate of this pass, as f32 (view the same slot through a Float32Array)
  WORKER_BASE = 256, // per-worker stats: WORKER_STRIDE i32 each
}

export const WORKER_STRIDE = 16;
export const enum WStat {
  SAMPLES = 0,
  READ_ERR = 1, // gradients whose read of w overlapped another worker's write
  WRITE_ERR = 2, // gradients whose write overlapped another worker's write to the same block
  ANY_ERR = 3, // gradients with either: the gradient-error count
  LIST_COUNT = 4, // sync mode: entries in this worker's touched list
  STATUS = 5, // 1 running, 2 idle, 3 failed
  NONFINITE = 6, // samples whose loss was NaN or infinite
}

export const enum Command {
  NONE = 0,
  ASYNC_PASS = 1, // positions of the shared pass order (or uniform draws), lock-free updates
  SERIAL_PASS = 2, // one worker, the seeded pass order
  SYNC_PASS = 3, // gradients on the same w, barrier, combined update, barrier
  STOP = 9,
}

export function wstat(worker: number, field: WStat): number {
  return Ctl.WORKER_BASE + worker * WORKER_STRIDE + field;
}

/** f64 index of a worker's pass loss: inside the worker's own 64-byte stats line (no false sharing). */
export function lossIndex(worker: number): number {
  return (Ctl.WORKER_BASE + worker * WORKER_STRIDE + 8) / 2;
}

/** Samples a worker claims at once in async/serial passes: fewer atomic adds on a shared line. */
export const CLAIM_CHUNK = 4;
