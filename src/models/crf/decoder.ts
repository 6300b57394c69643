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
    scratch: arena.reserve('decode scratch', crfScratchBytes(shape.Y, maxLen, shape.E)),
    maxLen,
    maxPairs,
  };
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

  /** Best label ids of sentence s of data. */
  decode(data: CrfData, s: number): Int32Array {
    const a = data.tokStart[s], b = data.tokStart[s + 1];
    const T = b - a;
    if (T === 0) return new Int32Array(0);
    const p0 = data.featStart[a], p1 = data.featStart[b];
    if (T > this.r.maxLen || p1 - p0 > this.r.maxPairs) throw new Error(`sentence ${s} is larger than the decode buffer (${T} tokens)`);
    const fs = this.r.featStart / 4;
    for (let t = 0; t <= T; t++) this.i32[fs + t] = data.featStart[a + t] - p0;
    this.i32.set(data.featIds.subarray(p0, p1), this.r.featIds / 4);
    const { Y, F, E } = this.shape;
    this.k.crf_viterbi(this.wOffset, Y, F, E, this.r.featStart, this.r.featIds, 0, T, this.r.out, this.r.scratch);
    return this.i32.slice(this.r.out / 4, this.r.out / 4 + T);
  }

  decodeAll(data: CrfData): Int32Array[] {
    const out: Int32Array[] = [];
    for (let s = 0; s + 1 < data.tokStart.length; s++) out.push(this.decode(data, s));
    return out;
  }
}
