#!/usr/bin/env node
// The asyngrad command line.
import { Command } from 'commander';
import { runDemo } from './demo.js';

const program = new Command();
program.name('asyngrad').description('Lock-free asynchronous parallel training (AsynGrad) of CRF and Bi-LSTM taggers').version('0.1.0');

program
  .command('demo')
  .description('train a synthetic logistic model with the serial, async and sync engines')
  .option('--threads <k>', 'worker threads for async and sync', (v) => Number(v), 2)
  .option('--passes <n>', 'passes over the data', (v) => Number(v), 5)
  .option('--seed <s>', 'random seed', (v) => Number(v), 1)
  .option('--json', 'one JSON object per pass', false)
  .action(async (o) => runDemo(o));

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`asyngrad: ${e.message}`);
  if (process.argv.includes('--debug')) console.error(e.stack);
  process.exit(1);
});
