// Worker side of the logistic model: one sample's dense gradient via the logreg_grad kernel.
import type { SampleGradientFactory } from '../../engine/sample-gradient.js';

export const logregGradient: SampleGradientFactory = (plan, k, memory, slot, stampsOffset) => {
  const { C, D, xOffset, yOffset, l2 } = plan.data;
  const labels = new Int32Array(memory.buffer, yOffset, plan.numSamples);
  // The touched list never changes: one block per row of W (stamp c), one for the bias (stamp C).
  const list = new Int32Array(memory.buffer, slot.listOffset, (C + 1) * 3);
  for (let c = 0; c <= C; c++) list.set([c * D, c < C ? D : C, c], c * 3);
  let overlap = false;
  return {
    grad(s, account) {
      const x = xOffset + s * D * 4;
      if (!account) return k.logreg_grad(plan.wOffset, C, D, x, labels[s], l2, slot.gOffset, slot.scratchOffset);
      // Read accounting: the whole of w is read by the gemv inside logreg_grad.
      const before = k.stamp_sum(stampsOffset, 0, C + 1);
      const loss = k.logreg_grad(plan.wOffset, C, D, x, labels[s], l2, slot.gOffset, slot.scratchOffset);
      const after = k.stamp_sum(stampsOffset, 0, C + 1);
      overlap = (before & 0xffff) !== 0 || before !== after;
      return loss;
    },
    listCount: () => C + 1,
    readOverlap: () => overlap,
  };
};
