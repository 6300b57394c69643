// Viterbi decoding with the crf_viterbi kernel on the main thread, over the weights wherever they
// live (the training memory, or a small memory made for a loaded model). Sentences are copied into
// a decode buffer one at a time.
import type { ArenaLayout } from '../../runtime/arena.js';
import type { Kernels } from '../../runtime/wasm.js';
import { crfScratchBytes } from '../../reference/crf.js';
import type { CrfData, CrfShape } from './model.js';

export interface DecodeRegions {
  featStart: number;
  featIds: number;
  out: number;
  /** node marginals of one sentence (maxLen x Y f32), for decoding with probabilities */
  marginals: number;
  scratch: number;
  maxLen: number;
  maxPairs: number;
}

/** Longest sentence and most (token, feature) pairs in any sentence of the data sets. */
export function sentenceBounds(...sets: CrfData[]): { maxLen: number; maxPairs: number } {
  let maxLen = 1, maxPairs = 1;
  for (const d of sets) {
    for (let s = 0; s + 1 < d.tokStart.length; s++) {
      maxLen = Math.max(maxLen, d.tokStart[s + 1] - d.tokStart[s]);
      maxPairs = Math.max(maxPairs, d.featStart[d.tokStart[s + 1]] - d.featStart[d.tokStart[s]]);
    }
  }
  return { maxLen, maxPairs };
}

export function reserveDecode(arena: ArenaLayout, shape: CrfShape, maxLen: number, maxPairs: number): DecodeRegions {
  return {
    featStart: arena.reserve('decode feature starts', (maxLen + 1) * 4),
    featIds: arena.reserve('decode feature ids', maxPairs * 4),
    out: arena.reserve('decode labels', maxLen * 4),
    marginals: arena.reserve('decode marginals', maxLen * shape.Y * 4),
    scratch: arena.reserve('decode scratch', crfScratchBytes(shape.Y, maxLen, shape.E)),
    maxLen,
    maxPairs,
  };
}

/** A best labelling with its probability under the model. */
export interface DecodedWithProbabilities {
  ids: Int32Array;
  /** P(y* | x): the best labelling's probability */
  probability: number;
  /** P(y_t = y*_t | x) for each token: the marginal probability of the chosen label */
  marginals: Float64Array;
}

export class CrfDecoder {
  private readonly i32: Int32Array;

  constructor(
    private readonly k: Kernels,
    memory: WebAssembly.Memory,
    private readonly wOffset: number,
    private readonly shape: CrfShape,
    private readonly r: DecodeRegions,
  ) {
    this.i32 = new Int32Array(memory.buffer);
  }

  /** Copies sentence s of data into the decode buffer; returns its length. */
  private load(data: CrfData, s: number): number {
    const a = data.tokStart[s], b = data.tokStart[s + 1];
    const T = b - a;
    const p0 = data.featStart[a], p1 = data.featStart[b];
    if (T > this.r.maxLen || p1 - p0 > this.r.maxPairs) throw new Error(`sentence ${s} is larger than the decode buffer (${T} tokens)`);
    const fs = this.r.featStart / 4;
    for (let t = 0; t <= T; t++) this.i32[fs + t] = data.featStart[a + t] - p0;
    this.i32.set(data.featIds.subarray(p0, p1), this.r.featIds / 4);
    return T;
  }

  /** Best label ids of sentence s of data. */
  decode(data: CrfData, s: number): Int32Array {
    const T = this.load(data, s);
    if (T === 0) return new Int32Array(0);
    const { Y, F, E } = this.shape;
    this.k.crf_viterbi(this.wOffset, Y, F, E, this.r.featStart, this.r.featIds, 0, T, this.r.out, this.r.scratch);
    return this.i32.slice(this.r.out / 4, this.r.out / 4 + T);
  }

  /**
   * Best label ids of sentence s with their probabilities (CRF++'s -v1, CRFsuite's -p and -i):
   * Viterbi's score against log Z from forward-backward, and the node marginals of the chosen labels.
   */
  decodeWithProbabilities(data: CrfData, s: number): DecodedWithProbabilities {
    const T = this.load(data, s);
    if (T === 0) return { ids: new Int32Array(0), probability: 1, marginals: new Float64Array(0) };
    const { Y, F, E } = this.shape;
    const score = this.k.crf_viterbi(this.wOffset, Y, F, E, this.r.featStart, this.r.featIds, 0, T, this.r.out, this.r.scratch);
    const ids = this.i32.slice(this.r.out / 4, this.r.out / 4 + T);
    const logZ = this.k.crf_marginals(this.wOffset, Y, F, E, this.r.featStart, this.r.featIds, 0, T, this.r.marginals, this.r.scratch);
    const m = new Float32Array(this.i32.buffer, this.r.marginals, T * Y);
    // Viterbi's score is summed in f32: clamp the rounding that could put it a hair above log Z
    return { ids, probability: Math.min(1, Math.exp(score - logZ)), marginals: Float64Array.from(ids, (y, t) => m[t * Y + y]) };
  }

  decodeAll(data: CrfData): Int32Array[] {
    const out: Int32Array[] = [];
    for (let s = 0; s + 1 < data.tokStart.length; s++) out.push(this.decode(data, s));
    return out;
  }
}
