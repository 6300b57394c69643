// `npm run bench -- <name> [options]`: benchmarks print one JSON object per line.
import { benchEngines } from './engines.js';
import { benchKernels } from './kernels.js';
import { benchCrf, benchPeers, crfsuiteChild } from './crf.js';
import { benchLstm } from './lstm.js';
import { benchTag } from './tag.js';

const benches: Record<string, (args: string[]) => Promise<void>> = {
  kernels: benchKernels,
  engines: benchEngines,
  crf: benchCrf,
  peers: benchPeers,
  lstm: benchLstm,
  tag: benchTag,
};
const hidden: Record<string, (args: string[]) => Promise<void>> = { _crfsuite: crfsuiteChild };

const [name, ...rest] = process.argv.slice(2);
const run = name ? (benches[name] ?? hidden[name]) : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
await run(rest);

