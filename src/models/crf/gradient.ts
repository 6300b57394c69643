// Worker side of the CRF: one sample's gradient (a sentence, or a mini-sample under structure
// regularisation) via crf_grad, which also writes the touched list and the read-overlap flag.
import type { SampleGradientFactory } from '../../engine/sample-gradient.js';
import { CRF_SCRATCH_COUNT, CRF_SCRATCH_OVERLAP, CRF_SCRATCH_WRITE_OVERLAP } from '../../reference/crf.js';

export const crfGradient: SampleGradientFactory = (plan, k, memory, slot, stampsOffset) => {
  const { Y, F, E, featStartOffset, featIdsOffset, labelsOffset, samplesOffset, sampleCapacity } = plan.data;
  const samples = new Int32Array(memory.buffer, samplesOffset, sampleCapacity * 2);
  const scratch = new Int32Array(memory.buffer, slot.scratchOffset, 4);
  const skip = plan.data.skip ?? 0;
  return {
    grad(s, account) {
      return k.crf_grad(plan.wOffset, Y, F, E, featStartOffset, featIdsOffset, labelsOffset, samples[2 * s], samples[2 * s + 1], slot.gOffset, slot.listOffset, slot.scratchOffset, stampsOffset, account ? 1 : 0);
    },
    step(s, lr, tag) {
      return k.crf_step(plan.wOffset, Y, F, E, featStartOffset, featIdsOffset, labelsOffset, samples[2 * s], samples[2 * s + 1], lr, skip, slot.scratchOffset, stampsOffset, tag);
    },
    listCount: () => scratch[CRF_SCRATCH_COUNT / 4],
    readOverlap: () => scratch[CRF_SCRATCH_OVERLAP / 4] !== 0,
    writeOverlap: () => scratch[CRF_SCRATCH_WRITE_OVERLAP / 4] !== 0,
  };
};
