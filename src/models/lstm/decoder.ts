// Bi-LSTM decoding on the main thread: forward both directions, then the most probable tag per
// token (softmax output) or the best tag sequence under the chain CRF (Viterbi, CRF output).
import type { Kernels } from '../../runtime/wasm.js';
import { lstmScratchLayout, type LstmLayout } from './model.js';
import type { LstmData } from './inputs.js';

/**
 * Label ids per sentence. With `probs`, also each token's probability of its label (softmax: its
 * softmax probability; CRF: its node marginal) and in `sentenceProbs` (CRF output only) P(labels | x).
 */
export function decodeLstm(k: Kernels, memory: WebAssembly.Memory, wOffset: number, L: LstmLayout, scratchOffset: number, Tmax: number, data: LstmData, probs?: Float64Array[], sentenceProbs?: number[]): Int32Array[] {
  const sc = lstmScratchLayout(L, Tmax);
  const i32 = new Int32Array(memory.buffer);
  const { I, H, C } = L;
  const X = scratchOffset + sc.X, Hcat = scratchOffset + sc.Hcat, ids = scratchOffset + sc.ids, out = scratchOffset + sc.out;
  const res: Int32Array[] = [];
  for (let s = 0; s + 1 < data.tokStart.length; s++) {
    const a = data.tokStart[s], T = data.tokStart[s + 1] - a;
    if (T === 0) {
      res.push(new Int32Array(0));
      probs?.push(new Float64Array(0));
      if (probs && L.transOff >= 0) sentenceProbs?.push(1);
      continue;
    }
    if (T > Tmax) throw new Error(`sentence ${s} has ${T} tokens, more than the decode buffer (${Tmax})`);
    let col = 0;
    L.dims.forEach((dim, f) => {
      i32.set(data.ids[f].subarray(a, a + T), ids / 4 + f * Tmax);
      k.gather_rows(wOffset + L.embOff[f] * 4, dim, ids + f * Tmax * 4, T, X, I, col);
      col += dim;
    });
    k.lstm_forward(wOffset + L.fwdOff * 4, I, H, T, X, I, 0, scratchOffset + sc.cacheF, Hcat, 2 * H);
    k.lstm_forward(wOffset + L.bwdOff * 4, I, H, T, X, I, 1, scratchOffset + sc.cacheB, Hcat + H * 4, 2 * H);
    if (L.transOff >= 0) {
      const scores = scratchOffset + sc.probs, trans = wOffset + L.transOff * 4, chain = scratchOffset + sc.chain;
      k.output_scores(wOffset + L.outOff * 4, C, 2 * H, T, Hcat, scores);
      const best = k.chain_viterbi(C, T, scores, trans, out, chain);
      const ids = i32.slice(out / 4, out / 4 + T);
      if (probs) {
        const logZ = k.chain_marginals(C, T, scores, trans, scratchOffset + sc.marginals, chain);
        const p = new Float32Array(memory.buffer, scratchOffset + sc.marginals, T * C);
        probs.push(Float64Array.from(ids, (y, t) => p[t * C + y]));
        sentenceProbs?.push(Math.min(1, Math.exp(best - logZ)));
      }
      res.push(ids);
      continue;
    }
    if (probs) {
      // softmax_xent with no gold label (-1) writes only the probabilities (and zeroes dHcat)
      i32.fill(-1, out / 4, out / 4 + T);
      k.softmax_xent(wOffset + L.outOff * 4, C, 2 * H, T, Hcat, out, 0, scratchOffset + sc.dHcat, scratchOffset + sc.probs);
    }
    k.softmax_predict(wOffset + L.outOff * 4, C, 2 * H, T, Hcat, out);
    const best = i32.slice(out / 4, out / 4 + T);
    if (probs) {
      const p = new Float32Array(memory.buffer, scratchOffset + sc.probs, T * C);
      probs.push(Float64Array.from(best, (y, t) => p[t * C + y]));
    }
    res.push(best);
  }
  return res;
}
