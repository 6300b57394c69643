// Pure-TypeScript twin of assembly/crf.ts: a straightforward f64, log-space (log-sum-exp) linear-chain
// CRF with optional rich edge features (the paper's dense CRF). Same parameter layout as the kernels:
//   trans[p*Y + c] at 0 (Y*Y) | node[f*Y + y] at Y*Y (F*Y) | edge[f*Y*Y + p*Y + c] at Y*Y + F*Y (E*Y*Y)
// The edge score between positions t-1 and t is trans[p][c] + sum_{f in feats(t), f < E} edge[f][p][c].
// Stamp ids: 0 = transitions, 1+f = node row f, 1+F+f = edge block of feature f.

/** Anything indexable as numbers (Float32Array for the real weights, Float64Array for finite differences). */
export type Vec = ArrayLike<number>;
export type MutVec = { [i: number]: number; readonly length: number };

/** Byte offsets of the values crf_grad leaves in its scratch. */
export const CRF_SCRATCH_COUNT = 0; // i32: number of touched-list entries
export const CRF_SCRATCH_OVERLAP = 4; // i32: 1 when a read of w overlapped a write (account != 0)
export const CRF_SCRATCH_FALLBACK = 8; // i32: 1 when the log-space pass ran (scaled pass underflowed)
export const CRF_SCRATCH_WRITE_OVERLAP = 12; // i32: crf_step only: 1 when a block write overlapped another writer
/** Bytes of one touched-list entry [floatOffset, length, stampId]. */
export const CRF_LIST_ENTRY_BYTES = 12;

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * Scratch bytes that crf_grad, crf_grad_logspace, crf_nll, crf_marginals and crf_viterbi need for a
 * sentence of at most Tmax tokens (Yp = Y rounded up to 4, MS = Y*Y rounded up to 4, nm = E > 0 ? Tmax : 1):
 *   grad/nll/marginals: 64 + 4*(3*Tmax*Yp + 4*Yp + MS + 2*nm*MS)
 *   viterbi:            64 + 4*(3*Yp + MS + Y*Yp + Tmax*Yp)
 */
export function crfScratchBytes(Y: number, Tmax: number, E: number): number {
  const Yp = pad4(Y), MS = pad4(Y * Y), nm = E > 0 ? Tmax : 1;
  const grad = 64 + 4 * (3 * Tmax * Yp + 4 * Yp + MS + 2 * nm * MS);
  const vit = 64 + 4 * (3 * Yp + MS + Y * Yp + Tmax * Yp);
  return Math.max(grad, vit);
}

/** Upper bound on the touched-list entries of a sentence with `pairs` (token, feature) pairs. */
export function crfListCapacity(pairs: number): number {
  return 1 + 2 * pairs;
}

export function crfParamCount(Y: number, F: number, E: number): number {
  return Y * Y + F * Y + E * Y * Y;
}

export function crfStampCount(F: number, E: number): number {
  return 1 + F + E;
}

export const crfNodeOffset = (Y: number, f: number): number => Y * Y + f * Y;
export const crfEdgeOffset = (Y: number, F: number, f: number): number => Y * Y + F * Y + f * Y * Y;

/** Potentials of a sentence: node[t*Y + y] and edge[t*Y*Y + p*Y + c] (t >= 1; slot 0 unused). */
export interface CrfScores {
  T: number;
  Y: number;
  node: Float64Array;
  edge: Float64Array;
}

/** The feature of a featIds entry: an edge-only feature f (a B template line with macros) is listed as ~f. */
function featureOf(raw: number): number {
  return raw < 0 ? ~raw : raw;
}

export function crfScores(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, tok0: number, T: number): CrfScores {
  const YY = Y * Y;
  const node = new Float64Array(T * Y);
  const edge = new Float64Array(Math.max(T, 1) * YY);
  for (let t = 0; t < T; t++) {
    const j = tok0 + t;
    if (t > 0) for (let i = 0; i < YY; i++) edge[t * YY + i] = w[i];
    for (let k = featStart[j]; k < featStart[j + 1]; k++) {
      // ~f (negative): an edge-only feature f (a B line with macros), no node row
      const edgeOnly = featIds[k] < 0;
      const f = featureOf(featIds[k]);
      if (!edgeOnly) for (let y = 0; y < Y; y++) node[t * Y + y] += w[YY + f * Y + y];
      if (t > 0 && f < E) {
        const o = YY + F * Y + f * YY;
        for (let i = 0; i < YY; i++) edge[t * YY + i] += w[o + i];
      }
    }
  }
  return { T, Y, node, edge };
}

function lse(x: ArrayLike<number>, n = x.length): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > m) m = x[i];
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}

/** Score of a labelling `path` (path[t] for t < T). */
export function crfPathScore(sc: CrfScores, path: ArrayLike<number>): number {
  const { T, Y, node, edge } = sc;
  let s = 0;
  for (let t = 0; t < T; t++) {
    s += node[t * Y + path[t]];
    if (t > 0) s += edge[t * Y * Y + path[t - 1] * Y + path[t]];
  }
  return s;
}

export interface CrfMarginals {
  logZ: number;
  /** P(y_t = y) at t*Y + y */
  node: Float64Array;
  /** P(y_{t-1} = p, y_t = c) at t*Y*Y + p*Y + c, t >= 1 */
  edge: Float64Array;
}

/** Log-space forward-backward. */
export function crfForwardBackward(sc: CrfScores): CrfMarginals {
  const { T, Y, node, edge } = sc;
  const YY = Y * Y;
  const la = new Float64Array(T * Y);
  const lb = new Float64Array(T * Y);
  const tmp = new Float64Array(Y);
  for (let y = 0; y < Y; y++) la[y] = node[y];
  for (let t = 1; t < T; t++) {
    for (let c = 0; c < Y; c++) {
      for (let p = 0; p < Y; p++) tmp[p] = la[(t - 1) * Y + p] + edge[t * YY + p * Y + c];
      la[t * Y + c] = node[t * Y + c] + lse(tmp);
    }
  }
  const logZ = T > 0 ? lse(la.subarray((T - 1) * Y, T * Y)) : 0;
  for (let t = T - 2; t >= 0; t--) {
    for (let p = 0; p < Y; p++) {
      for (let c = 0; c < Y; c++) tmp[c] = edge[(t + 1) * YY + p * Y + c] + node[(t + 1) * Y + c] + lb[(t + 1) * Y + c];
      lb[t * Y + p] = lse(tmp);
    }
  }
  const nodeM = new Float64Array(T * Y);
  for (let i = 0; i < T * Y; i++) nodeM[i] = Math.exp(la[i] + lb[i] - logZ);
  const edgeM = new Float64Array(Math.max(T, 1) * YY);
  for (let t = 1; t < T; t++) {
    for (let p = 0; p < Y; p++) {
      for (let c = 0; c < Y; c++) {
        edgeM[t * YY + p * Y + c] = Math.exp(la[(t - 1) * Y + p] + edge[t * YY + p * Y + c] + node[t * Y + c] + lb[t * Y + c] - logZ);
      }
    }
  }
  return { logZ, node: nodeM, edge: edgeM };
}

/** log Z of the sentence [tok0, tok0+T). */
export function crfLogZ(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, tok0: number, T: number): number {
  return crfForwardBackward(crfScores(w, Y, F, E, featStart, featIds, tok0, T)).logZ;
}

/** -log p(labels | x) of the sentence [tok0, tok0+T) (no regularisation). */
export function crfNll(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, labels: Vec, tok0: number, T: number): number {
  if (T <= 0) return 0;
  const sc = crfScores(w, Y, F, E, featStart, featIds, tok0, T);
  const gold = crfPathScore(sc, Array.from({ length: T }, (_, t) => labels[tok0 + t]));
  return crfForwardBackward(sc).logZ - gold;
}

/** Node marginals P(y_t = y) (T*Y) and log Z. */
export function crfMarginals(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, tok0: number, T: number): CrfMarginals {
  return crfForwardBackward(crfScores(w, Y, F, E, featStart, featIds, tok0, T));
}

/**
 * Twin of crf_grad: returns -log p(labels | x) and ADDS its gradient (expected minus observed feature
 * counts) into g (same layout as w).
 */
export function crfGrad(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, labels: Vec, tok0: number, T: number, g: MutVec): number {
  if (T <= 0) return 0;
  const YY = Y * Y;
  const sc = crfScores(w, Y, F, E, featStart, featIds, tok0, T);
  const path = Array.from({ length: T }, (_, t) => labels[tok0 + t]);
  const m = crfForwardBackward(sc);
  for (let t = 0; t < T; t++) {
    const j = tok0 + t;
    const y = path[t];
    if (t > 0) {
      for (let i = 0; i < YY; i++) g[i] += m.edge[t * YY + i];
      g[path[t - 1] * Y + y] -= 1;
    }
    for (let k = featStart[j]; k < featStart[j + 1]; k++) {
      const edgeOnly = featIds[k] < 0;
      const f = featureOf(featIds[k]);
      const o = YY + f * Y;
      if (!edgeOnly) {
        for (let c = 0; c < Y; c++) g[o + c] += m.node[t * Y + c];
        g[o + y] -= 1;
      }
      if (t > 0 && f < E) {
        const eo = YY + F * Y + f * YY;
        for (let i = 0; i < YY; i++) g[eo + i] += m.edge[t * YY + i];
        g[eo + path[t - 1] * Y + y] -= 1;
      }
    }
  }
  return m.logZ - crfPathScore(sc, path);
}

/** The touched list crf_grad writes, in the same order: [floatOffset, length, stampId] entries. */
export function crfTouched(Y: number, F: number, E: number, featStart: Vec, featIds: Vec, tok0: number, T: number): Array<[number, number, number]> {
  const YY = Y * Y;
  const out: Array<[number, number, number]> = [];
  if (T > 1) out.push([0, YY, 0]);
  for (let t = 0; t < T; t++) {
    const j = tok0 + t;
    for (let k = featStart[j]; k < featStart[j + 1]; k++) {
      const edgeOnly = featIds[k] < 0;
      const f = featureOf(featIds[k]);
      if (!edgeOnly) out.push([crfNodeOffset(Y, f), Y, 1 + f]);
      if (t > 0 && f < E) out.push([crfEdgeOffset(Y, F, f), YY, 1 + F + f]);
    }
  }
  return out;
}

/**
 * Twin of crf_viterbi: best labelling into out[0..T) and its score. Ties go to the smallest label
 * (the previous label at each step, then the last label), as in the kernel.
 */
export function crfViterbi(w: Vec, Y: number, F: number, E: number, featStart: Vec, featIds: Vec, tok0: number, T: number, out: MutVec): number {
  if (T <= 0) return 0;
  return viterbiOn(crfScores(w, Y, F, E, featStart, featIds, tok0, T), out, 0);
}

/** Viterbi over potentials: the best labelling into out[oo..oo+T) and its score. */
function viterbiOn(sc: CrfScores, out: MutVec, oo: number): number {
  const { T, Y, node, edge } = sc;
  const YY = Y * Y;
  let d = new Float64Array(Y);
  let d1 = new Float64Array(Y);
  const bp = new Int32Array(T * Y);
  for (let y = 0; y < Y; y++) d[y] = node[y];
  for (let t = 1; t < T; t++) {
    for (let c = 0; c < Y; c++) {
      let best = -Infinity;
      let arg = 0;
      for (let p = 0; p < Y; p++) {
        const v = d[p] + edge[t * YY + p * Y + c];
        if (v > best) {
          best = v;
          arg = p;
        }
      }
      d1[c] = best + node[t * Y + c];
      bp[t * Y + c] = arg;
    }
    [d, d1] = [d1, d];
  }
  let by = 0;
  for (let y = 1; y < Y; y++) if (d[y] > d[by]) by = y;
  const score = d[by];
  out[oo + T - 1] = by;
  for (let t = T - 1; t >= 1; t--) {
    by = bp[t * Y + by];
    out[oo + t - 1] = by;
  }
  return score;
}

// ---- The chain CRF over given emission scores (twins of chain_xent / chain_marginals / chain_viterbi) ----
// emis (T x Y) at eo, trans (Y x Y, previous-major) at to.

/** The potentials of a chain: emission rows as node scores, trans at every t >= 1. */
export function chainScores(Y: number, T: number, emis: Vec, eo: number, trans: Vec, to: number): CrfScores {
  const YY = Y * Y;
  const node = new Float64Array(T * Y);
  const edge = new Float64Array(Math.max(T, 1) * YY);
  for (let i = 0; i < T * Y; i++) node[i] = emis[eo + i];
  for (let t = 1; t < T; t++) for (let i = 0; i < YY; i++) edge[t * YY + i] = trans[to + i];
  return { T, Y, node, edge };
}

/**
 * Twin of chain_xent: returns -log p(labels | emis), WRITES dL/demis over emis (marginal minus
 * one-hot) and ADDS the expected minus observed transition counts into dTrans.
 */
export function chainXent(Y: number, T: number, emis: MutVec & Vec, eo: number, trans: Vec, to: number, labels: Vec, lo: number, dTrans: MutVec, dto: number): number {
  if (T <= 0) return 0;
  const YY = Y * Y;
  const sc = chainScores(Y, T, emis, eo, trans, to);
  const path = Array.from({ length: T }, (_, t) => labels[lo + t]);
  const m = crfForwardBackward(sc);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < Y; y++) emis[eo + t * Y + y] = m.node[t * Y + y] - (y === path[t] ? 1 : 0);
    if (t > 0) {
      for (let i = 0; i < YY; i++) dTrans[dto + i] += m.edge[t * YY + i];
      dTrans[dto + path[t - 1] * Y + path[t]] -= 1;
    }
  }
  return m.logZ - crfPathScore(sc, path);
}

/** Twin of chain_viterbi: the best labelling into out[oo..oo+T) and its score (same tie rule). */
export function chainViterbi(Y: number, T: number, emis: Vec, eo: number, trans: Vec, to: number, out: MutVec, oo: number): number {
  if (T <= 0) return 0;
  return viterbiOn(chainScores(Y, T, emis, eo, trans, to), out, oo);
}
