// `asyngrad demo`: the three engines on a synthetic strongly convex problem, side by side.
import { Engine, type Mode } from '../engine/engine.js';
import { LogRegModel, syntheticLogReg } from '../models/logreg/model.js';

export async function runDemo(opts: { threads: number; passes: number; seed: number; json: boolean }): Promise<void> {
  const data = syntheticLogReg(2000, 256, 16, opts.seed, 1.5, 16);
  const runs: [Mode, number][] = [['serial', 1], ['async', opts.threads], ['sync', opts.threads]];
  for (const [mode, threads] of runs) {
    const model = new LogRegModel(data, 1e-3);
    const engine = await Engine.create(model, { mode, threads, seed: opts.seed });
    let seconds = 0;
    try {
      for (let p = 0; p < opts.passes; p++) {
        const s = await engine.runPass(0.05 * Math.pow(0.9, p));
        seconds += s.seconds;
        const f = model.objective(engine.weights());
        if (opts.json) console.log(JSON.stringify({ mode, threads, pass: p + 1, objective: f, seconds: s.seconds, gradient_error_rate: s.workers.map((w) => w.errorRate) }));
        else console.log(`${mode.padEnd(6)} k=${threads} pass ${p + 1}: objective ${f.toFixed(5)}  ${(s.seconds * 1000).toFixed(0)} ms  gradient errors ${s.workers.map((w) => (100 * w.errorRate).toFixed(1) + '%').join(' ')}`);
      }
      const acc = model.accuracy(engine.weights());
      if (!opts.json) console.log(`${mode.padEnd(6)} k=${threads}: ${seconds.toFixed(2)} s, training accuracy ${(100 * acc).toFixed(2)}%\n`);
    } finally {
      await engine.close();
    }
  }
}
