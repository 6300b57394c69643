// How long one cache line takes to go from one core to the other and back: two threads bounce a
// counter through shared memory. On this project's 2-vCPU cloud VMs it is bimodal, about 100-150 ns
// in some minutes and about 550 ns in others (the hypervisor moves the two vCPUs between nearby and
// distant physical cores), and AsynGrad's 2-thread speed follows it: the dense Bi-LSTM writes all of
// w every sentence, and each written line must be taken back from the other core. The benchmarks
// print it next to their 2-thread timings so that a reader can tell the two kinds of minute apart.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// the echo thread: copies slot 0 to slot 16 (another cache line) whenever it changes; -1 stops it
const ECHO = `
const { workerData, parentPort } = require('node:worker_threads');
const a = new Int32Array(workerData);
parentPort.postMessage('ready');
let last = 0;
for (;;) {
  const v = Atomics.load(a, 0);
  if (v === -1) break;
  if (v !== last) { last = v; Atomics.store(a, 16, v); }
}`;

/**
 * Median nanoseconds per round trip over `samples` bursts of up to `trips` round trips (a burst stops
 * after 1 s). NaN on a single core, where the two threads would take turns.
 */
export async function crossCoreRoundTripNs(samples = 5, trips = 100_000): Promise<number> {
  if (availableParallelism() < 2) return NaN;
  const sab = new SharedArrayBuffer(128);
  const a = new Int32Array(sab);
  const w = new Worker(ECHO, { eval: true, workerData: sab });
  try {
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    const ns: number[] = [];
    let v = 0;
    for (let s = 0; s < samples; s++) {
      const t0 = process.hrtime.bigint();
      let i = 0;
      while (i < trips) {
        Atomics.store(a, 0, ++v);
        while (Atomics.load(a, 16) !== v) {
          /* spin: the echo thread answers within a microsecond */
        }
        if (++i % 1024 === 0 && process.hrtime.bigint() - t0 > 1_000_000_000n) break;
      }
      ns.push(Number(process.hrtime.bigint() - t0) / i);
    }
    ns.sort((x, y) => x - y);
    return ns[ns.length >> 1];
  } finally {
    Atomics.store(a, 0, -1);
    await w.terminate();
  }
}
