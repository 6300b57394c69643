// The three training loops, as run inside one worker. Each processes its share of one pass and
// returns; the worker entry (src/runtime/worker.ts) waits for the next command in between.
import { CLAIM_CHUNK, Ctl, MAX_WORKERS, WStat, lossIndex, wstat } from '../runtime/control.js';
import type { Rng } from '../runtime/rng.js';
import type { Kernels } from '../runtime/wasm.js';
import type { RunPlan } from './plan.js';
import type { FusedAdamStep, SampleGradient } from './sample-gradient.js';

export interface WorkerContext {
  index: number;
  plan: RunPlan;
  k: Kernels;
  ctl: Int32Array;
  ctlF32: Float32Array;
  ctlF64: Float64Array;
  grad: SampleGradient;
  rng: Rng;
  /** the pass order in the shared memory (shuffle sampling), or null: uniform draws */
  order: Int32Array | null;
  /** samples this worker has written (for writeTag) */
  writes: number;
  /** this worker's Adam steps so far (lazy rows count the steps they missed in it) */
  ownSteps: number;
  /** the whole shared memory as i32, made on first use (reading the touched list from JS) */
  i32?: Int32Array;
  /** the update a fused Adam step claimed for the current sample (fusedAdamStep), which applyOwn then uses */
  claimed?: Claimed | null;
}

/** One update's write tag and (Adam) bias-corrected rate. */
interface Claimed {
  tag: number;
  lrt: number;
}

// tag bits: [0] writing flag, [1, TAG_SHIFT) worker index, [TAG_SHIFT, 32) the worker's write count
const TAG_SHIFT = 1 + Math.ceil(Math.log2(MAX_WORKERS));
const TAG_COUNT_MASK = 2 ** (32 - TAG_SHIFT) - 1;

/**
 * The stamp value of this worker's next write when accounting (else 0): even and unique to (worker,
 * sample) for 2^25 samples before it wraps; see assembly/update.ts.
 */
function writeTag(c: WorkerContext, account: number): number {
  if (account === 0) return 0;
  c.writes = (c.writes + 1) & TAG_COUNT_MASK || 1;
  return (c.writes << TAG_SHIFT) | (c.index << 1);
}

/**
 * Scales the worker's gradient (the blocks of its touched list, each listed once) so that its L2
 * norm is at most plan.clip, as PyTorch's clip_grad_norm_ does before the optimizer step.
 */
function clipGradient(c: WorkerContext, count: number): void {
  const { plan, k } = c;
  const slot = plan.slots[c.index];
  // a view made once per worker, not per update
  const i32 = (c.i32 ??= new Int32Array(c.ctl.buffer));
  const list = slot.listOffset / 4;
  let sq = 0;
  for (let e = list; e < list + 3 * count; e += 3) {
    const at = slot.gOffset + i32[e] * 4;
    sq += k.dot(i32[e + 1], at, at);
  }
  const norm = Math.sqrt(sq);
  if (!(norm > plan.clip)) return;
  const a = plan.clip / norm;
  for (let e = list; e < list + 3 * count; e += 3) k.scal(i32[e + 1], a, slot.gOffset + i32[e] * 4);
}

/** The next update's write tag and, for Adam, its step (counted across workers) and rate. */
function claimUpdate(c: WorkerContext, lr: number, account: number): Claimed {
  const tag = writeTag(c, account);
  const opt = c.plan.optimizer;
  if (opt.kind !== 'adam') return { tag, lrt: 0 };
  const t = Atomics.add(c.ctl, Ctl.STEP, 1) + 1;
  return { tag, lrt: adamRate(lr, opt.beta1, opt.beta2, t) };
}

/**
 * The model's fused Adam step (SampleHooks.adamStep): claims the sample's update now, between its
 * reads and its writes, so that the model's dense blocks and applyOwn's listed ones share one step.
 */
export function fusedAdamStep(c: WorkerContext): FusedAdamStep {
  const opt = c.plan.optimizer;
  if (opt.kind !== 'adam' || !c.plan.fusedAdam) throw new Error('fusedAdamStep: not a fused Adam run');
  const claimed = claimUpdate(c, c.ctlF32[Ctl.LR], c.ctl[Ctl.ACCOUNT]);
  c.claimed = claimed;
  return { ...moments(c), lrt: claimed.lrt, b1: opt.beta1, b2: opt.beta2, eps: opt.eps, tag: claimed.tag };
}

/** One optimizer step on this worker's gradient; returns 1 if its write overlapped another write. */
function applyOwn(c: WorkerContext, count: number, lr: number, account: number): number {
  const { tag, lrt } = c.claimed ?? claimUpdate(c, lr, account);
  c.claimed = null;
  const { plan, k } = c;
  const slot = plan.slots[c.index];
  if (plan.clip > 0) clipGradient(c, count);
  const w = plan.model.wOffset;
  const opt = plan.optimizer;
  if (opt.kind === 'sgd') {
    return k.sgd_apply(w, slot.gOffset, slot.listOffset, count, -lr, plan.stampsOffset, tag);
  }
  const { m, v } = moments(c);
  if (plan.lazy) {
    c.ownSteps++;
    return k.adam_apply_lazy(w, slot.gOffset, m, v, slot.listOffset, count, lrt, opt.beta1, opt.beta2, opt.eps, plan.stampsOffset, tag, slot.lastOffset, c.ownSteps, plan.model.lazyRows!.rowStamp);
  }
  return k.adam_apply(w, slot.gOffset, m, v, slot.listOffset, count, lrt, opt.beta1, opt.beta2, opt.eps, plan.stampsOffset, tag);
}

/** What a lazy-row catch-up needs (this worker's moments, the current step's rate), or null: not lazy. */
function lazyCatchUp(c: WorkerContext) {
  const opt = c.plan.optimizer;
  if (!c.plan.lazy || opt.kind !== 'adam') return null;
  const lrt = adamRate(c.ctlF32[Ctl.LR], opt.beta1, opt.beta2, Math.max(1, Atomics.load(c.ctl, Ctl.STEP)));
  return { ...moments(c), lrt, b1: opt.beta1, b2: opt.beta2, eps: opt.eps, slot: c.plan.slots[c.index] };
}

/** Lazy rows about to be read by a sample: touched-list entries [from, from + count) of this worker. */
export function catchUpListed(c: WorkerContext, from: number, count: number): void {
  const z = lazyCatchUp(c);
  if (!z) return;
  c.k.adam_catch_up_list(c.plan.model.wOffset, z.m, z.v, z.slot.listOffset + from * 12, count, z.slot.lastOffset, c.ownSteps, z.lrt, z.b1, z.b2, z.eps, c.plan.model.lazyRows!.rowStamp);
}

/**
 * Lazy rows, at the end of a pass: every row this worker's Adam left behind takes its missed steps,
 * so that the weights scored and saved between passes are those dense Adam would have left.
 */
function catchUpRows(c: WorkerContext): void {
  const z = lazyCatchUp(c);
  if (!z) return;
  let row = 0;
  for (const t of c.plan.model.lazyRows!.tables) {
    c.k.adam_catch_up_rows(c.plan.model.wOffset, z.m, z.v, t.offset, t.dim, t.rows, z.slot.lastOffset + row * 4, c.ownSteps, z.lrt, z.b1, z.b2, z.eps);
    row += t.rows;
  }
}

/** This worker's Adam moments: its own (async with several workers) or the shared ones. */
function moments(c: WorkerContext): { m: number; v: number } {
  const slot = c.plan.slots[c.index];
  const opt = c.plan.optimizer;
  if (opt.kind !== 'adam') throw new Error('moments: not an Adam run');
  return { m: slot.mOffset >= 0 ? slot.mOffset : opt.mOffset, v: slot.vOffset >= 0 ? slot.vOffset : opt.vOffset };
}

/** Adam's bias-corrected step size at step t (1-based). */
export function adamRate(lr: number, b1: number, b2: number, t: number): number {
  return (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
}

function record(c: WorkerContext, loss: number, readErr: number, writeErr: number): void {
  const { ctl, index } = c;
  ctl[wstat(index, WStat.SAMPLES)]++;
  if (readErr) ctl[wstat(index, WStat.READ_ERR)]++;
  if (writeErr) ctl[wstat(index, WStat.WRITE_ERR)]++;
  if (readErr || writeErr) ctl[wstat(index, WStat.ANY_ERR)]++;
  if (Number.isFinite(loss)) c.ctlF64[lossIndex(index)] += loss;
  else ctl[wstat(index, WStat.NONFINITE)]++;
}

/**
 * AsynGrad and serial: claim positions of the pass, take their samples (from the shared pass order,
 * or uniform draws), compute each gradient from the shared w while others may write it, apply with
 * plain stores. A pass is TOTAL gradients over all workers together.
 */
export function runClaimedPass(c: WorkerContext): void {
  const { ctl, grad, plan } = c;
  const total = ctl[Ctl.TOTAL];
  const lr = c.ctlF32[Ctl.LR];
  const account = ctl[Ctl.ACCOUNT];
  const n = ctl[Ctl.NSAMPLES];
  const order = c.order;
  const fused = !c.plan.buffered;
  const batch = c.plan.batch;
  // a mini-batch in progress: its samples' losses and read overlaps, recorded once it is applied
  const losses: number[] = [], reads: number[] = [];
  const flush = () => {
    // with fused Adam the model wrote its dense blocks already (batch is then 1)
    const writeErr = applyOwn(c, grad.listCount(), lr, account) | (plan.fusedAdam && grad.writeOverlap!() ? 1 : 0);
    for (let j = 0; j < losses.length; j++) record(c, losses[j], reads[j], writeErr);
    losses.length = 0;
    reads.length = 0;
  };
  for (;;) {
    const first = Atomics.add(ctl, Ctl.CLAIM, CLAIM_CHUNK);
    if (first >= total || ctl[Ctl.ABORT] !== 0) break;
    const last = Math.min(total, first + CLAIM_CHUNK);
    for (let i = first; i < last; i++) {
      const s = order ? order[i % n] : c.rng.int(n);
      if (fused) {
        const loss = grad.step!(s, lr, writeTag(c, account));
        record(c, loss, account !== 0 && grad.readOverlap() ? 1 : 0, account !== 0 && grad.writeOverlap!() ? 1 : 0);
        continue;
      }
      losses.push(grad.grad(s, account !== 0, losses.length > 0));
      reads.push(account !== 0 && grad.readOverlap() ? 1 : 0);
      if (losses.length === batch) flush();
    }
  }
  // the pass's last, partial mini-batch (an aborted pass applies what it computed, as per-sample updates do)
  if (losses.length > 0) flush();
  catchUpRows(c);
}

/**
 * Sense-counting barrier: spin briefly (cheap when every worker has its own core), then sleep.
 * Returns false when the pass was aborted while waiting (the caller leaves the pass).
 */
function barrier(c: WorkerContext): boolean {
  const { ctl } = c;
  const k = ctl[Ctl.WORKERS];
  const gen = Atomics.load(ctl, Ctl.BAR_GEN);
  if (Atomics.add(ctl, Ctl.BAR_COUNT, 1) === k - 1) {
    Atomics.store(ctl, Ctl.BAR_COUNT, 0);
    Atomics.add(ctl, Ctl.BAR_GEN, 1);
    Atomics.notify(ctl, Ctl.BAR_GEN);
    return true;
  }
  for (let spin = 0; spin < 20000; spin++) {
    if (Atomics.load(ctl, Ctl.BAR_GEN) !== gen) return true;
  }
  while (Atomics.load(ctl, Ctl.BAR_GEN) === gen) {
    Atomics.wait(ctl, Ctl.BAR_GEN, gen, 100);
    if (Atomics.load(ctl, Ctl.ABORT) !== 0) return false;
  }
  return true;
}

/**
 * Synchronous baseline: in each round every worker computes one gradient on the same w, then after
 * a barrier worker j applies the SUM of all k gradients to its own slice of w (disjoint slices, so
 * no lock and no lost update), then a second barrier. Summed, not averaged: a round then moves w as
 * far as k serial steps would, so a pass (TOTAL gradients) uses the same learning rate as serial.
 */
export function runSyncPass(c: WorkerContext): void {
  const { ctl, grad, plan, k, index } = c;
  const workers = ctl[Ctl.WORKERS];
  const total = ctl[Ctl.TOTAL];
  const lr = c.ctlF32[Ctl.LR];
  const account = ctl[Ctl.ACCOUNT];
  const n = ctl[Ctl.NSAMPLES];
  const P = plan.model.params;
  // This worker's slice of w, aligned to 16 floats (a cache line).
  const per = Math.ceil(P / workers / 16) * 16;
  const lo = Math.min(P, index * per);
  const hi = Math.min(P, lo + per);
  const rounds = Math.ceil(total / workers);
  const w = plan.model.wOffset;
  const opt = plan.optimizer;
  const stepBase = Atomics.load(ctl, Ctl.STEP); // the main thread adds `rounds` after the pass
  for (let r = 0; r < rounds; r++) {
    const active = r * workers + index < total;
    let count = 0;
    if (active) {
      const i = r * workers + index;
      const loss = grad.grad(c.order ? c.order[i % n] : c.rng.int(n), account !== 0);
      count = grad.listCount();
      record(c, loss, account !== 0 && grad.readOverlap() ? 1 : 0, 0);
    }
    ctl[wstat(index, WStat.LIST_COUNT)] = count;
    if (!barrier(c)) return;
    if (opt.kind === 'sgd') {
      for (let b = 0; b < workers; b++) {
        const cnt = ctl[wstat(b, WStat.LIST_COUNT)];
        if (cnt > 0) k.sgd_apply_range(w, plan.slots[b].gOffset, plan.slots[b].listOffset, cnt, -lr, lo, hi);
      }
    } else {
      // Adam needs the summed gradient before its moment update: sum into worker 0's buffer over
      // this slice, then one dense Adam step on the slice.
      const g0 = plan.slots[0].gOffset;
      for (let b = 1; b < workers; b++) {
        const cnt = ctl[wstat(b, WStat.LIST_COUNT)];
        if (cnt > 0) k.add_range(g0, plan.slots[b].gOffset, plan.slots[b].listOffset, cnt, lo, hi);
      }
      const t = stepBase + r + 1;
      k.adam_dense_range(w, g0, opt.mOffset, opt.vOffset, adamRate(lr, opt.beta1, opt.beta2, t), opt.beta1, opt.beta2, opt.eps, lo, hi);
    }
    if (!barrier(c) || Atomics.load(ctl, Ctl.ABORT) !== 0) return;
  }
}
