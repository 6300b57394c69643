// Worker entry: instantiates the one compiled module over the shared memory, builds its model's
// gradient from the registry, then sleeps on the control block until told to run a pass.
import { parentPort, workerData } from 'node:worker_threads';
import { Command, Ctl, MAX_WORKERS, WStat, wstat } from './control.js';
import { Rng } from './rng.js';
import { instantiate } from './wasm.js';
import { catchUpListed, fusedAdamStep, runClaimedPass, runSyncPass, type WorkerContext } from '../engine/passes.js';
import type { SampleHooks } from '../engine/sample-gradient.js';
import type { RunPlan } from '../engine/plan.js';
import { gradientFactory } from '../models/registry.js';

interface Init {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  plan: RunPlan;
  index: number;
  /** test hook: throw inside the pass after this many samples */
  failAfter?: number;
}

const init = workerData as Init;
const { memory, plan, index } = init;
const k = instantiate(init.module, memory);
const ctl = new Int32Array(memory.buffer, 0, 4096);
const ctlF32 = new Float32Array(memory.buffer, 0, 4096);
const ctlF64 = new Float64Array(memory.buffer, 0, 2048);
const slot = plan.slots[index];
let ctx: WorkerContext;
const hooks: SampleHooks = { worker: index };
if (plan.lazy) hooks.catchUpRows = (from, count) => catchUpListed(ctx, from, count);
if (plan.fusedAdam) hooks.adamStep = () => fusedAdamStep(ctx);
let grad = gradientFactory(plan.model.kind)(plan.model, k, memory, slot, plan.stampsOffset, hooks);
if (init.failAfter !== undefined) {
  const inner = grad;
  let seen = 0;
  grad = { ...inner, grad: (s, a) => { if (++seen > init.failAfter!) throw new Error(`injected failure after ${init.failAfter} samples`); return inner.grad(s, a); }, listCount: () => inner.listCount(), readOverlap: () => inner.readOverlap() };
}
ctx = {
  index,
  plan,
  k,
  ctl,
  ctlF32,
  ctlF64,
  grad,
  rng: new Rng(plan.seed, index),
  writes: 0,
  ownSteps: 0,
  order: plan.orderOffset >= 0 ? new Int32Array(memory.buffer, plan.orderOffset, plan.model.numSamples) : null,
};

let gen = Atomics.load(ctl, Ctl.GEN);
parentPort!.postMessage({ ready: true });
for (;;) {
  Atomics.wait(ctl, Ctl.GEN, gen);
  gen = Atomics.load(ctl, Ctl.GEN);
  const cmd = Atomics.load(ctl, Ctl.CMD);
  if (cmd === Command.STOP) break;
  ctl[wstat(index, WStat.STATUS)] = 1;
  // A fresh stream per pass: a run resumed from a checkpoint at pass p draws what it would have drawn.
  ctx.rng = new Rng(plan.seed, index + MAX_WORKERS * Atomics.load(ctl, Ctl.PASS));
  if (cmd === Command.ASYNC_PASS || cmd === Command.SERIAL_PASS) runClaimedPass(ctx);
  else if (cmd === Command.SYNC_PASS) runSyncPass(ctx);
  ctl[wstat(index, WStat.STATUS)] = 2;
  Atomics.add(ctl, Ctl.DONE, 1);
  Atomics.notify(ctl, Ctl.DONE);
}
process.exit(0);
