// Decode-worker entry: tags one contiguous range of sentences with a Bi-LSTM tagger's weights, which
// the main thread put in the shared memory, using its own scratch region there; posts the label ids
// (and with probabilities, each token's probability and, for the CRF output, each sentence's) back.
import { parentPort, workerData } from 'node:worker_threads';
import { instantiate } from './wasm.js';
import { decodeLstm } from '../models/lstm/decoder.js';
import type { LstmLayout } from '../models/lstm/model.js';
import type { LstmData } from '../models/lstm/inputs.js';

export interface DecodeJob {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  layout: LstmLayout;
  wOffset: number;
  scratchOffset: number;
  Tmax: number;
  /** the range's sentences (tokStart from 0) */
  data: LstmData;
  probabilities: boolean;
}

export interface DecodeResult {
  ids: Int32Array[];
  probs?: Float64Array[];
  sentenceProbs?: number[];
}

const job = workerData as DecodeJob;
const k = instantiate(job.module, job.memory);
const probs: Float64Array[] | undefined = job.probabilities ? [] : undefined;
const sentenceProbs: number[] | undefined = job.probabilities ? [] : undefined;
const ids = decodeLstm(k, job.memory, job.wOffset, job.layout, job.scratchOffset, job.Tmax, job.data, probs, sentenceProbs);
parentPort!.postMessage({ ids, probs, sentenceProbs } satisfies DecodeResult);
