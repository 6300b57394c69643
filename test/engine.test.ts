// The three engines on the strongly convex logistic model, worker failures, and shared memory.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, type EngineOptions, type Mode } from '../src/engine/engine.js';
import { LogRegModel, syntheticLogReg } from '../src/models/logreg/model.js';
import { ArenaLayout } from '../src/runtime/arena.js';
import { kernelsPath } from '../src/runtime/wasm.js';

const data = syntheticLogReg(600, 24, 4, 7, 1.5);
const L2 = 0.01;

async function train(mode: Mode, threads: number, passes = 30, extra: Partial<EngineOptions> = {}) {
  const model = new LogRegModel(data, L2);
  const engine = await Engine.create(model, { mode, threads, seed: 3, ...extra });
  try {
    const stats = [];
    for (let p = 0; p < passes; p++) stats.push(await engine.runPass(0.5 * Math.pow(0.9, p)));
    const w = engine.weights().slice();
    return { w, f: model.objective(w), stats };
  } finally {
    await engine.close();
  }
}

describe('engines on L2 logistic regression', () => {
  const runs: Record<string, Awaited<ReturnType<typeof train>>> = {};
  it('serial, async(1, 2) and sync(2) reach the same optimum', async () => {
    for (const [mode, k] of [['serial', 1], ['async', 1], ['async', 2], ['sync', 2]] as const) {
      runs[`${mode}${k}`] = await train(mode, k);
    }
    // Reference optimum: a long serial run with a small final rate.
    const best = await train('serial', 1, 80);
    const fstar = best.f;
    for (const [name, r] of Object.entries(runs)) {
      // f(w) - f* within 1% of f* (stated tolerance): all engines converge to the same optimum.
      expect(r.f - fstar, name).toBeLessThan(0.01 * fstar);
      expect(r.f - fstar, name).toBeGreaterThan(-1e-3 * fstar);
      expect(r.stats.every((s) => s.samples === data.N), name).toBe(true);
    }
    // and the weights themselves are close (strong convexity)
    const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
    const norm = Math.sqrt(best.w.reduce((s, x) => s + x * x, 0));
    for (const [name, r] of Object.entries(runs)) expect(dist(r.w, best.w) / norm, name).toBeLessThan(0.1);
  });

  it('serial is bit-identical across two runs', async () => {
    const a = await train('serial', 1, 5);
    const b = await train('serial', 1, 5);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(b.w.buffer))).toBe(true);
    expect(a.stats.map((s) => s.loss)).toEqual(b.stats.map((s) => s.loss));
  });

  it('shuffle sampling: async(1) is serial bit for bit; uniform draws are not', async () => {
    const serial = await train('serial', 1, 3);
    const shuffled = await train('async', 1, 3, { account: false });
    const uniform = await train('async', 1, 3, { account: false, sampling: 'uniform' });
    expect(Buffer.from(shuffled.w.buffer).equals(Buffer.from(serial.w.buffer))).toBe(true);
    expect(Buffer.from(uniform.w.buffer).equals(Buffer.from(serial.w.buffer))).toBe(false);
  });

  it('shuffle sampling: two workers together visit every sample once a pass', async () => {
    // From trained weights (so that the samples' losses differ) at a negligible rate, w stays put and
    // a pass's loss sum is the sum over the samples it drew.
    const trained = (await train('serial', 1, 2)).w;
    const passLoss = async (mode: Mode, k: number, sampling: 'shuffle' | 'uniform') => {
      const engine = await Engine.create(new LogRegModel(data, L2), { mode, threads: k, seed: 5, sampling });
      try {
        engine.weights().set(trained);
        return (await engine.runPass(1e-12)).loss;
      } finally {
        await engine.close();
      }
    };
    const all = await passLoss('serial', 1, 'shuffle');
    expect(Math.abs((await passLoss('async', 2, 'shuffle')) - all) / all).toBeLessThan(1e-6);
    expect(Math.abs((await passLoss('async', 2, 'uniform')) - all) / all).toBeGreaterThan(1e-3);
    expect(Math.abs((await passLoss('sync', 2, 'shuffle')) - all) / all).toBeLessThan(1e-6);
    await expect(Engine.create(new LogRegModel(data, L2), { mode: 'async', threads: 1, seed: 1, sampling: 'random' as 'uniform' })).rejects.toThrow(/--sampling/);
  });

  it('counts gradient errors in async mode and none in serial or sync', async () => {
    const s = runs['serial1'].stats;
    expect(s.every((p) => p.gradientErrorRate === 0)).toBe(true);
    const sync = runs['sync2'].stats;
    expect(sync.every((p) => p.gradientErrorRate === 0)).toBe(true);
    const a1 = runs['async1'].stats;
    expect(a1.every((p) => p.gradientErrorRate === 0)).toBe(true); // one worker cannot overlap itself
    const a2 = runs['async2'].stats;
    for (const p of a2) {
      expect(p.workers).toHaveLength(2);
      expect(p.workers[0].samples + p.workers[1].samples).toBe(data.N);
      for (const w of p.workers) expect(w.errors).toBeLessThanOrEqual(w.samples);
    }
  });

  it('adam works in all modes', async () => {
    for (const [mode, k] of [['serial', 1], ['async', 2], ['sync', 2]] as const) {
      const model = new LogRegModel(data, L2);
      const engine = await Engine.create(model, { mode, threads: k, seed: 1, optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 } });
      const f0 = model.objective(engine.weights());
      for (let p = 0; p < 5; p++) await engine.runPass(0.01);
      const f1 = model.objective(engine.weights());
      await engine.close();
      expect(f1, mode).toBeLessThan(0.8 * f0);
    }
  });
});

describe('worker failures end the run with an error naming the worker', () => {
  const many = syntheticLogReg(20000, 24, 4, 3);
  it('a worker that throws mid-pass (async)', async () => {
    // 20,000 samples: worker 1 gets well past 5 of them whatever the scheduling
    const engine = await Engine.create(new LogRegModel(many, L2), { mode: 'async', threads: 2, seed: 1, pool: { failAfter: { worker: 1, samples: 5 } } });
    const t0 = Date.now();
    await expect(engine.runPass(0.1)).rejects.toThrow(/worker 1 failed: injected failure/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await engine.close();
  });
  it('a worker that throws while the others wait at the sync barrier', async () => {
    const engine = await Engine.create(new LogRegModel(data, L2), { mode: 'sync', threads: 2, seed: 1, pool: { failAfter: { worker: 0, samples: 10 } } });
    await expect(engine.runPass(0.1)).rejects.toThrow(/worker 0 failed/);
    await engine.close();
  });
  it('a worker killed mid-pass', async () => {
    const big = syntheticLogReg(20000, 64, 4, 1);
    const engine = await Engine.create(new LogRegModel(big, L2), { mode: 'async', threads: 2, seed: 1 });
    const pass = engine.runPass(0.1);
    setTimeout(() => void engine.killWorker(0), 5);
    await expect(pass).rejects.toThrow(/worker 0 exited unexpectedly/);
    await engine.close();
  });
  it('bad options are refused with the option named', async () => {
    await expect(Engine.create(new LogRegModel(data, L2), { mode: 'async', threads: 0, seed: 1 })).rejects.toThrow(/--threads/);
    await expect(Engine.create(new LogRegModel(data, L2), { mode: 'fast' as Mode, threads: 1, seed: 1 })).rejects.toThrow(/--mode/);
  });
});

describe('shared memory', () => {
  it('the built .wasm imports a shared memory', () => {
    const bytes = readFileSync(kernelsPath());
    const mod = new WebAssembly.Module(bytes);
    const imports = WebAssembly.Module.imports(mod);
    expect(imports.some((i) => i.kind === 'memory' && i.module === 'env' && i.name === 'memory')).toBe(true);
    expect(WebAssembly.Module.exports(mod).some((e) => e.kind === 'memory')).toBe(false);
    // the memory import's limits flag: 0x03 = has maximum + shared
    expect(memoryImportFlags(bytes)).toBe(0x03);
  });
  it('two workers see each other\'s plain writes', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const src = `
      const { workerData } = require('node:worker_threads');
      const a = new Int32Array(workerData.memory.buffer);
      const f = new Float32Array(workerData.memory.buffer);
      if (workerData.role === 'writer') { f[10] = 3.25; Atomics.store(a, 0, 1); Atomics.notify(a, 0); }
      else { Atomics.wait(a, 0, 0, 5000); a[1] = f[10] === 3.25 ? 7 : -1; Atomics.store(a, 2, 1); }`;
    const reader = new Worker(src, { eval: true, workerData: { memory, role: 'reader' } });
    const writer = new Worker(src, { eval: true, workerData: { memory, role: 'writer' } });
    await Promise.all([reader, writer].map((w) => new Promise((r) => w.once('exit', r))));
    expect(new Int32Array(memory.buffer)[1]).toBe(7);
  });
  it('a layout past the wasm32 limit fails before allocating, naming the sizes', () => {
    const arena = new ArenaLayout(65536);
    arena.reserve('weights', 3 * 2 ** 30);
    arena.reserve('data', 2 * 2 ** 30);
    expect(() => arena.createMemory()).toThrow(/5\.00 GiB.*4 GiB.*weights 3\.00 GiB, data 2\.00 GiB/);
  });
});

/** Reads the flags byte of the first memory import in a wasm binary. */
function memoryImportFlags(b: Buffer): number {
  let p = 8;
  const leb = () => {
    let r = 0, s = 0, x;
    do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80);
    return r >>> 0;
  };
  while (p < b.length) {
    const id = b[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const ml = leb(); p += ml;
        const fl = leb(); p += fl;
        const kind = b[p++];
        if (kind === 2) return b[p];
        if (kind === 0) leb();
        else if (kind === 1) { p++; const f = leb(); leb(); if (f & 1) leb(); }
        else if (kind === 3) { p += 2; }
      }
    }
    p = end;
  }
  return -1;
}
afterAll(() => undefined);
