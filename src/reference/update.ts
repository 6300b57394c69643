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

/** The k zero-gradient steps a lazy row missed, at once (see assembly/update.ts, adamCatchUp). */
export function adamCatchUp(w: Float32Array, m: Float32Array, v: Float32Array, lo: number, hi: number, k: number, lrt: number, b1: number, b2: number, eps: number): void {
  const q = b1 / Math.sqrt(b2);
  const s = (q * (1 - Math.pow(q, k))) / (1 - q);
  const mk = Math.pow(b1, k), vk = Math.pow(b2, k);
  for (let i = lo; i < hi; i++) {
    w[i] -= (lrt * s * m[i]) / (Math.sqrt(v[i]) + eps);
    m[i] *= mk;
    v[i] *= vk;
  }
}

/** One lazy row [lo, hi) (its step in last[r]) brought up to step `upTo`. */
function catchUpRow(w: Float32Array, m: Float32Array, v: Float32Array, lo: number, hi: number, last: Int32Array, r: number, upTo: number, lrt: number, b1: number, b2: number, eps: number): void {
  const k = upTo - last[r];
  if (k > 0) adamCatchUp(w, m, v, lo, hi, k, lrt, b1, b2, eps);
  last[r] = upTo;
}

/** adam_apply_lazy: entries with stamp >= rowStamp are rows, caught up over their missed steps first. */
export function adamApplyLazy(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, list: readonly Block[], lrt: number, b1: number, b2: number, eps: number, last: Int32Array, now: number, rowStamp: number): void {
  for (const [off, len, sid] of list) {
    if (sid >= rowStamp) {
      catchUpRow(w, m, v, off, off + len, last, sid - rowStamp, now - 1, lrt, b1, b2, eps);
      last[sid - rowStamp] = now;
    }
    adamRange(w, g, m, v, off, off + len, lrt, b1, b2, eps);
  }
}

/** adam_catch_up_rows: every row of a table brought up to step `now`. */
export function adamCatchUpRows(w: Float32Array, m: Float32Array, v: Float32Array, table: number, dim: number, rows: number, last: Int32Array, lastFrom: number, now: number, lrt: number, b1: number, b2: number, eps: number): void {
  for (let r = 0; r < rows; r++) catchUpRow(w, m, v, table + r * dim, table + (r + 1) * dim, last, lastFrom + r, now, lrt, b1, b2, eps);
}

/** adam_catch_up_list: the listed rows brought up to step `now` (before a sample reads them). */
export function adamCatchUpList(w: Float32Array, m: Float32Array, v: Float32Array, list: readonly Block[], last: Int32Array, now: number, lrt: number, b1: number, b2: number, eps: number, rowStamp: number): void {
  for (const [off, len, sid] of list) {
    if (sid >= rowStamp) catchUpRow(w, m, v, off, off + len, last, sid - rowStamp, now, lrt, b1, b2, eps);
  }
}
