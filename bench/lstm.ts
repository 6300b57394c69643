// `npm run bench -- lstm [--data DIR] [--passes N] [--limit N] [--rounds R] [--no-pytorch] [--pairs-only]`: seconds per
// pass of the Bi-LSTM tagger on CoNLL-2000 (H = 280, word 200 + POS 80 embeddings, per-sentence Adam)
// for asyngrad serial and async at 1 and 2 workers, and the same architecture in PyTorch (Debian
// python3-torch 1.13 on OpenBLAS, OPENBLAS_NUM_THREADS=1): one thread, two intra-op threads, and
// PyTorch's own Hogwild with two processes. One JSON line each with seconds per pass and F1 after the
// same passes.
//
// The comparison the target is about, asyngrad async(2) against PyTorch Hogwild(2), runs in R paired
// rounds (default 3): the two back to back, in alternating order (ABBA), so that both see the same
// minutes of this shared machine, whose speed at 2 threads swings by up to 2x over minutes. The
// summary line gives each round's ratio and their median, and the cross-core round trip measured
// before, between and after the round's two runs (bench/cross-core.ts): ~100-150 ns when the two
// vCPUs sit on nearby cores, ~550 ns in the minutes when they do not, which halve our 2-worker speed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '../src/engine/engine.js';
import { packageFile } from '../src/runtime/package-root.js';
import { trainLstm } from '../src/train/train-lstm.js';
import { flag } from './args.js';
import { crossCoreRoundTripNs } from './cross-core.js';
import { emit, median, round } from './timing.js';

type PyMode = 'threads1' | 'threads2' | 'hogwild2';

export async function benchLstm(args: string[]): Promise<void> {
  const dataDir = flag(args, '--data') ?? packageFile('data', 'conll2000');
  const passes = Number(flag(args, '--passes') ?? 1);
  const limit = flag(args, '--limit') ? Number(flag(args, '--limit')) : undefined;
  const rounds = Number(flag(args, '--rounds') ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer (got ${flag(args, '--rounds')})`);
  const train = join(dataDir, 'train.txt'), test = join(dataDir, 'test.txt');
  for (const p of [train, test]) if (!existsSync(p)) throw new Error(`--data ${dataDir}: ${p} not found`);
  const ours = !args.includes('--pytorch-only');
  let pytorch = !args.includes('--no-pytorch');
  if (pytorch) {
    try {
      execFileSync('sh', [packageFile('bench', 'pytorch-setup.sh')], { stdio: 'pipe' });
    } catch (e) {
      emit({ system: 'pytorch', skipped: `PyTorch could not be set up: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim().split('\n').pop()}` });
      pytorch = false;
    }
  }

  const runOurs = async (mode: Mode, threads: number, extra: Record<string, unknown> = {}): Promise<number> => {
    const r = await trainLstm({ task: 'chunking', train, test, mode, threads, passes, seed: 1, limit, evalEvery: passes });
    const last = r.history.at(-1)!;
    const spp = median(r.history.map((h) => h.seconds));
    emit({
      ...extra, system: 'asyngrad', mode, threads, passes,
      seconds_per_pass: round(spp, 2),
      f1: round(last.test!.f1!, 2),
      gradient_error_rate: last.gradientErrorRate.map((x) => round(x, 4)),
      sentences: r.info.sentences,
    });
    return spp;
  };
  const runPytorch = (mode: PyMode, extra: Record<string, unknown> = {}): number => {
    const a = [packageFile('bench', 'pytorch_lstm.py'), '--train', train, '--test', test, '--passes', String(passes), '--mode', mode, '--seed', '1'];
    if (limit) a.push('--limit', String(limit));
    const out = execFileSync('/usr/bin/python3', a, { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 26 });
    const summary = JSON.parse(out.trim().split('\n').filter((l) => l.includes('"summary"')).pop()!);
    emit({ ...extra, ...summary, summary: undefined, system: 'pytorch', mode });
    return summary.seconds_per_pass as number;
  };

  // the single-thread and intra-op references, once each (--pairs-only: just the target's pair)
  const refs = !args.includes('--pairs-only');
  if (ours && refs) for (const [mode, threads] of [['serial', 1], ['async', 1]] as [Mode, number][]) await runOurs(mode, threads);
  if (pytorch && refs) for (const mode of ['threads1', 'threads2'] as PyMode[]) runPytorch(mode);

  // the target's pair, in paired rounds
  // (the cross-core round trip, bench/cross-core.ts, is taken before, between and after the two runs)
  const ratios: number[] = [], asyn: number[] = [], hog: number[] = [], rtt: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    let a = NaN, h = NaN;
    const oursFirst = r % 2 === 0;
    const ns: number[] = [];
    const probe = async () => { ns.push(round(await crossCoreRoundTripNs(), 0)); return { round: r, cross_core_rtt_ns_before: ns.at(-1) }; };
    if (ours && oursFirst) a = await runOurs('async', 2, await probe());
    if (pytorch) h = runPytorch('hogwild2', await probe());
    if (ours && !oursFirst) a = await runOurs('async', 2, await probe());
    await probe();
    rtt.push(ns);
    if (ours) asyn.push(a);
    if (pytorch) hog.push(h);
    if (ours && pytorch) ratios.push(a / h);
  }
  // the pair's summary needs both sides (--no-pytorch or --pytorch-only leave one out)
  if (ours && pytorch) emit({
    summary: `async(2) against PyTorch Hogwild(2), ${rounds} paired rounds (back to back, alternating order): seconds per pass and ratio per round`,
    asyngrad_async2_seconds_per_pass: asyn.map((x) => round(x, 2)),
    pytorch_hogwild2_seconds_per_pass: hog.map((x) => round(x, 2)),
    ratio_per_round: ratios.map((x) => round(x, 3)),
    ratio_median: ratios.length ? round(median(ratios), 3) : null,
    cross_core_rtt_ns_per_round: rtt,
    target: 'ratio <= 0.5',
  });
}
