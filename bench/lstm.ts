// `npm run bench -- lstm [--data DIR] [--passes N] [--limit N] [--no-pytorch]`: seconds per pass of the
// Bi-LSTM tagger on CoNLL-2000 (H = 280, word 200 + POS 80 embeddings, per-sentence Adam) for asyngrad
// serial and async at 1 and 2 workers, and the same architecture in PyTorch (Debian python3-torch
// 1.13 on OpenBLAS, OPENBLAS_NUM_THREADS=1): one thread, two intra-op threads, and PyTorch's own
// Hogwild with two processes. One JSON line each with seconds per pass and F1 after the same passes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '../src/engine/engine.js';
import { packageFile } from '../src/runtime/package-root.js';
import { trainLstm } from '../src/train/train-lstm.js';
import { emit, median, round } from './timing.js';

export async function benchLstm(args: string[]): Promise<void> {
  const dataDir = flag(args, '--data') ?? packageFile('data', 'conll2000');
  const passes = Number(flag(args, '--passes') ?? 1);
  const limit = flag(args, '--limit') ? Number(flag(args, '--limit')) : undefined;
  const train = join(dataDir, 'train.txt'), test = join(dataDir, 'test.txt');
  for (const p of [train, test]) if (!existsSync(p)) throw new Error(`--data ${dataDir}: ${p} not found`);
  if (!args.includes('--pytorch-only')) {
    for (const [mode, threads] of [['serial', 1], ['async', 1], ['async', 2]] as [Mode, number][]) {
      const r = await trainLstm({ task: 'chunking', train, test, mode, threads, passes, seed: 1, limit, evalEvery: passes });
      const last = r.history.at(-1)!;
      emit({
        system: 'asyngrad', mode, threads, passes,
        seconds_per_pass: round(median(r.history.map((h) => h.seconds)), 2),
        f1: round(last.test!.f1!, 2),
        gradient_error_rate: last.gradientErrorRate.map((x) => round(x, 4)),
        sentences: r.info.sentences,
      });
    }
  }
  if (args.includes('--no-pytorch')) return;
  try {
    execFileSync('sh', [packageFile('bench', 'pytorch-setup.sh')], { stdio: 'pipe' });
  } catch (e) {
    emit({ system: 'pytorch', skipped: `PyTorch could not be set up: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim().split('\n').pop()}` });
    return;
  }
  for (const mode of ['threads1', 'threads2', 'hogwild2']) {
    const a = [packageFile('bench', 'pytorch_lstm.py'), '--train', train, '--test', test, '--passes', String(passes), '--mode', mode, '--seed', '1'];
    if (limit) a.push('--limit', String(limit));
    const out = execFileSync('/usr/bin/python3', a, { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 26 });
    const summary = JSON.parse(out.trim().split('\n').filter((l) => l.includes('"summary"')).pop()!);
    emit({ ...summary, summary: undefined, system: 'pytorch', mode });
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
