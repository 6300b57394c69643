#!/usr/bin/env node
// The asyngrad command line. Exit codes: 0 done, 1 failed (bad data, worker failure…), 2 usage
// (bad option), 3 training diverged, 130 interrupted.
import { Command, CommanderError } from 'commander';
import { runDemo } from './demo.js';
import { registerTrain } from './train.js';
import { registerTagEval } from './tag-eval.js';
import { registerExperiment } from './experiment.js';
import { registerDump } from './dump.js';
import { intOption } from './options.js';
import { OptionError } from '../train/option-error.js';
import { DivergenceError } from '../train/train-crf.js';
import { InterruptedError } from '../engine/engine.js';
import { interrupt } from './interrupt.js';

const program = new Command();
program
  .name('asyngrad')
  .description('Lock-free asynchronous parallel training (AsynGrad) of CRF and Bi-LSTM sequence taggers')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureHelp({ showGlobalOptions: true });

registerTrain(program);
registerTagEval(program);
registerExperiment(program);
registerDump(program);

program
  .command('demo')
  .description('train a synthetic logistic model with the serial, async and sync engines')
  .option('--threads <k>', 'worker threads for async and sync', intOption('--threads', 1, 64), 2)
  .option('--passes <n>', 'passes over the data', intOption('--passes', 1, 1000), 5)
  .option('--seed <s>', 'random seed', intOption('--seed', 0, 2 ** 32 - 1), 1)
  .option('--json', 'one JSON object per pass', false)
  .action(async (o) => runDemo(o));

for (const c of program.commands) c.exitOverride();

// Output piped into a reader that closed early (`asyngrad tag … | head`): stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// Ctrl-C: the first one stops training cleanly (the checkpoint is written when one is set, and the
// model of the last finished pass to --out), a second one exits at once.
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  console.error('asyngrad: interrupted, stopping (Ctrl-C again to exit at once)');
  interrupt.abort();
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; commander has already printed its message
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  const err = e as Error;
  console.error(`asyngrad: ${err.message}`);
  if (process.argv.includes('--debug')) console.error(err.stack);
  process.exit(err instanceof OptionError ? 2 : err instanceof DivergenceError ? 3 : err instanceof InterruptedError ? 130 : 1);
}
