// `asyngrad experiment crf|lstm|theorem`: the paper's experiments (Tables 1 and 2, Figures 2 and 3)
// and the Theorem 1 check, resumable, with a progress display on stderr. See docs/experiment.md.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { packageFile } from '../runtime/package-root.js';
import { TASKS, TASK_SPECS, isTaskName, type TaskName } from '../train/tasks.js';
import { availableTasks } from '../experiment/data.js';
import { ExperimentUsageError, runExperiment, runTheoremOnly } from '../experiment/experiment.js';
import { ExperimentProgress } from '../experiment/progress.js';
import type { ExperimentModel } from '../experiment/plan.js';
import type { TheoremOptions } from '../experiment/theorem.js';
import { intOption, numberOption, UsageError } from './options.js';
import { interrupt } from './interrupt.js';
import { InterruptedError } from '../engine/engine.js';

/** Default SR mini-sample length of the AsynGrad + SR run (tokens). */
export const EXPERIMENT_SR = 3;
/** Default passes: the CRF tasks' (30, as in train) and a short Bi-LSTM run. */
const DEFAULT_PASSES: Record<ExperimentModel, number> = { crf: TASK_SPECS.chunking.passes, lstm: 5 };

function listOption(name: string, lo: number, hi: number) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const out = xs.map(Number);
    if (!xs.length || out.some((n, i) => !/^\d+$/.test(xs[i]) || n < lo || n > hi)) throw new InvalidArgumentError(`${name} must be a comma-separated list of integers from ${lo} to ${hi} (got "${v}")`);
    return out;
  };
}

function taskList(v: string): TaskName[] {
  const xs = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = xs.filter((x) => !isTaskName(x));
  if (!xs.length || bad.length) throw new UsageError(`--tasks must be a comma-separated list of ${TASKS.join(', ')} (got "${v}")`);
  return [...new Set(xs)] as TaskName[];
}

export function registerExperiment(program: Command): void {
  program
    .command('experiment')
    .description('reproduce the paper\'s experiments: serial, AsynGrad(k), AsynGrad(k)+SR (CRF) and sync(k) per task; writes results.json, report.md and figures (SVG, PNG); resumable')
    .argument('<model>', 'crf (Table 1, Figure 2), lstm (Table 2, Figure 3), or theorem (the Theorem 1 check alone)')
    .option('--data <dir>', 'folder with conll2000/, ud-ewt-pos/, weibo/ (default: the bundled data/, which has no weibo/)')
    .option('--tasks <list>', 'comma-separated: chunking,np-chunking,pos,seg (default: chunking, pos and seg where --data has their data)')
    .addOption(new Option('--threads <list>', 'comma-separated thread counts for AsynGrad and sync').argParser(listOption('--threads', 1, 64)).default([1, 2, 4], '1,2,4'))
    .option('--passes <n>', `passes per run (default: ${DEFAULT_PASSES.crf} crf, ${DEFAULT_PASSES.lstm} lstm)`, intOption('--passes', 1, 1e6))
    .option('--out <dir>', 'output folder; re-running with the same folder skips finished runs (default: experiment-<model>)')
    .option('--sr <len>', 'crf: SR mini-sample length of the AsynGrad + SR run, with the most threads (0: no SR run)', numberOption('--sr', 0, 1e6), EXPERIMENT_SR)
    .option('--limit <n>', 'train and test on the first n sentences of each set (quick runs)', intOption('--limit', 1, 1e9))
    .option('--seed <s>', 'random seed', intOption('--seed', 0, 2 ** 32 - 1), 1)
    .option('--crf <kind>', 'crf: dense-crf (the paper\'s rich edge features) or crf (standard linear-chain)', 'dense-crf')
    .option('--sampling <s>', 'shuffle (each pass visits every sentence once) | uniform (the paper\'s draws with replacement)', 'shuffle')
    .option('--hidden <n>', 'lstm: hidden size per direction (default: per task)', intOption('--hidden', 1, 4096))
    .option('--lstm <kind>', 'lstm: lstm (the paper\'s softmax per token) or lstm-crf (a CRF over the tag scores)', 'lstm')
    .option('--theorem', 'also run the Theorem 1 check on the L2 logistic model', false)
    .option('--epsilon <e>', 'theorem: target ε on E[f(w_t) − f(w*)] (default: 2% of f(w0) − f(w*))', numberOption('--epsilon', 1e-12, 1e6))
    .option('--beta <b>', 'theorem: β ≥ 1 in γ = (cε − 2τq)/(βqκ²)', numberOption('--beta', 1, 1e6), 1)
    .option('--theorem-seeds <n>', 'theorem: runs per configuration averaged for E[·]', intOption('--theorem-seeds', 1, 100), 3)
    .option('--theorem-max-updates <n>', 'theorem: cap on the updates of one run', intOption('--theorem-max-updates', 10, 1e9), 4_000_000)
    .option('--debug', 'print stack traces', false)
    .action(async (model: string, o) => {
      if (!['crf', 'lstm', 'theorem'].includes(model)) throw new UsageError(`experiment: the model must be crf, lstm or theorem (got "${model}")`);
      const cores = availableParallelism();
      const progress = new ExperimentProgress(process.stderr.isTTY === true);
      const out = resolve(o.out ?? `experiment-${model}`);
      const theorem: TheoremOptions = { epsilon: o.epsilon, beta: o.beta, seeds: o.theoremSeeds, maxUpdates: o.theoremMaxUpdates, threads: o.threads, cores };
      try {
        if (model === 'theorem') {
          const r = await runTheoremOnly(out, theorem, (e) => progress.event(e));
          progress.close();
          for (const f of r.result.failures) console.log(`- ${f}`);
          console.log(`wrote ${r.files.join(', ')}`);
          return;
        }
        const dataDir = resolve(o.data ?? packageFile('data'));
        const tasks: TaskName[] = o.tasks ? taskList(o.tasks) : availableTasks(dataDir);
        if (!tasks.length) throw new UsageError(`--data ${dataDir}: no task has data there (expected conll2000/, ud-ewt-pos/ or weibo/ with train and test files)`);
        if (o.crf !== 'dense-crf' && o.crf !== 'crf') throw new UsageError(`--crf must be dense-crf or crf (got "${o.crf}")`);
        if (o.lstm !== 'lstm' && o.lstm !== 'lstm-crf') throw new UsageError(`--lstm must be lstm or lstm-crf (got "${o.lstm}")`);
        const over = o.threads.filter((k: number) => k > cores);
        if (over.length) console.error(`note: ${over.join(', ')} thread(s) > ${cores} cores: those runs are marked oversubscribed`);
        const { results, files } = await runExperiment(
          {
            model: model as ExperimentModel, dataDir, tasks, threads: o.threads, passes: o.passes ?? DEFAULT_PASSES[model as ExperimentModel], out,
            sr: model === 'crf' ? o.sr : 0, limit: o.limit, seed: o.seed, crf: o.crf, hidden: o.hidden, ...(o.lstm === 'lstm-crf' ? { lstmOutput: 'crf' as const } : {}), sampling: o.sampling, cores,
            command: ['asyngrad', ...process.argv.slice(2)].map((a) => (/^[\w.,/=:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' '),
          },
          {
            onEvent: (e) => progress.event(e),
            onTick: (d, t) => progress.tick(d, t),
            signal: interrupt.signal,
            theorem: o.theorem ? theorem : false,
            onNote: (s) => console.error(`note: ${s}`),
          },
        );
        progress.close();
        const report = (await import('node:fs')).readFileSync(files.report, 'utf8');
        const cut = report.indexOf('## Gradient-error');
        console.log(cut > 0 ? report.slice(0, cut).trimEnd() : report);
        console.log(`\nwrote ${[files.results, files.report, ...files.figures, ...(files.theoremFigures ?? [])].join(', ')} (${results.runs.length} runs in ${out}/runs)`);
      } catch (e) {
        progress.close();
        // a missing data set or a bad --tasks/--threads is a usage error (exit 2); NotAvailableError
        // (no Bi-LSTM trainer in this build) and training failures exit 1
        if (e instanceof ExperimentUsageError) throw new UsageError(e.message);
        if (e instanceof InterruptedError) throw new InterruptedError(`${e.message}; the finished runs are saved in ${out}: run the same command again to continue`);
        throw e;
      }
    });
}
