// `asyngrad train`: one line (or JSON object) per pass, a summary, and the model file.
import type { Command } from 'commander';
import { InterruptedError, MODES, SAMPLINGS, defaultThreads, effectiveRun } from '../engine/engine.js';
import { trainCrf, type DataInfo, type PassReport } from '../train/train-crf.js';
import { trainLstm, LSTM_DEFAULTS } from '../train/train-lstm.js';
import { headline } from '../train/score.js';
import { TASKS, bundledData, isTaskName, taskSpec, type TaskName } from '../train/tasks.js';
import { PassProgress } from './progress.js';
import { checkWritable, intOption, numberOption, UsageError } from './options.js';
import { interrupt } from './interrupt.js';
import { EMBEDDING_UPDATES } from '../models/lstm/model.js';

/** Bundled data sets (CoNLL-2000 and UD-EWT may be redistributed; Weibo may not). */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a tagger (CRF, dense CRF or Bi-LSTM) with the serial, AsynGrad (async) or synchronous engine')
    .option('--model <m>', 'crf (standard linear-chain), dense-crf (rich edge features, the paper\'s), lstm (Bi-LSTM, a softmax per token) or lstm-crf (Bi-LSTM-CRF: a linear-chain CRF over the Bi-LSTM\'s tag scores)', 'crf')
    .option('--hidden <n>', 'lstm: hidden size per direction (default: 280 chunking, 170 pos, 220 seg)', intOption('--hidden', 1, 4096))
    .option('--optimizer <o>', 'lstm: adam (β1 = β2 = 0.95, ε = 1e-4) or sgd', 'adam')
    .option('--embeddings <e>', 'lstm, serial/async: lazy (Adam moves the rows as dense does, but writes a row only when a sentence uses it, first with the momentum steps it missed, and all rows at the end of a pass) | sparse (only the rows a sentence used, no momentum in between) | dense (every row every update, as PyTorch\'s Adam over a dense nn.Embedding)', LSTM_DEFAULTS.embeddings)
    .option('--dropout <p>', 'lstm: dropout on the embeddings and the LSTM outputs in training (each value zeroed with probability p, the others scaled by 1/(1-p))', numberOption('--dropout', 0, 0.95))
    .option('--clip <norm>', 'lstm, serial/async: scale each update\'s gradient to an L2 norm of at most this (PyTorch\'s clip_grad_norm_)', numberOption('--clip', 1e-12, 1e12))
    .option('--pretrained <file>', 'lstm: embeddings text file (word2vec, GloVe or fastText .vec format) to start the word table from (characters for seg); its vector size becomes the word embedding size, and its words join the vocabulary')
    .option('--pretrained-max <n>', 'lstm, with --pretrained: add at most the file\'s first n entries (the most frequent) that are not training words to the vocabulary; training words\' entries are used wherever they are', intOption('--pretrained-max', 0, 2 ** 31))
    .option('--batch <n>', 'lstm, serial/async: sentences per update, their gradients summed (default 1: per-sentence updates, as in the paper)', intOption('--batch', 1, 65536), 1)
    .option('--task <t>', 'chunking | np-chunking (base NPs: the NP chunks of chunking data, the rest O) | pos | seg', 'chunking')
    .option('--train <file>', 'training data (default: the bundled set for chunking and pos)')
    .option('--test <file>', 'test data, scored after every pass (default: the bundled set for chunking and pos)')
    .option('--dev <file>', 'development data, scored after every pass')
    .option('--template <file>', 'CRF++ feature template (default: templates/<task>.txt; np-chunking: templates/chunking.txt)')
    .option('--threads <k>', 'worker threads', intOption('--threads', 1, 64), defaultThreads())
    .option('--mode <m>', 'serial | async | sync', 'async')
    .option('--sampling <s>', 'shuffle (each pass visits every sentence once, in an order the workers share) | uniform (the paper: each worker draws with replacement)', 'shuffle')
    .option('--passes <n>', 'passes over the training data (default: per task)', intOption('--passes', 1, 1e6))
    .option('--seed <s>', 'random seed', intOption('--seed', 0, 2 ** 32 - 1), 1)
    .option('--sr <len>', 'structure regularisation: mini-sample length (0 = off)', numberOption('--sr', 0, 1e6), 0)
    .option('--lr <rate>', 'initial learning rate (default: per task: the paper\'s, POS tuned on UD-EWT dev)', numberOption('--lr', 1e-12, 1e6))
    .option('--decay <beta>', 'per-pass learning-rate decay: lr_k = lr * beta^k (default 0.9; the CRFs on POS 0.95)', numberOption('--decay', 1e-6, 1))
    .option('--l2 <lambda>', 'L2 (Gaussian prior) strength (default: per task: the paper\'s, POS tuned on UD-EWT dev)', numberOption('--l2', 0, 1e6))
    .option('--edge-l2 <lambda>', 'dense-crf: L2 strength of the rich-edge weights (default: per task, chosen on held-out data)', numberOption('--edge-l2', 0, 1e6))
    .option('--min-count <n>', 'drop features seen fewer times in training', intOption('--min-count', 1, 1e9), 1)
    .option('--edge-above <n>', 'dense-crf: rich edges for node features seen more than n times', intOption('--edge-above', 0, 1e9), 10)
    .option('--edge-top <fraction>', 'dense-crf: rich edges for the most frequent fraction of the U features instead (Sun\'s code: 0.4)', numberOption('--edge-top', 0, 1))
    .option('--eval-every <n>', 'score the test/dev data every n passes', intOption('--eval-every', 1, 1e6), 1)
    .option('--keep-best', 'keep (return and write to --out) the model of the pass that scored best on --dev, not the last pass\'s', false)
    .option('--patience <n>', 'stop once n evaluations in a row have not beaten the best --dev score (early stopping)', intOption('--patience', 1, 1e6))
    .option('--out <file>', 'write the trained model here')
    .option('--checkpoint <file>', 'checkpoint file (written atomically; default: <out>.ckpt when --checkpoint-every or --resume is given)')
    .option('--checkpoint-every <n>', 'write a checkpoint every n passes (Ctrl-C also writes one)', intOption('--checkpoint-every', 1, 1e6))
    .option('--resume', 'continue from the checkpoint, if it exists', false)
    .option('--no-account', 'turn gradient-error accounting off')
    .option('--json', 'one JSON object per pass and a final summary object', false)
    .option('--debug', 'print stack traces', false)
    .action(async (o, cmd: Command) => {
      if (!isTaskName(o.task)) throw new UsageError(`--task must be one of ${TASKS.join(', ')} (got "${o.task}")`);
      const task = taskSpec(o.task).name;
      checkApplicable(o, (name) => cmd.getOptionValueSource(name) === 'cli');
      const trainPath = o.train ?? bundledData(task, 'train');
      if (!trainPath) throw new UsageError(`--train is required for --task ${task} (no bundled data set)`);
      const testPath = o.test ?? (o.train ? undefined : bundledData(task, 'test'));
      if (!['crf', 'dense-crf', 'lstm', 'lstm-crf'].includes(o.model)) throw new UsageError(`--model must be crf, dense-crf, lstm or lstm-crf (got "${o.model}")`);
      const lstm = isLstm(o.model);
      if (o.optimizer !== 'adam' && o.optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd (got "${o.optimizer}")`);
      if (!EMBEDDING_UPDATES.includes(o.embeddings)) throw new UsageError(`--embeddings must be one of ${EMBEDDING_UPDATES.join(', ')} (got "${o.embeddings}")`);
      if (o.batch > 1 && !lstm) throw new UsageError(`--batch is for --model lstm and lstm-crf (the CRFs take per-sentence SGD steps); got --model ${o.model} --batch ${o.batch}`);
      if (o.batch > 1 && o.mode === 'sync') throw new UsageError(`--batch applies to --mode serial and async (a sync round already sums one sentence per thread)`);
      if (!MODES.includes(o.mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')} (got "${o.mode}")`);
      if (!SAMPLINGS.includes(o.sampling)) throw new UsageError(`--sampling must be one of ${SAMPLINGS.join(', ')} (got "${o.sampling}")`);
      const run = effectiveRun(o.mode, o.threads, o.sampling);
      const passes = o.passes ?? (lstm ? LSTM_DEFAULTS.passes : taskSpec(task).passes);
      const checkpoint: string | undefined = o.checkpoint ?? (o.checkpointEvery || o.resume ? `${o.out ?? `${task}.model`}.ckpt` : undefined);
      // before reading any data: a model or checkpoint that cannot be written must not cost a training run
      if (o.out !== undefined) checkWritable(o.out, '--out');
      if (checkpoint !== undefined) checkWritable(checkpoint, o.checkpoint !== undefined ? '--checkpoint' : 'the checkpoint');
      let bar = new PassProgress(false, 0);
      const log = (s: string) => (o.json ? undefined : console.log(s));
      const totals = { samples: [] as number[], errors: [] as number[] };
      // the last pass reported; a pass's bar starts with its first tick, so that no bar is left open
      // (its timer would keep the process alive) when training stops early or resumes with none to run
      let lastPass = 0;
      const common = {
        onReady: (info: DataInfo) => {
          bar = new PassProgress(!o.json && process.stderr.isTTY === true, info.tokens);
          log(`${o.model} on ${task}: ${info.sentences} sentences, ${info.tokens} tokens, ${info.labels} labels, ${info.features} ${lstm ? 'vocabulary rows' : `features (${info.edgeFeatures} with rich edges)`}, ${info.params} weights; data read in ${info.extractSeconds.toFixed(1)} s`);
          log(`mode ${o.mode}, ${run.threads} thread(s), ${run.sampling} sampling, ${passes} passes${checkpoint ? `; checkpoint ${checkpoint}` : ''}`);
        },
        onResume: (pass: number) => {
          lastPass = pass;
          log(`resumed from ${checkpoint} after pass ${pass}`);
        },
        onTick: (done: number, total: number) => {
          if (!bar.active) bar.begin(lastPass + 1, passes, total);
          bar.tick(done, total);
        },
        onPass: (r: PassReport) => {
          bar.end();
          r.workerSamples.forEach((n, i) => (totals.samples[i] = (totals.samples[i] ?? 0) + n));
          r.workerErrors.forEach((n, i) => (totals.errors[i] = (totals.errors[i] ?? 0) + n));
          if (o.json) console.log(JSON.stringify(passJson(r)));
          else log(passLine(task, r));
          lastPass = r.pass;
        },
      };
      const keepModel = o.out !== undefined;
      const result = await (lstm
        ? trainLstm({ output: o.model === 'lstm-crf' ? 'crf' : 'softmax', task, train: trainPath, test: testPath, dev: o.dev, keepBest: o.keepBest, patience: o.patience, mode: o.mode, threads: o.threads, sampling: o.sampling, passes, seed: o.seed, hidden: o.hidden, optimizer: o.optimizer, batch: o.batch, embeddings: o.embeddings, pretrained: o.pretrained, pretrainedMax: o.pretrainedMax, dropout: o.dropout, clip: o.clip, lr: o.lr, decay: o.decay, account: o.account, evalEvery: o.evalEvery, checkpoint, checkpointEvery: o.checkpointEvery, resume: o.resume, signal: interrupt.signal, keepModel, ...common })
        : trainCrf({
        task,
        model: o.model,
        train: trainPath,
        test: testPath,
        dev: o.dev,
        keepBest: o.keepBest,
        patience: o.patience,
        template: o.template,
        mode: o.mode,
        threads: o.threads,
        sampling: o.sampling,
        passes,
        seed: o.seed,
        sr: o.sr,
        lr: o.lr,
        decay: o.decay,
        l2: o.l2,
        edgeL2: o.edgeL2,
        minCount: o.minCount,
        edgeAbove: o.edgeAbove,
        edgeTopFraction: o.edgeTop,
        account: o.account,
        evalEvery: o.evalEvery,
        checkpoint,
        checkpointEvery: o.checkpointEvery,
        resume: o.resume,
        signal: interrupt.signal,
        keepModel,
        ...common,
      })).catch((e: unknown) => {
        bar.end();
        // Ctrl-C: the model goes to --out (as Wapiti saves on interrupt): with --keep-best the best dev
        // pass's; else the last finished pass's when there is a checkpoint snapshot of it, else the
        // weights as the interrupted pass left them (src/train/interrupted.ts)
        if (e instanceof InterruptedError) {
          const m = e.model;
          const saved = m !== undefined && o.out !== undefined;
          if (saved) {
            m.save(o.out);
            e.message += m.partial
              ? `; the model as it stood (${m.passes} passes and part of pass ${m.passes + 1}) written to ${o.out}`
              : `; the model of pass ${m.passes}${o.keepBest && e.passes !== m.passes ? ', the best on dev,' : ''} written to ${o.out}`;
          }
          // --json readers get a last line that says how the run ended
          if (o.json) console.log(JSON.stringify({ interrupted: true, passes: e.passes ?? lastPass, ...(o.keepBest && m ? { kept_pass: m.passes } : {}), model_file: saved ? o.out : null, message: e.message }));
        }
        throw e;
      });
      bar.end();
      const final = result.history[result.history.length - 1];
      const seconds = final.elapsed;
      const best = result.history.find((r) => r.pass === result.bestPass);
      // the scores of the model kept: the best dev pass's with --keep-best, else the last pass's
      const kept = (o.keepBest && best) || final;
      if (o.out) result.tagger.save(o.out);
      const summary = {
        summary: true,
        model: o.model,
        task,
        mode: o.mode,
        ...run,
        ...(lstm ? { batch: o.batch, embeddings: o.embeddings } : {}),
        passes: result.history.length,
        seconds: round(seconds, 3),
        seconds_per_pass: round(seconds / result.history.length, 4),
        test: kept.test ? scoreJson(kept.test) : null,
        dev: kept.dev ? scoreJson(kept.dev) : null,
        ...(result.bestPass !== undefined ? { best_pass: result.bestPass, kept_pass: kept.pass } : {}),
        // over the passes this invocation ran; a resumed run with none left to run reports the checkpoint's
        gradient_error_rate: totals.samples.length
          ? totals.samples.map((n, i) => round(n ? totals.errors[i] / n : 0, 4))
          : historyErrorRate(result.history),
        model_file: o.out ?? null,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        const metric = task === 'pos' ? 'accuracy' : 'F1';
        const parts = [`done: ${summary.passes} passes in ${seconds.toFixed(2)} s (${summary.seconds_per_pass.toFixed(3)} s/pass)`];
        if (summary.passes < passes && o.patience !== undefined) parts.push(`stopped early: no better dev ${metric} in ${o.patience} evaluations`);
        if (best) parts.push(`best dev ${metric} ${headline(task, best.dev!).toFixed(2)} at pass ${best.pass}${o.keepBest ? ', the model kept' : ''}`);
        if (kept.test) parts.push(`test ${metric} ${headline(task, kept.test).toFixed(2)}${o.keepBest ? ` (pass ${kept.pass})` : ''}`);
        if (o.out) parts.push(`model written to ${o.out}`);
        log(parts.join('; '));
      }
    });
}

/** The Bi-LSTM models: a softmax per token (lstm) or a CRF over the tag scores (lstm-crf). */
function isLstm(model: unknown): boolean {
  return model === 'lstm' || model === 'lstm-crf';
}

/**
 * Options given on the command line that the chosen model or mode would ignore are errors (a
 * demanding user who asks for --l2 on a Bi-LSTM expects it to do something, not to be dropped).
 */
function checkApplicable(o: Record<string, unknown>, given: (name: string) => boolean): void {
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const only = (names: string[], ok: boolean, where: string) => {
    for (const n of names) if (given(n) && !ok) throw new UsageError(`${flag(n)} applies to ${where}; it would be ignored with --model ${o.model}${o.mode === 'serial' ? ' --mode serial' : ''}`);
  };
  const crf = o.model === 'crf' || o.model === 'dense-crf';
  only(['template', 'l2', 'sr', 'minCount'], crf, '--model crf and dense-crf');
  only(['edgeAbove', 'edgeTop', 'edgeL2'], o.model === 'dense-crf', '--model dense-crf');
  only(['hidden', 'optimizer', 'embeddings', 'pretrained', 'pretrainedMax', 'dropout', 'clip'], isLstm(o.model), '--model lstm and lstm-crf');
  if (given('edgeAbove') && given('edgeTop')) throw new UsageError('--edge-above and --edge-top are two rules for the same choice: give one');
  if (given('clip') && o.mode === 'sync') throw new UsageError('--clip applies to --mode serial and async (a sync round sums its gradients slice by slice, so no worker sees their norm)');
  if (o.mode === 'serial') {
    if (given('sampling')) throw new UsageError('--sampling applies to --mode async and sync (serial always visits every sentence once a pass)');
    if (given('threads') && o.threads !== 1) throw new UsageError(`--threads ${o.threads}: --mode serial runs one thread`);
  }
}

/** Per-worker gradient-error rate over a run's recorded passes. */
function historyErrorRate(history: PassReport[]): number[] {
  const samples: number[] = [], errors: number[] = [];
  for (const r of history) {
    r.workerSamples.forEach((n, i) => (samples[i] = (samples[i] ?? 0) + n));
    r.workerErrors.forEach((n, i) => (errors[i] = (errors[i] ?? 0) + n));
  }
  return samples.map((n, i) => round(n ? errors[i] / n : 0, 4));
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function scoreJson(s: { accuracy: number; f1?: number; precision?: number; recall?: number }) {
  return { f1: s.f1 === undefined ? null : round(s.f1, 2), precision: s.precision === undefined ? null : round(s.precision, 2), recall: s.recall === undefined ? null : round(s.recall, 2), accuracy: round(s.accuracy, 2) };
}

function passJson(r: PassReport) {
  return {
    pass: r.pass,
    lr: round(r.lr, 6),
    loss: round(r.loss, 2),
    seconds: round(r.seconds, 4),
    elapsed: round(r.elapsed, 3),
    test: r.test ? scoreJson(r.test) : undefined,
    dev: r.dev ? scoreJson(r.dev) : undefined,
    gradient_error_rate: r.gradientErrorRate.map((x) => round(x, 4)),
    read_overwrites: r.readErrors,
    write_overwrites: r.writeErrors,
  };
}

function passLine(task: TaskName, r: PassReport): string {
  const name = task === 'pos' ? 'acc' : 'F1';
  const score = (label: string, s?: PassReport['test']) => (s ? ` ${label} ${name} ${headline(task, s).toFixed(2)}` : '');
  const err = r.gradientErrorRate.map((x) => `${(100 * x).toFixed(1)}%`).join(' ');
  return `pass ${String(r.pass).padStart(3)}  loss ${r.loss.toFixed(1).padStart(10)}  ${r.seconds.toFixed(3)} s${score('dev', r.dev)}${score('test', r.test)}  gradient errors ${err}`;
}
