// Worker side of the logistic model. The gradient first copies w into the worker's scratch (one
// read of the shared weights per sample: the "read" of Algorithm 1), then computes from the copy, so
// another worker's writes during the computation cannot invalidate our cache lines T times over.
import type { SampleGradientFactory } from '../../engine/sample-gradient.js';

export const logregGradient: SampleGradientFactory = (plan, k, memory, slot, stampsOffset) => {
  const { C, D, T, xOffset, yOffset, l2 } = plan.data;
  const P = plan.params;
  const snapshot = slot.scratchOffset; // P floats, then C floats of logits
  const logits = snapshot + Math.ceil((P * 4) / 64) * 64;
  // The touched list never changes: one block per row of W (stamp c), one for the bias (stamp C).
  const list = new Int32Array(memory.buffer, slot.listOffset, (C + 1) * 3);
  for (let c = 0; c <= C; c++) list.set([c * D, c < C ? D : C, c], c * 3);
  let overlap = false;
  return {
    grad(s, account) {
      if (account) {
        const before = k.stamp_hash(stampsOffset, 0, C + 1);
        k.copy(P, plan.wOffset, snapshot);
        const after = k.stamp_hash(stampsOffset, 0, C + 1);
        overlap = (before & 1) !== 0 || before !== after;
      } else k.copy(P, plan.wOffset, snapshot);
      return k.logreg_grad(snapshot, C, D, xOffset + s * T * D * 4, yOffset + s * T * 4, T, l2, slot.gOffset, logits);
    },
    listCount: () => C + 1,
    readOverlap: () => overlap,
  };
};

/** Scratch bytes the logistic gradient needs per worker. */
export function logregScratchBytes(C: number, D: number): number {
  return Math.ceil(((C * D + C) * 4) / 64) * 64 + Math.ceil((C * 4) / 64) * 64;
}
