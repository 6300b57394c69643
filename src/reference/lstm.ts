// Pure-TypeScript twin of assembly/lstm.ts (one LSTM direction, softmax output layer), in plain f64
// arithmetic, and the size helpers the TypeScript side uses to lay out memory for the kernels.
// Arrays are views (Float32Array, or Float64Array for exact finite differences); offsets are
// element indices; strides are in elements.
//
// Layouts (see assembly/lstm.ts for the full description):
//   W (4H x (I+H)) then b (4H); gate order i, f, o, g; columns [0,I) x_t, [I,I+H) h_prev.
//   cache, token t at t*6H: [0,4H) activated gates i,f,o,g, [4H,5H) c_t, [5H,6H) h_t.
//   V (C x D) then bV (C).

export type Vec = Float32Array | Float64Array;

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

/** Floats of one direction's parameters: W (4H x (I+H)) then b (4H). */
export function lstmParamCount(I: number, H: number): number {
  return 4 * H * (I + H) + 4 * H;
}

/** Floats of one direction's forward cache for T tokens: 6H per token (gates i,f,o,g; c; h). */
export function lstmCacheFloats(H: number, T: number): number {
  return 6 * H * T;
}

/**
 * Bytes of lstm_backward's scratch for up to T tokens, P(n) = n rounded up to a multiple of 4:
 * dZ (T x 4H), rec (P(H)), dh (P(H)), dc (P(H)) floats.
 */
export function lstmScratchBytes(H: number, T: number): number {
  return 4 * (T * 4 * H + 3 * pad4(H));
}

/** Bytes of lstm_weight_adam's tile: max(8 rows of W, the bias), i.e. 4 * max(8 (I+H), 4H). */
export function lstmAdamTileBytes(I: number, H: number): number {
  return 4 * Math.max(8 * (I + H), 4 * H);
}

/** Floats of the output layer over D features: V (C x D) then bV (C). */
export function softmaxParamCount(C: number, D: number): number {
  return C * D + C;
}

/** Floats of softmax_xent's probs scratch: T x C. */
export function softmaxProbsFloats(C: number, T: number): number {
  return C * T;
}

/** Multiply-add flops of forward + backward of one direction over T tokens (3 passes of 2*4H*(I+H) per token). */
export function lstmFlops(I: number, H: number, T: number): number {
  return 3 * 2 * 4 * H * (I + H) * T;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** z_t = W [x_t; h_prev] + b, then the cell. Writes the cache and h_t at hout[ho + t*houtStride]. */
export function lstmForward(
  W: Vec, wo: number, I: number, H: number, T: number,
  X: Vec, xo: number, xstride: number, reverse: boolean,
  cache: Vec, co: number, hout: Vec, ho: number, houtStride: number,
): void {
  const G = 4 * H, lda = I + H, bo = wo + G * lda;
  const z = new Float64Array(G);
  let prev = -1;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const x = xo + t * xstride;
    const slot = co + t * 6 * H;
    for (let r = 0; r < G; r++) {
      let acc = W[bo + r];
      const row = wo + r * lda;
      for (let j = 0; j < I; j++) acc += W[row + j] * X[x + j];
      if (prev >= 0) for (let j = 0; j < H; j++) acc += W[row + I + j] * cache[prev + 5 * H + j];
      z[r] = acc;
    }
    for (let j = 0; j < H; j++) {
      const i = sigmoid(z[j]), f = sigmoid(z[H + j]), o = sigmoid(z[2 * H + j]), g = Math.tanh(z[3 * H + j]);
      const c = i * g + (prev >= 0 ? f * cache[prev + 4 * H + j] : 0);
      const h = o * Math.tanh(c);
      cache[slot + j] = i;
      cache[slot + H + j] = f;
      cache[slot + 2 * H + j] = o;
      cache[slot + 3 * H + j] = g;
      cache[slot + 4 * H + j] = c;
      cache[slot + 5 * H + j] = h;
      hout[ho + t * houtStride + j] = h;
    }
    prev = slot;
  }
}

/**
 * Back-propagation through time for one direction. dL/dh_t at dh[dho + t*dhStride]. ACCUMULATES dW
 * (and db after it) and, when dX is not null, dL/dx_t into dX[dxo + t*dxStride].
 */
export function lstmBackward(
  W: Vec, wo: number, I: number, H: number, T: number,
  X: Vec, xo: number, xstride: number, reverse: boolean,
  cache: Vec, co: number, dh: Vec, dho: number, dhStride: number,
  dW: Vec, dwo: number, dX: Vec | null, dxo: number, dxStride: number,
): void {
  const G = 4 * H, lda = I + H, dbo = dwo + G * lda;
  const dz = new Float64Array(G);
  const dc = new Float64Array(H);
  const dhrec = new Float64Array(H);
  const dht = new Float64Array(H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const hasPrev = s > 0;
    const slot = co + t * 6 * H;
    const pslot = co + (reverse ? t + 1 : t - 1) * 6 * H;
    for (let j = 0; j < H; j++) dht[j] = dh[dho + t * dhStride + j] + (s < T - 1 ? dhrec[j] : 0);
    for (let j = 0; j < H; j++) {
      const i = cache[slot + j], f = cache[slot + H + j], o = cache[slot + 2 * H + j], g = cache[slot + 3 * H + j];
      const tc = Math.tanh(cache[slot + 4 * H + j]);
      const dcj = dc[j] + dht[j] * o * (1 - tc * tc);
      const cp = hasPrev ? cache[pslot + 4 * H + j] : 0;
      dz[j] = dcj * g * i * (1 - i);
      dz[H + j] = dcj * cp * f * (1 - f);
      dz[2 * H + j] = dht[j] * tc * o * (1 - o);
      dz[3 * H + j] = dcj * i * (1 - g * g);
      dc[j] = dcj * f;
    }
    const x = xo + t * xstride;
    for (let r = 0; r < G; r++) {
      const d = dz[r];
      dW[dbo + r] += d;
      const row = dwo + r * lda;
      for (let j = 0; j < I; j++) dW[row + j] += d * X[x + j];
      if (hasPrev) for (let j = 0; j < H; j++) dW[row + I + j] += d * cache[pslot + 5 * H + j];
    }
    if (dX) {
      const dx = dxo + t * dxStride;
      for (let j = 0; j < I; j++) {
        let acc = 0;
        for (let r = 0; r < G; r++) acc += W[wo + r * lda + j] * dz[r];
        dX[dx + j] += acc;
      }
    }
    if (hasPrev) {
      for (let j = 0; j < H; j++) {
        let acc = 0;
        for (let r = 0; r < G; r++) acc += W[wo + r * lda + I + j] * dz[r];
        dhrec[j] = acc;
      }
    }
  }
}

/**
 * Twin of lstm_weight_adam: the direction's weight gradient (as lstmBackward computes it) followed
 * by one Adam step of its block (W then b, at wo in W and in the moments m and v). dh, dX as in
 * lstmBackward (dX may be null).
 */
export function lstmBackwardAdam(
  W: Float32Array, wo: number, I: number, H: number, T: number,
  X: Vec, xo: number, xstride: number, reverse: boolean,
  cache: Vec, co: number, dh: Vec, dho: number, dhStride: number, dX: Vec | null, dxo: number, dxStride: number,
  m: Float32Array, v: Float32Array, lrt: number, b1: number, b2: number, eps: number,
): void {
  const n = lstmParamCount(I, H);
  const g = new Float64Array(n);
  lstmBackward(W, wo, I, H, T, X, xo, xstride, reverse, cache, co, dh, dho, dhStride, g, 0, dX, dxo, dxStride);
  for (let i = 0; i < n; i++) {
    const j = wo + i;
    m[j] = b1 * m[j] + (1 - b1) * g[i];
    v[j] = b2 * v[j] + (1 - b2) * g[i] * g[i];
    W[j] -= (lrt * m[j]) / (Math.sqrt(v[j]) + eps);
  }
}

/** logits of token t: V h_t + bV into out (length C) */
function logits(V: Vec, vo: number, C: number, D: number, Hcat: Vec, h: number, out: Float64Array): void {
  for (let k = 0; k < C; k++) {
    let acc = V[vo + C * D + k];
    for (let j = 0; j < D; j++) acc += V[vo + k * D + j] * Hcat[h + j];
    out[k] = acc;
  }
}

/**
 * Softmax cross-entropy per token (Hcat: T x D at hco). Returns the summed NLL; ACCUMULATES dV (+dbV);
 * WRITES dHcat (T x D at dhco). Labels < 0: no loss, zero dHcat row. probs (T x C), if given, gets
 * the probabilities of every token.
 */
export function softmaxXent(
  V: Vec, vo: number, C: number, D: number, T: number, Hcat: Vec, hco: number,
  labels: Int32Array, lo: number, dV: Vec, dvo: number, dHcat: Vec, dhco: number, probs: Vec | null = null,
): number {
  const p = new Float64Array(C);
  const dbo = dvo + C * D;
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const h = hco + t * D;
    logits(V, vo, C, D, Hcat, h, p);
    const y = labels[lo + t];
    let m = -Infinity;
    for (let k = 0; k < C; k++) m = Math.max(m, p[k]);
    let s = 0;
    for (let k = 0; k < C; k++) s += Math.exp(p[k] - m);
    const lse = m + Math.log(s);
    const ly = y >= 0 ? p[y] : 0;
    for (let k = 0; k < C; k++) p[k] = Math.exp(p[k] - lse);
    if (probs) for (let k = 0; k < C; k++) probs[t * C + k] = p[k];
    const dh = dhco + t * D;
    for (let j = 0; j < D; j++) dHcat[dh + j] = 0;
    if (y < 0) continue;
    loss += lse - ly;
    p[y] -= 1;
    for (let k = 0; k < C; k++) {
      dV[dbo + k] += p[k];
      for (let j = 0; j < D; j++) {
        dV[dvo + k * D + j] += p[k] * Hcat[h + j];
        dHcat[dh + j] += V[vo + k * D + j] * p[k];
      }
    }
  }
  return loss;
}

/** argmax label per token (first maximum on ties) into out[oo + t]. */
export function softmaxPredict(V: Vec, vo: number, C: number, D: number, T: number, Hcat: Vec, hco: number, out: Int32Array, oo: number): void {
  const p = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    logits(V, vo, C, D, Hcat, hco + t * D, p);
    let best = 0;
    for (let k = 1; k < C; k++) if (p[k] > p[best]) best = k;
    out[oo + t] = best;
  }
}

/** Twin of output_scores: out[oo + t*C + k] = (V h_t + bV)[k] for every token. */
export function outputScores(V: Vec, vo: number, C: number, D: number, T: number, Hcat: Vec, hco: number, out: Vec, oo: number): void {
  const p = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    logits(V, vo, C, D, Hcat, hco + t * D, p);
    for (let k = 0; k < C; k++) out[oo + t * C + k] = p[k];
  }
}

/** Twin of output_backward: ACCUMULATES dV += G^T Hcat (and dbV += column sums of G); WRITES dHcat = G V. */
export function outputBackward(V: Vec, vo: number, C: number, D: number, T: number, Hcat: Vec, hco: number, G: Vec, go: number, dV: Vec, dvo: number, dHcat: Vec, dhco: number): void {
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < D; j++) dHcat[dhco + t * D + j] = 0;
    for (let k = 0; k < C; k++) {
      const gk = G[go + t * C + k];
      dV[dvo + C * D + k] += gk;
      for (let j = 0; j < D; j++) {
        dV[dvo + k * D + j] += gk * Hcat[hco + t * D + j];
        dHcat[dhco + t * D + j] += gk * V[vo + k * D + j];
      }
    }
  }
}
