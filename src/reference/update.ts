// Pure-TypeScript twins of assembly/update.ts (without the atomics: the reference is single-threaded).

/** Touched-list entry: [offset, length, stamp] in floats. */
export type Block = readonly [number, number, number];

export function sgdApply(w: Float32Array, g: Float32Array, list: readonly Block[], a: number): void {
  for (const [off, len] of list) {
    for (let i = off; i < off + len; i++) {
      w[i] += a * g[i];
      g[i] = 0;
    }
  }
}

export function sgdApplyRange(w: Float32Array, g: Float32Array, list: readonly Block[], a: number, lo: number, hi: number): void {
  for (const [off, len] of list) {
    for (let i = Math.max(off, lo); i < Math.min(off + len, hi); i++) {
      w[i] += a * g[i];
      g[i] = 0;
    }
  }
}

export function adamApply(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, list: readonly Block[], lrt: number, b1: number, b2: number, eps: number): void {
  for (const [off, len] of list) adamRange(w, g, m, v, off, off + len, lrt, b1, b2, eps);
}

export function adamRange(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lo: number, hi: number, lrt: number, b1: number, b2: number, eps: number): void {
  for (let i = lo; i < hi; i++) {
    const gi = g[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    w[i] -= (lrt * m[i]) / (Math.sqrt(v[i]) + eps);
    g[i] = 0;
  }
}
