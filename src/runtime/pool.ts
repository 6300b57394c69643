// The worker pool: k worker_threads over one shared memory, driven through the control block.
// The main thread never blocks: it waits with Atomics.waitAsync and a timeout, so worker 'error' and
// 'exit' events are delivered, and a worker that throws or dies ends the run with an error naming it.
import { Worker } from 'node:worker_threads';
import { Command, Ctl } from './control.js';
import { packageFile } from './package-root.js';
import type { RunPlan } from '../engine/plan.js';

export class WorkerFailure extends Error {
  constructor(readonly worker: number, message: string) {
    super(`worker ${worker} ${message}`);
  }
}

export interface PoolOptions {
  /** test hook: worker i throws after n samples */
  failAfter?: { worker: number; samples: number };
  /** how long a command may run without finishing before the run is declared hung (ms) */
  commandTimeoutMs?: number;
}

export class WorkerPool {
  readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private failure: Error | null = null;
  private closed = false;

  private constructor(readonly memory: WebAssembly.Memory, readonly size: number) {
    this.ctl = new Int32Array(memory.buffer, 0, 4096);
  }

  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, plan: RunPlan, opts: PoolOptions = {}): Promise<WorkerPool> {
    const pool = new WorkerPool(memory, plan.workers);
    const script = packageFile('dist', 'worker.js');
    const ready: Promise<void>[] = [];
    for (let i = 0; i < plan.workers; i++) {
      const failAfter = opts.failAfter && opts.failAfter.worker === i ? opts.failAfter.samples : undefined;
      const w = new Worker(script, { workerData: { module, memory, plan, index: i, failAfter } });
      pool.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
      w.on('error', (e) => pool.fail(new WorkerFailure(i, `failed: ${e instanceof Error ? e.message : String(e)}`)));
      w.on('exit', (code) => {
        if (!pool.closed) pool.fail(new WorkerFailure(i, `exited unexpectedly (code ${code})`));
      });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw new Error(`a worker failed to start: ${(e as Error).message}`);
    }
    return pool;
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    Atomics.store(this.ctl, Ctl.ABORT, 1);
  }

  /** Test hook: kill a worker as if it crashed. */
  async kill(i: number): Promise<void> {
    await this.workers[i].terminate();
  }

  /**
   * Posts a command and resolves when every worker has finished it. `onTick` is called about every
   * `tickMs` while waiting (progress display).
   */
  async run(cmd: Command, opts: { onTick?: () => void; tickMs?: number; timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (this.failure) throw this.failure;
    const ctl = this.ctl;
    Atomics.store(ctl, Ctl.DONE, 0);
    Atomics.store(ctl, Ctl.CMD, cmd);
    Atomics.add(ctl, Ctl.GEN, 1);
    Atomics.notify(ctl, Ctl.GEN);
    const tickMs = opts.tickMs ?? 200;
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    let lastTick = Date.now();
    for (;;) {
      const done = Atomics.load(ctl, Ctl.DONE);
      if (done >= this.size) break;
      if (this.failure) {
        await this.close();
        throw this.failure;
      }
      if (Date.now() > deadline) {
        const e = new Error(`the pass did not finish within ${opts.timeoutMs} ms (${done} of ${this.size} workers done)`);
        await this.close();
        throw e;
      }
      const r = Atomics.waitAsync(ctl, Ctl.DONE, done, 50);
      if (r.async) await r.value;
      else await new Promise((res) => setImmediate(res));
      if (opts.onTick && Date.now() - lastTick >= tickMs) {
        lastTick = Date.now();
        opts.onTick();
      }
    }
    if (this.failure) {
      await this.close();
      throw this.failure;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, Ctl.CMD, Command.STOP);
    Atomics.add(this.ctl, Ctl.GEN, 1);
    Atomics.notify(this.ctl, Ctl.GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
