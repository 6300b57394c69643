// `asyngrad experiment`: a tiny CRF experiment writes results.json, report.md and the figures (SVG
// and PNG), a second invocation skips the finished runs, and the Theorem 1 check produces its
// numbers and plot on a small synthetic problem.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../src/experiment/experiment.js';
import { renderFigure, theoremFigureSpec } from '../src/experiment/figures.js';
import type { ExperimentOptions } from '../src/experiment/plan.js';
import type { ExperimentResults, RunRecord } from '../src/experiment/results.js';
import { fingerprint, loadFinished, type ExperimentEvent } from '../src/experiment/runner.js';
import { LSTM_DEFAULTS, TASK_SPECS } from '../src/train/tasks.js';
import { runTheoremCheck } from '../src/experiment/theorem.js';
import { packageFile } from '../src/runtime/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'asyngrad-experiment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
function expectPng(path: string, minBytes: number) {
  const b = readFileSync(path);
  expect([...b.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(b.length).toBeGreaterThan(minBytes);
  // IHDR width and height (big-endian) are those of a real figure
  expect(b.readUInt32BE(16)).toBeGreaterThan(400);
  expect(b.readUInt32BE(20)).toBeGreaterThan(300);
}

/** A data folder like ../shared/data with a few hundred CoNLL-2000 sentences. */
function dataDir(): string {
  const d = join(dir, 'data');
  mkdirSync(join(d, 'conll2000'), { recursive: true });
  for (const [name, n] of [['train.txt', 300], ['test.txt', 80]] as const) {
    const text = readFileSync(packageFile('data', 'conll2000', name), 'utf8');
    writeFileSync(join(d, 'conll2000', name), text.split(/\n\s*\n/).slice(0, n).join('\n\n') + '\n');
  }
  return d;
}

describe('asyngrad experiment crf', () => {
  const out = join(dir, 'out');
  // cores: 1 marks the 2-thread runs oversubscribed whatever this machine has
  const options: ExperimentOptions = { model: 'crf', dataDir: dataDir(), tasks: ['chunking'], threads: [1, 2], passes: 2, out, sr: 3, seed: 1, crf: 'dense-crf', cores: 1 };
  const run = async () => {
    const events: ExperimentEvent[] = [];
    const r = await runExperiment(options, { onEvent: (e) => events.push(e) });
    return { ...r, events };
  };

  it('runs serial, AsynGrad(k), AsynGrad(k)+SR and sync(k), and writes results.json, report.md and the figures', async () => {
    const { results, files, events } = await run();
    expect(events.filter((e) => e.kind === 'start')).toHaveLength(6);
    expect(events.filter((e) => e.kind === 'end')).toHaveLength(6);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResults;
    expect(saved.runs.map((r) => r.spec.id)).toEqual([
      'crf-chunking-serial-k1', 'crf-chunking-async-k1', 'crf-chunking-async-k2', 'crf-chunking-async-sr3-k2', 'crf-chunking-sync-k1', 'crf-chunking-sync-k2',
    ]);
    for (const r of saved.runs) {
      expect(r.history).toHaveLength(2);
      expect(r.summary.score).toBeGreaterThan(50);
      expect(r.summary.secondsPerPass).toBeGreaterThan(0);
      expect(r.spec.oversubscribed).toBe(r.spec.threads > 1);
    }
    const async2 = saved.runs.find((r) => r.spec.id === 'crf-chunking-async-k2')!;
    expect(async2.history[0].gradientErrorRate).toHaveLength(2);
    expect(saved.runs.find((r) => r.spec.method === 'sync')!.summary.meanGradientErrorRate).toBe(0);
    expect(saved.speedups.map((s) => s.threads)).toEqual([1, 2]);
    expect(saved.speedups[1].async).toBeGreaterThan(0);
    expect(saved.speedups[1].oversubscribed).toBe(true);
    expect(results.runs).toHaveLength(6);
    expect(readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json'))).toHaveLength(6);

    const report = readFileSync(files.report, 'utf8');
    expect(report).toMatch(/## Table 1: score and seconds per pass/);
    expect(report).toMatch(/\| SGD \| \d+\.\d\d \| [\d.]+ \|/);
    expect(report).toMatch(/AsynGrad \(2 threads, oversubscribed\) \+ SR \(length 3\)/);
    expect(report).toMatch(/sync \(2 threads, oversubscribed\)/);
    expect(report).toMatch(/## Speed-up over serial SGD/);
    // the rates the runs really used, from their fingerprints
    // (the dense CRF's runs carry the rich-edge prior, so saved runs made before it are re-run)
    expect(report).toContain(`chunking rate ${TASK_SPECS.chunking.lr}, L2 ${TASK_SPECS.chunking.l2} (rich edges ${TASK_SPECS.chunking.edgeL2}), decay ×${TASK_SPECS.chunking.decay}`);
    expect(report).toMatch(/!\[.*\]\(figure-crf\.svg\)/);

    const svg = readFileSync(join(out, 'figure-crf.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['gradient-error rate (%)', 'test F1 (%)', 'speed-up over SGD (×)', 'threads', 'pass', 'oversubscribed', 'AsynGrad + SR (length 3)', 'thread 2']) {
      expect(svg, text).toContain(text.replace('&', '&amp;'));
    }
    expectPng(join(out, 'figure-crf.png'), 20_000);
    expect(JSON.parse(readFileSync(join(out, 'figure-crf.vl.json'), 'utf8')).concat).toHaveLength(4);
  });

  it('a second invocation skips the finished runs, and re-runs only a missing one', async () => {
    const before = statSync(join(out, 'runs', 'crf-chunking-serial-k1.json')).mtimeMs;
    const again = await run();
    expect(again.events.filter((e) => e.kind === 'skip')).toHaveLength(6);
    expect(again.events.some((e) => e.kind === 'start')).toBe(false);
    expect(statSync(join(out, 'runs', 'crf-chunking-serial-k1.json')).mtimeMs).toBe(before);
    expect(again.results.runs).toHaveLength(6);

    rmSync(join(out, 'runs', 'crf-chunking-sync-k2.json'));
    const resumed = await run();
    expect(resumed.events.filter((e) => e.kind === 'skip')).toHaveLength(5);
    expect(resumed.events.filter((e) => e.kind === 'start').map((e) => (e as { spec: { id: string } }).spec.id)).toEqual(['crf-chunking-sync-k2']);
    expect(existsSync(join(out, 'runs', 'crf-chunking-sync-k2.json'))).toBe(true);
  });

  it('a saved run made with other training defaults (rate, decay, L2) is stale, not reused', () => {
    const saved = JSON.parse(readFileSync(join(out, 'runs', 'crf-chunking-serial-k1.json'), 'utf8')) as RunRecord;
    const data = { task: 'chunking' as const, train: saved.data.train, test: saved.data.test, testSplit: 'test' as const, corpus: saved.data.corpus };
    const path = join(out, 'runs', 'crf-chunking-serial-k1.json');
    expect(loadFinished(path, fingerprint(saved.spec, data, options))).not.toBeNull();
    const spec = TASK_SPECS.chunking;
    for (const [key, value] of [['lr', spec.lr * 2], ['decay', 0.95], ['l2', spec.l2 + 1]] as const) {
      const old = spec[key];
      spec[key] = value;
      try {
        expect(loadFinished(path, fingerprint(saved.spec, data, options)), key).toBeNull();
      } finally {
        spec[key] = old;
      }
    }
  });

  it('a Bi-LSTM run\'s fingerprint names its embedding updates (a changed default makes saved runs stale); a CRF run\'s has none', () => {
    const saved = JSON.parse(readFileSync(join(out, 'runs', 'crf-chunking-serial-k1.json'), 'utf8')) as RunRecord;
    const data = { task: 'chunking' as const, train: saved.data.train, test: saved.data.test, testSplit: 'test' as const, corpus: saved.data.corpus };
    expect('embeddings' in fingerprint(saved.spec, data, options)).toBe(false);
    const lstmSpec = { ...saved.spec, model: 'lstm' as const, id: 'lstm-chunking-serial-k1' };
    const fp = fingerprint(lstmSpec, data, options);
    expect(fp.embeddings).toBe(LSTM_DEFAULTS.embeddings);
    const mutable = LSTM_DEFAULTS as { embeddings: string };
    const old = mutable.embeddings;
    mutable.embeddings = 'sparse';
    try {
      expect(JSON.stringify(fingerprint(lstmSpec, data, options))).not.toBe(JSON.stringify(fp));
    } finally {
      mutable.embeddings = old;
    }
  });

  it('experiment lstm --lstm lstm-crf runs the Bi-LSTM-CRF: its runs\' fingerprints say so, softmax runs\' do not', async () => {
    const lout = join(dir, 'out-lstm-crf');
    const o: ExperimentOptions = { model: 'lstm', dataDir: options.dataDir, tasks: ['chunking'], threads: [2], passes: 1, out: lout, sr: 0, seed: 1, crf: 'dense-crf', hidden: 8, limit: 40, lstmOutput: 'crf', cores: 2 };
    const { results, files } = await runExperiment(o);
    expect(results.runs.length).toBeGreaterThan(0);
    for (const r of results.runs) expect(r.fingerprint).toMatchObject({ output: 'crf' });
    expect(readFileSync(files.report, 'utf8')).toMatch(/^# AsynGrad experiment: Bi-LSTM-CRF/);
    const data = { task: 'chunking' as const, train: results.runs[0].data.train, test: results.runs[0].data.test, testSplit: 'test' as const, corpus: results.runs[0].data.corpus };
    expect('output' in fingerprint(results.runs[0].spec, data, { ...o, lstmOutput: undefined })).toBe(false);
    // the model trained is the CRF one: C x C transition weights more than the softmax run's
    const soft = await runExperiment({ ...o, out: join(dir, 'out-lstm'), lstmOutput: undefined });
    const C = results.runs[0].info.labels;
    expect(results.runs[0].info.params - soft.results.runs[0].info.params).toBe(C * C);
    const cli = spawnSync(process.execPath, [packageFile('dist', 'cli.js'), 'experiment', 'lstm', '--data', options.dataDir, '--lstm', 'gru', '--out', join(dir, 'y')], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/--lstm must be lstm or lstm-crf/);
  });

  it('the CLI refuses a task without data and an unknown model with exit code 2', () => {
    const cli = packageFile('dist', 'cli.js');
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const a = spawnSync(process.execPath, [cli, 'experiment', 'crf', '--data', empty, '--out', join(dir, 'x')], { encoding: 'utf8' });
    expect(a.status, a.stderr).toBe(2);
    expect(a.stderr).toMatch(/no task has data there/);
    const b = spawnSync(process.execPath, [cli, 'experiment', 'crf', '--data', options.dataDir, '--tasks', 'seg', '--out', join(dir, 'x')], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(2);
    expect(b.stderr).toMatch(/--tasks seg: no data .*weibo/);
    // a usage error leaves no output folder behind
    expect(existsSync(join(dir, 'x'))).toBe(false);
    const c = spawnSync(process.execPath, [cli, 'experiment', 'svm'], { encoding: 'utf8' });
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/crf, lstm or theorem/);
  });
});

describe('Theorem 1 check', () => {
  it('estimates c, q, κ and τ, computes γ and t, and the measured gap stays under the bound', async () => {
    const r = await runTheoremCheck({ N: 200, D: 8, C: 3, l2: 0.1, threads: [1, 2], seeds: 2, maxUpdates: 60_000, checkpoints: 12, replays: 4 });
    const { c, q, kappa, epsilon } = r.constants;
    expect(r.optimum.gradNorm).toBeLessThan(1e-10);
    expect(r.optimum.f).toBeLessThan(r.optimum.f0);
    expect(c.used).toBeGreaterThan(0);
    expect(c.used).toBeLessThanOrEqual(c.regulariser);
    expect(q.bound).toBeGreaterThanOrEqual(q.hessianMaxAtStart! * (1 - 1e-9));
    expect(q.bound).toBeGreaterThan(c.used);
    expect(kappa.used).toBeGreaterThan(0);
    expect(r.configs.map((k) => k.name)).toEqual(['serial SGD', 'AsynGrad (1 worker)', 'AsynGrad (2 workers)']);
    for (const k of r.configs) {
      expect(k.gamma).toBeGreaterThan(0);
      expect(k.gamma * c.used).toBeLessThan(1);
      // γ and t are the theorem's formulas (9) and (10) with the τ used
      expect(k.gamma).toBeCloseTo((c.used * epsilon - 2 * k.tau * q.bound) / (r.constants.beta * q.bound * kappa.used ** 2), 12);
      const t = (r.constants.beta * q.bound * kappa.used ** 2 * Math.log((q.bound * r.optimum.a0) / epsilon)) / (c.used * (c.used * epsilon - 2 * k.tau * q.bound));
      expect(k.updatesTheorem).toBe(Math.ceil(t));
      expect(k.tau).toBeLessThanOrEqual(k.tauLimit);
      expect(k.curve.length).toBe(13);
      expect(k.curve[0].updates).toBe(0);
      expect(k.curve[k.curve.length - 1].gap).toBeLessThan(k.curve[0].gap);
      for (const p of k.curve) expect(p.gap).toBeLessThanOrEqual(p.bound);
    }
    expect(r.configs[0].tau).toBe(0);
    expect(r.configs[2].alpha).toBeGreaterThan(0);
    expect(r.failures.join('\n')).toMatch(/Strong convexity \(4\) fails/);
    expect(r.failures.join('\n')).toMatch(/κ/);

    const base = join(dir, 'theorem');
    const f = await renderFigure(theoremFigureSpec(r), base);
    const svg = readFileSync(f.svg, 'utf8');
    for (const text of ['updates t', 'f(w_t) − f(w*)', 'Theorem 1 bound', 'target ε', 'AsynGrad (2 workers)']) expect(svg, text).toContain(text);
    expectPng(f.png, 20_000);
  });
});
