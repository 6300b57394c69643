// The divergence check run after every pass: a sample of the weights (a full scan of millions of
// weights costs more than it tells), plus the first and last 4,096 in full — the CRF's transitions
// and the Bi-LSTM's softmax, which every sample updates, so a NaN shows there first.
export function weightsLookFinite(w: Float32Array): boolean {
  const step = Math.max(1, Math.floor(w.length / 65536));
  for (let i = 0; i < w.length; i += step) if (!Number.isFinite(w[i])) return false;
  const edge = Math.min(w.length, 4096);
  for (let i = 0; i < edge; i++) if (!Number.isFinite(w[i]) || !Number.isFinite(w[w.length - 1 - i])) return false;
  return true;
}
