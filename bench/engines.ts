// `npm run bench -- engines`: updates/s of the three engines on the dense logistic model, sized so
// that one gradient costs well over 50 µs; one JSON line per (mode, workers), plus the cost of
// gradient-error accounting (async, 2 workers, on vs off). A sample is a "sentence" of T tokens
// sharing W (as in the taggers), so each gradient reads W once and uses it T times.
import { Engine, type Mode } from '../src/engine/engine.js';
import { LogRegModel, syntheticLogReg } from '../src/models/logreg/model.js';
import { flag } from './args.js';
import { emit, median, round } from './timing.js';

export async function benchEngines(args: string[]): Promise<void> {
  const passes = Number(flag(args, '--passes') ?? 5);
  const C = 32, D = 512, T = 32, N = 2000;
  const data = syntheticLogReg(N, D, C, 1, 1, T);
  const configs: [Mode, number, boolean | undefined][] = [
    ['serial', 1, undefined],
    ['async', 1, undefined],
    ['async', 2, undefined],
    ['async', 2, false],
    ['sync', 2, undefined],
  ];
  const ups: Record<string, number> = {};
  for (const [mode, workers, account] of configs) {
    const engine = await Engine.create(new LogRegModel(data, 1e-4), { mode, threads: workers, seed: 1, account });
    await engine.runPass(0.01); // warm-up: V8 tiers the wasm up lazily
    const rates: number[] = [], errs: number[] = [];
    for (let p = 0; p < passes; p++) {
      const s = await engine.runPass(0.01);
      rates.push(s.samples / s.seconds);
      errs.push(s.gradientErrorRate);
    }
    await engine.close();
    const rate = median(rates);
    ups[`${mode}${workers}${account === false ? '-noacct' : ''}`] = rate;
    emit({
      mode,
      workers,
      accounting: account ?? mode !== 'serial',
      updates_per_s: round(rate, 0),
      us_per_gradient: round((1e6 * workers) / rate, 1),
      gradient_error_rate: round(median(errs), 4),
      model: `logreg C=${C} D=${D} T=${T} N=${N}`,
    });
  }
  emit({
    summary: true,
    async2_over_async1: round(ups.async2 / ups.async1, 2),
    sync2_over_async1: round(ups.sync2 / ups.async1, 2),
    accounting_cost: round(ups['async2-noacct'] / ups.async2 - 1, 3),
  });
}
