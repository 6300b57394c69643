// Main-thread side of the linear-chain CRF (standard: E = 0; the paper's dense CRF: the E most
// frequent node features also conjoined with the label pair). Holds the training set's feature ids
// in the shared memory once, and the sample table that structure regularisation rewrites each pass.
import type { ArenaLayout } from '../../runtime/arena.js';
import type { TrainableModel } from '../../engine/engine.js';
import type { ModelPlan } from '../../engine/plan.js';
import type { Kernels } from '../../runtime/wasm.js';
import type { Rng } from '../../runtime/rng.js';
import { crfListCapacity, crfParamCount, crfScratchBytes, crfStampCount } from '../../reference/crf.js';
import { CrfDecoder, reserveDecode, sentenceBounds, type DecodeRegions } from './decoder.js';

/** A data set's features as CSR arrays (src/features/extract.ts). */
export interface CrfData {
  tokStart: Int32Array; // sentences + 1
  featStart: Int32Array; // tokens + 1
  featIds: Int32Array;
  labels: Int32Array; // tokens
}

export interface CrfShape {
  Y: number;
  F: number;
  E: number;
}

export class CrfModel implements TrainableModel {
  private plan: ModelPlan | null = null;
  private decodeRegions: DecodeRegions | null = null;
  /** byte offset of the averaged weights (when averaging), else -1 */
  avgOffset = -1;
  readonly maxLen: number;
  readonly maxPairs: number;

  /** evalSets: data sets decoded between passes (their decode buffers live in the same memory) */
  constructor(readonly shape: CrfShape, readonly train: CrfData, readonly sr = 0, readonly evalSets: CrfData[] = [], readonly skip = 0, readonly average = false) {
    let maxLen = 1, maxPairs = 1;
    const { tokStart, featStart } = train;
    for (let s = 0; s + 1 < tokStart.length; s++) {
      maxLen = Math.max(maxLen, tokStart[s + 1] - tokStart[s]);
      maxPairs = Math.max(maxPairs, featStart[tokStart[s + 1]] - featStart[tokStart[s]]);
    }
    this.maxLen = maxLen;
    this.maxPairs = maxPairs;
  }

  get numSentences(): number {
    return this.train.tokStart.length - 1;
  }

  get params(): number {
    return crfParamCount(this.shape.Y, this.shape.F, this.shape.E);
  }

  reserve(arena: ArenaLayout): ModelPlan {
    const { Y, F, E } = this.shape;
    const { featStart, featIds, labels } = this.train;
    const nTok = labels.length;
    // Structure regularisation can cut every sentence down to single tokens.
    const sampleCapacity = this.sr > 0 ? Math.max(nTok, this.numSentences) : this.numSentences;
    this.plan = {
      kind: 'crf',
      params: this.params,
      wOffset: arena.reserve('crf weights', this.params * 4),
      numSamples: sampleCapacity,
      stampCount: crfStampCount(F, E),
      listCapacity: crfListCapacity(this.maxPairs),
      scratchBytes: crfScratchBytes(Y, this.maxLen, E),
      fusedSgd: true,
      data: {
        Y,
        F,
        E,
        featStartOffset: arena.reserve('crf feature starts', featStart.length * 4),
        featIdsOffset: arena.reserve('crf feature ids', featIds.length * 4),
        labelsOffset: arena.reserve('crf labels', nTok * 4),
        samplesOffset: arena.reserve('crf sample table', sampleCapacity * 8),
        sampleCapacity,
        skip: this.skip,
      },
    };
    if (this.average) this.avgOffset = arena.reserve('crf averaged weights', this.params * 4);
    const b = sentenceBounds(this.train, ...this.evalSets);
    this.decodeRegions = reserveDecode(arena, this.shape, b.maxLen, b.maxPairs);
    return this.plan;
  }

  fill(memory: WebAssembly.Memory, plan: ModelPlan, _k: Kernels): void {
    const d = plan.data;
    new Int32Array(memory.buffer, d.featStartOffset, this.train.featStart.length).set(this.train.featStart);
    new Int32Array(memory.buffer, d.featIdsOffset, this.train.featIds.length).set(this.train.featIds);
    new Int32Array(memory.buffer, d.labelsOffset, this.train.labels.length).set(this.train.labels);
    new Float32Array(memory.buffer, plan.wOffset, plan.params).fill(0);
    if (this.avgOffset >= 0) new Float32Array(memory.buffer, this.avgOffset, plan.params).fill(0);
    this.writeWholeSentences(memory);
  }

  /** A Viterbi decoder over the training weights (main thread, between passes). */
  decoder(k: Kernels, memory: WebAssembly.Memory, averaged = false): CrfDecoder {
    if (!this.plan || !this.decodeRegions) throw new Error('CrfModel.decoder: the model has no memory yet');
    return new CrfDecoder(k, memory, averaged ? this.avgOffset : this.plan.wOffset, this.shape, this.decodeRegions);
  }

  private table(memory: WebAssembly.Memory): Int32Array {
    const d = this.plan!.data;
    return new Int32Array(memory.buffer, d.samplesOffset, d.sampleCapacity * 2);
  }

  /** The sample table without structure regularisation: one sample per sentence. */
  writeWholeSentences(memory: WebAssembly.Memory): number {
    const t = this.table(memory);
    const { tokStart } = this.train;
    for (let s = 0; s < this.numSentences; s++) {
      t[2 * s] = tokStart[s];
      t[2 * s + 1] = tokStart[s + 1] - tokStart[s];
    }
    return this.numSentences;
  }

  /**
   * Structure regularisation (Sun 2014): cut every sentence into consecutive mini-samples of length
   * `sr`; a fractional length (1.5) mixes the two nearest integers at random, and each sentence is
   * cut from a randomly chosen end. Returns the number of mini-samples written to the sample table.
   */
  writeMiniSamples(memory: WebAssembly.Memory, rng: Rng): number {
    const t = this.table(memory);
    const { tokStart } = this.train;
    const lo = Math.floor(this.sr), frac = this.sr - lo;
    let n = 0;
    for (let s = 0; s < this.numSentences; s++) {
      const a = tokStart[s], b = tokStart[s + 1];
      const fromEnd = rng.next() < 0.5;
      let done = 0;
      const len = b - a;
      while (done < len) {
        let piece = Math.max(1, lo + (rng.next() < frac ? 1 : 0));
        piece = Math.min(piece, len - done);
        const start = fromEnd ? b - done - piece : a + done;
        t[2 * n] = start;
        t[2 * n + 1] = piece;
        n++;
        done += piece;
      }
    }
    return n;
  }
}
