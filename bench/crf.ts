// `npm run bench -- crf [--data DIR] [--passes N] [--reps R] [--no-crfsuite | --crfsuite-only]`: one run timing, on CoNLL-2000
// with the classic CRF++ template (templates/chunking-crfpp.txt; standard CRF), asyngrad serial, async at 1 and 2 threads, sync at 2
// threads, and CRFsuite 0.12 (L-BFGS, which its npm binding selects) on the same features. One JSON line each:
//   {"system","algorithm","threads","seconds_per_pass","passes","seconds","f1", ...}
// where `seconds` is the whole training time to the reported F1 (feature extraction excluded for
// every system; it is reported separately).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureDictionary } from '../src/features/dictionary.js';
import { builtinTemplatePath, expandToken, readTemplateFile, type BuiltinTemplate } from '../src/features/template.js';
import { scoreTask } from '../src/train/score.js';
import { taskKind, taskSpec, type TaskName } from '../src/train/tasks.js';
import { packageFile } from '../src/runtime/package-root.js';
import { trainCrf } from '../src/train/train-crf.js';
import type { Mode } from '../src/engine/engine.js';
import { flag } from './args.js';
import { crossCoreRoundTripNs } from './cross-core.js';
import { emit, median, round } from './timing.js';

const TARGET = 93.5;
/** the timing runs use the classic CoNLL-2000 template, as CRFsuite's and Wapiti's published timings do */
const BENCH_TEMPLATE: BuiltinTemplate = 'chunking-crfpp';

export async function benchCrf(args: string[]): Promise<void> {
  const dataDir = flag(args, '--data') ?? packageFile('data', 'conll2000');
  const passes = Number(flag(args, '--passes') ?? 15);
  const train = join(dataDir, 'train.txt'), test = join(dataDir, 'test.txt');
  for (const p of [train, test]) if (!existsSync(p)) throw new Error(`--data ${dataDir}: ${p} not found (expects CoNLL-2000 train.txt and test.txt)`);
  // async runs with gradient-error accounting on (the CLI default) and off (what accounting costs)
  const runs: [Mode, number, boolean][] = args.includes('--crfsuite-only')
    ? []
    : [['serial', 1, false], ['async', 1, true], ['async', 2, true], ['sync', 2, true], ['async', 1, false], ['async', 2, false]];
  // Repeated, interleaved (every configuration once per round): this shared machine has slow
  // periods lasting minutes, and interleaving spreads them over the configurations compared.
  const reps = Number(flag(args, '--reps') ?? 3);
  const perPass = new Map<string, number[]>();
  for (let rep = 0; rep < reps; rep++) for (const [mode, threads, account] of runs) {
    let reached: number | null = null;
    // the cross-core round trip just before a 2-thread run (bench/cross-core.ts: the kind of minute it ran in)
    const rtt = threads > 1 ? round(await crossCoreRoundTripNs(), 0) : undefined;
    const r = await trainCrf({
      task: 'chunking', model: 'crf', train, test, template: builtinTemplatePath(BENCH_TEMPLATE), mode, threads, passes, seed: 1, account,
      onPass: (p) => { if (reached === null && (p.test?.f1 ?? 0) >= TARGET) reached = p.elapsed; },
    });
    const last = r.history.at(-1)!;
    const spp = median(r.history.map((h) => h.seconds));
    const key = `${mode}${threads}${account}`;
    perPass.set(key, [...(perPass.get(key) ?? []), spp]);
    emit({
      rep,
      system: 'asyngrad',
      algorithm: mode === 'serial' ? 'sgd' : mode === 'async' ? 'asyngrad' : 'sync-sgd',
      threads,
      accounting: account,
      seconds_per_pass: round(spp, 4),
      passes: r.history.length,
      seconds: round(last.elapsed, 3),
      f1: round(last.test!.f1!, 2),
      seconds_to_93_5: reached === null ? null : round(reached, 3),
      gradient_error_rate: last.gradientErrorRate.map((x) => round(x, 4)),
      feature_seconds: round(r.info.extractSeconds, 2),
      cross_core_rtt_ns_before: rtt,
    });
  }
  if (runs.length) {
    const med = (key: string) => median(perPass.get(key)!);
    const ratio = (acc: boolean) => round(med(`async1${acc}`) / med(`async2${acc}`), 3);
    const perRep = (acc: boolean) => perPass.get(`async1${acc}`)!.map((x, i) => round(x / perPass.get(`async2${acc}`)![i], 3));
    emit({
      summary: `median seconds per pass over ${reps} interleaved rounds, and the 2-thread speed-up over 1 thread`,
      seconds_per_pass: Object.fromEntries([...perPass].map(([k, v]) => [k, round(median(v), 4)])),
      speedup_accounting_on: ratio(true),
      speedup_accounting_off: ratio(false),
      speedup_per_round_accounting_on: perRep(true),
      speedup_per_round_accounting_off: perRep(false),
    });
  }
  if (!args.includes('--no-crfsuite')) await runCrfsuite(train, test, 'chunking', BENCH_TEMPLATE);
}

/** The CRFsuite module (npm `crfsuite`, built by node-gyp), installed on demand into a cache dir. */
function loadCrfsuite(): { Trainer: new (o?: object) => CrfsuiteTrainer; Tagger: new () => CrfsuiteTagger } {
  const dir = join(tmpdir(), 'asyngrad-bench-crfsuite');
  if (!existsSync(join(dir, 'node_modules', 'crfsuite'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', 'crfsuite@1.0.1'], { stdio: 'pipe' });
  }
  return createRequire(join(dir, 'package.json'))('crfsuite');
}

/**
 * CRFsuite L-BFGS (the binding selects it; c2 = 1, its default) on the same attribute strings as our
 * template produces. It runs in a child process because the binding prints its per-iteration log
 * on the native stdout, which we parse for the seconds per iteration.
 */
async function runCrfsuite(train: string, test: string, task: TaskName, templateName: BuiltinTemplate = taskKind(task)): Promise<Record<string, unknown> | null> {
  try {
    loadCrfsuite();
  } catch (e) {
    emit({ system: 'crfsuite', skipped: `crfsuite could not be installed or loaded: ${(e as Error).message.split('\n')[0]}` });
    return null;
  }
  const out = execFileSync(process.execPath, [packageFile('dist', 'bench.js'), '_crfsuite', task, train, test, templateName], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const iters = [...out.matchAll(/Seconds required for this iteration: ([\d.]+)/g)].map((m) => Number(m[1]));
  const result = JSON.parse(out.split('\n').filter((l) => l.startsWith('{"crfsuite_result"')).pop()!).crfsuite_result;
  const line = {
    system: 'crfsuite',
    algorithm: 'lbfgs',
    task,
    threads: 1,
    seconds_per_pass: round(median(iters), 4),
    passes: iters.length,
    seconds: round(result.seconds, 3),
    f1: result.score.f1 === undefined ? null : round(result.score.f1, 2),
    accuracy: round(result.score.accuracy, 2),
    features: result.features,
    feature_seconds: round(result.featureSeconds, 2),
  };
  emit(line);
  return line;
}

/** Child process: train and score CRFsuite, printing its log and a final JSON line. */
export async function crfsuiteChild(args: string[]): Promise<void> {
  const [taskName, train, test, templateName] = args;
  const spec = taskSpec(taskName);
  const crfsuite = loadCrfsuite();
  const t0 = performance.now();
  const template = readTemplateFile(builtinTemplatePath((templateName as BuiltinTemplate | undefined) ?? spec.kind));
  const testRaw = spec.read(test);
  const trainS = spec.derive(spec.read(train)), testS = spec.derive(testRaw);
  const dict = FeatureDictionary.build(trainS, template);
  const attrs = (s: (typeof trainS)[number]) => s.tokens.map((_, i) => expandToken(template, s.tokens, i).filter((f) => dict.id(f) >= 0));
  const trainX = trainS.map(attrs), testX = testS.map(attrs);
  const featureSeconds = (performance.now() - t0) / 1000;
  const trainer = new crfsuite.Trainer({ debug: true });
  for (let i = 0; i < trainS.length; i++) trainer.append(trainX[i], trainS[i].tags);
  const modelDir = mkdtempSync(join(tmpdir(), 'asyngrad-crfsuite-'));
  const model = join(modelDir, 'lbfgs.model');
  const t1 = performance.now();
  trainer.train(model);
  const seconds = (performance.now() - t1) / 1000;
  const tagger = new crfsuite.Tagger();
  tagger.open(model);
  // the binding returns the label array itself (its .d.ts says { result })
  const pred = testX.map((x) => { const r = tagger.tag(x) as unknown; return Array.isArray(r) ? (r as string[]) : (r as { result: string[] }).result; });
  const score = scoreTask(spec.name, testRaw, pred);
  rmSync(modelDir, { recursive: true, force: true });
  console.log(JSON.stringify({ crfsuite_result: { seconds, score, featureSeconds, features: dict.size } }));
}

interface CrfsuiteTrainer {
  append(x: string[][], y: string[]): void;
  train(path: string): number;
}
interface CrfsuiteTagger {
  open(path: string): boolean;
  tag(x: string[][]): string[] | { result: string[] };
}

/**
 * `npm run bench -- peers --task pos|seg|chunking|np-chunking --train F --test F [--model dense-crf] [--threads K]`:
 * our CRF (AsynGrad, default passes and rates) beside CRFsuite L-BFGS on the same features.
 */
export async function benchPeers(args: string[]): Promise<void> {
  const task = taskSpec(flag(args, '--task') ?? 'pos').name;
  const train = flag(args, '--train'), test = flag(args, '--test');
  if (!train || !test) throw new Error('peers: give --train and --test (e.g. UD-EWT train.txt and test.txt, or Weibo train.txt and dev.txt)');
  const model = (flag(args, '--model') ?? 'dense-crf') as 'crf' | 'dense-crf';
  const threads = Number(flag(args, '--threads') ?? 2);
  const passes = flag(args, '--passes') ? Number(flag(args, '--passes')) : undefined;
  const r = await trainCrf({ task, model, train, test, mode: 'async', threads, passes, seed: 1, evalEvery: 5 });
  const last = r.history.at(-1)!;
  emit({
    system: 'asyngrad', algorithm: 'asyngrad', model, task, threads,
    seconds_per_pass: round(median(r.history.map((h) => h.seconds)), 4),
    passes: r.history.length,
    seconds: round(last.elapsed, 3),
    f1: last.test!.f1 === undefined ? null : round(last.test!.f1, 2),
    accuracy: round(last.test!.accuracy, 2),
    features: r.info.features, edge_features: r.info.edgeFeatures,
    feature_seconds: round(r.info.extractSeconds, 2),
  });
  if (!args.includes('--no-crfsuite')) await runCrfsuite(train, test, task);
}
