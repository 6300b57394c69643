// Worker side of the Bi-LSTM: one sentence's gradient into the worker's buffer, with a touched list
// of the three dense blocks (forward LSTM, backward LSTM, output layer) and each embedding row used once
// (once per mini-batch when appending: every kernel here adds into the buffer).
// Rare training words (seen once) are replaced by UNK with probability 1/2 each time their sentence
// is drawn, so that the UNK row learns what an unseen word looks like. With dropout p, each input
// (embedding) value and each LSTM output value is zeroed with probability p and the others scaled by
// 1/(1-p) (inverted dropout: decoding uses the weights as they are); the backward pass applies the
// same masks. The draws come from the same per-(worker, pass) stream as the UNK draws.
import type { SampleGradientFactory } from '../../engine/sample-gradient.js';
import { lstmParamCount } from '../../reference/lstm.js';
import { Rng } from '../../runtime/rng.js';
import { Ctl } from '../../runtime/control.js';
import { lstmScratchLayout, type LstmLayout } from './model.js';

export const UNK_PROBABILITY = 0.5;

export function layoutFromPlan(d: Record<string, number>, params: number): LstmLayout {
  const n = d.fields;
  const dims: number[] = [], embOff: number[] = [], rowBase: number[] = [], vocab: number[] = [];
  for (let i = 0; i < n; i++) {
    dims.push(d[`dim${i}`]);
    embOff.push(d[`embOff${i}`]);
    rowBase.push(d[`rowBase${i}`]);
  }
  for (let i = 0; i < n; i++) vocab.push(((i + 1 < n ? d[`rowBase${i + 1}`] : d.rows) - rowBase[i]));
  const transOff = d.transOff ?? -1;
  const outLen = (transOff >= 0 ? transOff + d.C * d.C : params) - d.outOff;
  return { I: d.I, H: d.H, C: d.C, dims, embOff, rowBase, vocab, fwdOff: d.fwdOff, bwdOff: d.bwdOff, outOff: d.outOff, transOff, outLen, params };
}

export const lstmGradient: SampleGradientFactory = (plan, k, memory, slot, stampsOffset, hooks = {}) => {
  const d = plan.data;
  const L = layoutFromPlan(d, plan.params);
  const { I, H, C } = L;
  const nf = L.dims.length;
  const sc = lstmScratchLayout(L, d.maxLen, { train: true, dropout: (d.dropout ?? 0) > 0 });
  const base = slot.scratchOffset;
  const X = base + sc.X, cacheF = base + sc.cacheF, cacheB = base + sc.cacheB;
  const Hcat = base + sc.Hcat, dHcat = base + sc.dHcat, dX = base + sc.dX;
  const lscrF = base + sc.lstm, lscrB = base + sc.lstmB, tile = base + sc.tile, probs = base + sc.probs, idsBuf = base + sc.ids;
  const i32 = new Int32Array(memory.buffer);
  const marker = new Int32Array(memory.buffer, base + sc.bytes, d.rows);
  const tokStart = new Int32Array(memory.buffer, d.tokStartOffset, plan.numSamples + 1);
  const rare = d.rareOffset / 4;
  const fieldIds = Array.from({ length: nf }, (_, i) => d[`idsOffset${i}`] / 4);
  const w = plan.wOffset, g = slot.gOffset;
  const wf = w + L.fwdOff * 4, wb = w + L.bwdOff * 4, wo = w + L.outOff * 4;
  const gf = g + L.fwdOff * 4, gb = g + L.bwdOff * 4, go = g + L.outOff * 4;
  const list = slot.listOffset / 4;
  const lstmLen = lstmParamCount(I, H);
  // the three dense blocks never change (the output block includes a CRF's transitions); with fused
  // Adam the two LSTM blocks are written here (lstm_weight_adam), and only the output block is listed
  const adamStep = hooks.adamStep;
  const denseListed = adamStep ? 1 : 3;
  i32.set(adamStep ? [L.outOff, L.outLen, 2] : [L.fwdOff, lstmLen, 0, L.bwdOff, lstmLen, 1, L.outOff, L.outLen, 2], list);
  const crf = L.transOff >= 0;
  const chain = base + sc.chain;
  const drop = d.dropout ?? 0;
  const keepScale = drop > 0 ? 1 / (1 - drop) : 1;
  const maskX = base + sc.maskX, maskH = base + sc.maskH;
  const f32 = new Float32Array(memory.buffer);
  // a fresh mask of n values at byte offset p: 0 with probability `drop`, else 1/(1-drop)
  const drawMask = (p: number, n: number) => {
    const o = p / 4;
    for (let i = 0; i < n; i++) f32[o + i] = rng.next() < drop ? 0 : keepScale;
  };
  // UNK draws: a fresh stream per pass (so a resumed serial run draws what it would have drawn)
  let rng = new Rng(d.seed, 0xdead);
  let rngPass = -1;
  const ctl = new Int32Array(memory.buffer, 0, 64);
  let count = denseListed, overlap = false, wrote = false, batchNo = 0;
  const dense = d.denseEmbeddings === 1;
  marker.fill(-1);
  return {
    grad(s, account, append = false) {
      if (!append) {
        batchNo++;
        count = denseListed;
      }
      if (ctl[Ctl.PASS] !== rngPass) {
        rngPass = ctl[Ctl.PASS];
        // per worker and pass; not from an address, which moves with the size of the test/dev data
        rng = new Rng(d.seed, 0xdead + (hooks.worker ?? 0) + 1000003 * rngPass);
      }
      const tok0 = tokStart[s], T = tokStart[s + 1] - tok0;
      // the sentence's ids (rare words -> UNK at random), and its embedding rows listed once per
      // mini-batch (or, with dense embedding updates, every field's whole table once: no write stamp,
      // a table write is not a row write; the three dense blocks still count write overlaps)
      const firstRow = count;
      for (let f = 0; f < nf; f++) {
        const src = fieldIds[f] + tok0, dst = idsBuf / 4 + f * d.maxLen;
        for (let t = 0; t < T; t++) {
          let id = i32[src + t];
          if ((i32[rare + tok0 + t] >> f) & 1 && rng.next() < UNK_PROBABILITY) id = 0;
          i32[dst + t] = id;
        }
        if (dense) {
          if (count < denseListed + nf) i32.set([L.embOff[f], L.vocab[f] * L.dims[f], -1], list + count++ * 3);
          continue;
        }
        for (let t = 0; t < T; t++) {
          const id = i32[dst + t];
          const row = L.rowBase[f] + id;
          if (marker[row] === batchNo) continue;
          marker[row] = batchNo;
          // one (offset, length, stamp) entry, written in place (no temporary array per row)
          const e = list + count++ * 3;
          i32[e] = L.embOff[f] + id * L.dims[f];
          i32[e + 1] = L.dims[f];
          i32[e + 2] = 3 + row;
        }
      }
      // lazy Adam: the rows take the momentum steps they missed before the forward pass reads them
      if (hooks.catchUpRows && count > firstRow) hooks.catchUpRows(firstRow, count - firstRow);
      for (let f = 0; f < nf; f++) k.gather_rows(w + L.embOff[f] * 4, L.dims[f], idsBuf + f * d.maxLen * 4, T, X, I, colOf(L, f));
      if (drop > 0) {
        drawMask(maskX, T * I);
        k.vmul(T * I, X, maskX);
      }
      const before = account ? k.stamp_hash(stampsOffset, 0, 3) : 0;
      k.lstm_forward(wf, I, H, T, X, I, 0, cacheF, Hcat, 2 * H);
      k.lstm_forward(wb, I, H, T, X, I, 1, cacheB, Hcat + H * 4, 2 * H);
      // the LSTM outputs' mask: on what the output layer reads (the recurrence keeps its own h)
      if (drop > 0) {
        drawMask(maskH, T * 2 * H);
        k.vmul(T * 2 * H, Hcat, maskH);
      }
      let loss: number;
      if (crf) {
        // tag scores of every token, the chain CRF's NLL and its gradient w.r.t. them (in place) and
        // the transitions, then back through the output layer
        k.output_scores(wo, C, 2 * H, T, Hcat, probs);
        loss = k.chain_xent(C, T, probs, w + L.transOff * 4, d.labelsOffset + tok0 * 4, g + L.transOff * 4, chain);
        k.output_backward(wo, C, 2 * H, T, Hcat, probs, go, dHcat);
      } else {
        loss = k.softmax_xent(wo, C, 2 * H, T, Hcat, d.labelsOffset + tok0 * 4, go, dHcat, probs);
      }
      if (drop > 0) k.vmul(T * 2 * H, dHcat, maskH);
      k.zero(T * I, dX);
      // both directions back through time (the last reads of w), keeping each one's dZ
      k.lstm_backward_dz(wf, I, H, T, X, I, 0, cacheF, dHcat, 2 * H, dX, I, lscrF);
      k.lstm_backward_dz(wb, I, H, T, X, I, 1, cacheB, dHcat + H * 4, 2 * H, dX, I, lscrB);
      if (account) {
        // The weights are read throughout forward and backward: the read window is all of it.
        const after = k.stamp_hash(stampsOffset, 0, 3);
        overlap = (before & 1) !== 0 || before !== after;
      }
      if (adamStep) {
        // the LSTM blocks' gradient straight into their Adam step, never through the buffer
        const a = adamStep();
        wrote = (k.lstm_weight_adam(wf, I, H, T, X, I, 0, cacheF, lscrF, a.m + L.fwdOff * 4, a.v + L.fwdOff * 4, a.lrt, a.b1, a.b2, a.eps, tile, stampsOffset, 0, a.tag)
          | k.lstm_weight_adam(wb, I, H, T, X, I, 1, cacheB, lscrB, a.m + L.bwdOff * 4, a.v + L.bwdOff * 4, a.lrt, a.b1, a.b2, a.eps, tile, stampsOffset, 1, a.tag)) !== 0;
      } else {
        k.lstm_weight_grad(I, H, T, X, I, 0, cacheF, lscrF, gf);
        k.lstm_weight_grad(I, H, T, X, I, 1, cacheB, lscrB, gb);
      }
      if (drop > 0) k.vmul(T * I, dX, maskX);
      // the embedding rows' gradient: dX added into the buffer (the rows were listed above)
      for (let f = 0; f < nf; f++) k.scatter_add_rows(g + L.embOff[f] * 4, L.dims[f], idsBuf + f * d.maxLen * 4, T, dX, I, colOf(L, f));
      return loss;
    },
    listCount: () => count,
    readOverlap: () => overlap,
    writeOverlap: () => wrote,
  };
};

function colOf(L: LstmLayout, f: number): number {
  let c = 0;
  for (let i = 0; i < f; i++) c += L.dims[i];
  return c;
}
