// Bi-LSTM kernels (one LSTM direction per call) and the per-token softmax output layer, over raw
// pointers into the shared memory. No allocation, no mutable globals: every buffer is passed by
// pointer. Pure-TS twin and the size helpers: src/reference/lstm.ts.
//
// All f32, row-major. Pointers are byte offsets and need no alignment (16 bytes is best).
//
// One direction, input size I, hidden size H: parameters W (4H x (I+H)) then b (4H), i.e.
//   lstmParamCount(I, H) = 4H*(I+H) + 4H floats; b = W + 4*4H*(I+H) bytes.
// Rows of W / entries of b in gate order: [0,H) input i, [H,2H) forget f, [2H,3H) output o,
// [3H,4H) candidate g. Columns [0,I) multiply x_t, columns [I,I+H) multiply h_prev.
//   z_t = W [x_t; h_prev] + b;  i,f,o = sigmoid, g = tanh;  c_t = f*c_prev + i*g;  h_t = o*tanh(c_t)
// with h_prev = c_prev = 0 at the first step. reverse = 0 runs t = 0..T-1 (h_prev = h_{t-1});
// reverse != 0 runs t = T-1..0 (h_prev = h_{t+1}). Everything is stored at the token's own index t.
//
// Cache (written by lstm_forward, read by lstm_backward; lstmCacheFloats(H, T) = 6*H*T floats):
//   token t at cache + 4*6H*t:  [0,4H) activated gates i,f,o,g   [4H,5H) c_t   [5H,6H) h_t
// lstm_backward leaves the cache unchanged (it can run twice on one forward).
//
// Backward scratch (lstm_backward only), P(n) = n rounded up to a multiple of 4,
// lstmScratchBytes(H, T) = 4 * (T*4H + 3*P(H)) bytes, in this order (floats):
//   dZ   T x 4H  dL/dz_t of every step (row t)
//   rec  P(H)    W_h^T dz of the later step (the recurrent part of dL/dh_t)
//   dh   P(H)    dL/dh_t
//   dc   P(H)    dL/dc_t (carried)
//
// How the work is organised (all in SIMD, f32x4): only the recurrence runs step by step (one gemv of
// W_h h_prev forward, one gemvT of W_h^T dz_t backward, 4H x H each). Everything else is a
// register-blocked matrix product over all T steps (assembly/gemm.ts), which reuses each loaded
// weight for several tokens: forward the input part b + W_x x_t of every token (gemm_nt); backward,
// after the recurrence, dW_x, dW_h (gemm_tn) and dX (gemm_nn).
//   gemv / gemvT (assembly/linalg.ts) have their column loop unrolled through the memarg immediate
//             offsets for this recurrence (gemv x2: x4 makes TurboFan spill; gemvT x4).
// Measured on the 2-core EPYC, I = H = 280, T = 24: the products run at 36-37 GFLOP/s against 12-20
// for the per-token gemv / gemvT / ger they replace (bench: npm run bench -- kernels).
//
// Output layer over D = 2H: V (C x D) then bV (C), softmaxParamCount(C, D) = C*D + C floats.
//
// Flush-to-zero: c_t and h_t, and dz, dh, dc in backward, are set to 0 where |v| < 1e-25, so that
// long products (forget gates, vanishing gradients) never reach the slow subnormal range. Sigmoid
// arguments are clamped to [-30, 30] and tanh arguments to [-15, 15] (beyond which the f32 result
// is already exactly 0/1 or +-1 up to < 1e-13), so nothing overflows.
import { axpy, dot, gemv, gemvT, ger } from './linalg';
import { expCore4, f4, hsum4, pad4 } from './vmath';
import { gemm_nn, gemm_nt, gemm_tn } from './gemm';
import { adamBlock, writeBegin, writeEnd } from './block-step';

const FTZ: f32 = 1e-25;

@inline function exp4(x: v128): v128 {
  return expCore4(x);
}

// e^x for x <= 0; lanes under -87 give exactly 0 (no subnormals).
@inline function expNeg4(x: v128): v128 {
  const keep = f32x4.ge(x, f32x4.splat(-87.0));
  return v128.and(exp4(f32x4.max(x, f32x4.splat(-87.0))), keep);
}

// 1 / (1 + e^-x), argument clamped to [-30, 30]: relative error ~1e-7 everywhere.
@inline function sigmoid4(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-30.0)), f32x4.splat(30.0));
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(xc))));
}

// tanh: odd polynomial (Cephes tanhf) for |x| < 0.625, else 1 - 2/(e^{2x} + 1) with x clamped to
// [-15, 15]: relative error ~1e-7 everywhere.
@inline function tanh4(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-15.0)), f32x4.splat(15.0));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(exp4(f32x4.add(xc, xc)), f32x4.splat(1.0))));
  const z = f32x4.mul(xc, xc);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), xc), xc);
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(xc), f32x4.splat(0.625)));
}

// v where |v| >= FTZ, else 0
@inline function ftz4(v: v128): v128 {
  return v128.and(v, f32x4.ge(f32x4.abs(v), f32x4.splat(FTZ)));
}

// Scalar entry points with exactly the SIMD arithmetic (used for the H % 4 tails and exported for tests).
export function lstm_sigmoid(x: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(x)), 0);
}

export function lstm_tanh(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}

// y = x, n floats
@inline function vcopy(n: i32, x: usize, y: usize): void {
  memory.copy(y, x, f4(n));
}

@inline function vzero(n: i32, y: usize): void {
  memory.fill(y, 0, f4(n));
}

// Forward cell update for lanes (4 hidden units) at byte offset o. gates holds z on entry and the
// activations on exit; cp = c_prev (0 when hasPrev is false).
@inline function cell4(H4: usize, gates: usize, c: usize, h: usize, hout: usize, cprev: usize, hasPrev: bool, o: usize): void {
  const i = sigmoid4(v128.load(gates + o));
  const f = sigmoid4(v128.load(gates + H4 + o));
  const og = sigmoid4(v128.load(gates + 2 * H4 + o));
  const g = tanh4(v128.load(gates + 3 * H4 + o));
  let cv = f32x4.mul(i, g);
  if (hasPrev) cv = f32x4.add(cv, f32x4.mul(f, v128.load(cprev + o)));
  cv = ftz4(cv);
  const hv = ftz4(f32x4.mul(og, tanh4(cv)));
  v128.store(gates + o, i);
  v128.store(gates + H4 + o, f);
  v128.store(gates + 2 * H4 + o, og);
  v128.store(gates + 3 * H4 + o, g);
  v128.store(c + o, cv);
  v128.store(h + o, hv);
  v128.store(hout + o, hv);
}

// Same for one hidden unit (the H % 4 tail), with the same arithmetic lane by lane.
@inline function cell1(H4: usize, gates: usize, c: usize, h: usize, hout: usize, cprev: usize, hasPrev: bool, o: usize): void {
  const i = sigmoid4(f32x4.splat(load<f32>(gates + o)));
  const f = sigmoid4(f32x4.splat(load<f32>(gates + H4 + o)));
  const og = sigmoid4(f32x4.splat(load<f32>(gates + 2 * H4 + o)));
  const g = tanh4(f32x4.splat(load<f32>(gates + 3 * H4 + o)));
  let cv = f32x4.mul(i, g);
  if (hasPrev) cv = f32x4.add(cv, f32x4.mul(f, f32x4.splat(load<f32>(cprev + o))));
  cv = ftz4(cv);
  const hv = ftz4(f32x4.mul(og, tanh4(cv)));
  store<f32>(gates + o, f32x4.extract_lane(i, 0));
  store<f32>(gates + H4 + o, f32x4.extract_lane(f, 0));
  store<f32>(gates + 2 * H4 + o, f32x4.extract_lane(og, 0));
  store<f32>(gates + 3 * H4 + o, f32x4.extract_lane(g, 0));
  store<f32>(c + o, f32x4.extract_lane(cv, 0));
  store<f32>(h + o, f32x4.extract_lane(hv, 0));
  store<f32>(hout + o, f32x4.extract_lane(hv, 0));
}

// Runs one direction over T tokens: fills the cache (layout above) and writes h_t to
// hout + 4*t*houtStride (H floats). Token t's input is at X + 4*t*xstride (I floats).
// z_t = (b + W_x x_t) + W_h h_prev: the input part for all tokens first (one gemm_nt), then the
// recurrence, one gemv of W_h per step.
export function lstm_forward(W: usize, I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, hout: usize, houtStride: i32): void {
  const G = 4 * H;
  const lda = I + H;
  const b = W + f4(G * lda);
  const H4 = f4(H);
  const slotBytes = f4(6 * H);
  for (let t = 0; t < T; t++) vcopy(G, b, cache + <usize>t * slotBytes);
  gemm_nt(T, G, I, X, xstride, W, lda, cache, 6 * H);
  const Wh = W + f4(I);
  let prev: usize = 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const slot = cache + <usize>t * slotBytes;
    const gates = slot;
    const c = slot + 4 * H4;
    const h = slot + 5 * H4;
    const ho = hout + f4(t) * <usize>houtStride;
    let j = 0;
    if (s > 0) {
      gemv(G, H, Wh, lda, prev + 5 * H4, gates);
      const cprev = prev + 4 * H4;
      for (; j + 4 <= H; j += 4) cell4(H4, gates, c, h, ho, cprev, true, f4(j));
      for (; j < H; j++) cell1(H4, gates, c, h, ho, cprev, true, f4(j));
    } else {
      for (; j + 4 <= H; j += 4) cell4(H4, gates, c, h, ho, 0, false, f4(j));
      for (; j < H; j++) cell1(H4, gates, c, h, ho, 0, false, f4(j));
    }
    prev = slot;
  }
}

// Back-propagation through time for one direction, after lstm_forward filled `cache` with the same
// W, X, reverse. dL/dh_t (from the output layer) is read at dh + 4*t*dhStride (H floats).
// ACCUMULATES dW (+ db after it, same layout as W) and, unless dX == 0, dL/dx_t into
// dX + 4*t*dxStride (I floats). scratch: lstmScratchBytes(H, T) bytes (layout above).
// The recurrence needs only dh_prev = W_h^T dz_t (one gemvT of 4H x H per step); every dz_t is kept,
// and the rest is done after it as three matrix products over all steps:
//   dX += dZ W_x,  dW_x += dZ^T X,  dW_h += dZ^T [h_prev rows],  db += sum_t dz_t.
// It is the two halves below in sequence: lstm_backward_dz (everything that reads W) and
// lstm_weight_grad (the weight gradient, from dZ alone).
export function lstm_backward(W: usize, I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, dh: usize, dhStride: i32, dW: usize, dX: usize, dxStride: i32, scratch: usize): void {
  lstm_backward_dz(W, I, H, T, X, xstride, reverse, cache, dh, dhStride, dX, dxStride, scratch);
  lstm_weight_grad(I, H, T, X, xstride, reverse, cache, scratch, dW);
}

// The part of lstm_backward that reads W: the recurrence, leaving every dz_t in the scratch's dZ
// (row t), and dX += dZ W_x unless dX == 0. W is not read after it returns, so a caller may update
// W from dZ (lstm_weight_adam) while the scratch still holds it.
export function lstm_backward_dz(W: usize, I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, dh: usize, dhStride: i32, dX: usize, dxStride: i32, scratch: usize): void {
  const G = 4 * H;
  const lda = I + H;
  const H4 = f4(H);
  const slotBytes = f4(6 * H);
  const dZ = scratch;
  const rec = dZ + <usize>T * f4(G);
  const dhv = rec + f4(pad4(H));
  const dc = dhv + f4(pad4(H));
  const Wh = W + f4(I);
  vzero(H, dc);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const hasPrev = s > 0;
    const tp = reverse ? t + 1 : t - 1;
    const slot = cache + <usize>t * slotBytes;
    const gates = slot;
    const c = slot + 4 * H4;
    const cprev = cache + <usize>tp * slotBytes + 4 * H4;
    const dho = dh + f4(t) * <usize>dhStride;
    const dz = dZ + <usize>t * f4(G);
    // dh = dL/dh_t from the output + the recurrent part from the later step
    if (s < T - 1) {
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = f4(j);
        v128.store(dhv + o, f32x4.add(v128.load(dho + o), v128.load(rec + o)));
      }
      for (; j < H; j++) {
        const o = f4(j);
        store<f32>(dhv + o, load<f32>(dho + o) + load<f32>(rec + o));
      }
    } else {
      vcopy(H, dho, dhv);
    }
    // gates
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const o = f4(j);
      const iv = v128.load(gates + o);
      const fv = v128.load(gates + H4 + o);
      const ov = v128.load(gates + 2 * H4 + o);
      const gv = v128.load(gates + 3 * H4 + o);
      const tc = tanh4(v128.load(c + o));
      const dhj = v128.load(dhv + o);
      const one = f32x4.splat(1.0);
      // dc_t = dc (carried) + dh * o * (1 - tanh(c)^2)
      const dcv = f32x4.add(v128.load(dc + o), f32x4.mul(f32x4.mul(dhj, ov), f32x4.sub(one, f32x4.mul(tc, tc))));
      const cp = hasPrev ? v128.load(cprev + o) : f32x4.splat(0);
      v128.store(dz + o, ftz4(f32x4.mul(f32x4.mul(dcv, gv), f32x4.mul(iv, f32x4.sub(one, iv)))));
      v128.store(dz + H4 + o, ftz4(f32x4.mul(f32x4.mul(dcv, cp), f32x4.mul(fv, f32x4.sub(one, fv)))));
      v128.store(dz + 2 * H4 + o, ftz4(f32x4.mul(f32x4.mul(dhj, tc), f32x4.mul(ov, f32x4.sub(one, ov)))));
      v128.store(dz + 3 * H4 + o, ftz4(f32x4.mul(f32x4.mul(dcv, iv), f32x4.sub(one, f32x4.mul(gv, gv)))));
      v128.store(dc + o, ftz4(f32x4.mul(dcv, fv)));
    }
    for (; j < H; j++) {
      const o = f4(j);
      const iv = load<f32>(gates + o);
      const fv = load<f32>(gates + H4 + o);
      const ov = load<f32>(gates + 2 * H4 + o);
      const gv = load<f32>(gates + 3 * H4 + o);
      const tc = lstm_tanh(load<f32>(c + o));
      const dhj = load<f32>(dhv + o);
      const dcv = load<f32>(dc + o) + dhj * ov * (1 - tc * tc);
      const cp: f32 = hasPrev ? load<f32>(cprev + o) : 0;
      store<f32>(dz + o, ftz1(dcv * gv * (iv * (1 - iv))));
      store<f32>(dz + H4 + o, ftz1(dcv * cp * (fv * (1 - fv))));
      store<f32>(dz + 2 * H4 + o, ftz1(dhj * tc * (ov * (1 - ov))));
      store<f32>(dz + 3 * H4 + o, ftz1(dcv * iv * (1 - gv * gv)));
      store<f32>(dc + o, ftz1(dcv * fv));
    }
    // dh_prev = W_h^T dz_t, carried to the next step
    if (hasPrev) {
      vzero(H, rec);
      gemvT(G, H, Wh, lda, dz, rec);
      let k = 0;
      for (; k + 4 <= H; k += 4) v128.store(rec + f4(k), ftz4(v128.load(rec + f4(k))));
      for (; k < H; k++) store<f32>(rec + f4(k), ftz1(load<f32>(rec + f4(k))));
    }
  }
  if (dX != 0) gemm_nn(T, I, G, dZ, G, W, lda, dX, dxStride);
}

// Rows [r0, r0 + R) of the weight gradient, from the dZ that lstm_backward_dz left in `scratch`:
// ACCUMULATES dW_x and dW_h of those rows into C (row r0 at C, row stride ldc floats). gemm_tn
// computes each element in its own tile, so any split into row blocks of 4 gives the same floats.
@inline function weightGradRows(I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, dZ: usize, r0: i32, R: i32, C: usize, ldc: i32): void {
  const G = 4 * H;
  gemm_tn(R, I, T, dZ + f4(r0), G, X, xstride, C, ldc);
  if (T > 1) {
    // step t's h_prev is h_{t-1} (forward) or h_{t+1} (reverse): pair dZ rows with cache rows one apart
    const zRow0 = reverse ? 0 : 1;
    const hRow0 = reverse ? 1 : 0;
    gemm_tn(R, H, T - 1, dZ + <usize>zRow0 * f4(G) + f4(r0), G, cache + <usize>hRow0 * f4(6 * H) + 5 * f4(H), 6 * H, C + f4(I), ldc);
  }
}

// The weight half of lstm_backward: ACCUMULATES dW_x, dW_h and db (layout of W) from the dZ that
// lstm_backward_dz left in `scratch`.
export function lstm_weight_grad(I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, scratch: usize, dW: usize): void {
  const G = 4 * H;
  const lda = I + H;
  const db = dW + f4(G * lda);
  for (let t = 0; t < T; t++) axpy(G, 1, scratch + <usize>t * f4(G), db);
  weightGradRows(I, H, T, X, xstride, reverse, cache, scratch, 0, G, dW, lda);
}

// Rows of W per block in lstm_weight_adam; lstmAdamTileBytes(I, H) = 4 * max(8 (I+H), 4H) bytes.
const ADAM_ROWS = 8;

// lstm_weight_grad fused with the Adam step that follows it (serial and AsynGrad, per-sentence
// updates): for each block of ADAM_ROWS rows of W, the block's gradient goes into `tile` (in cache)
// and Adam updates those rows of W, m and v at once; then db and b the same way. The weight gradient
// never goes through memory: a separate gradient buffer costs a write and a read of the whole block
// (and its zeroing) per sentence, 2/5 of the memory traffic of gradient plus update. The floats are
// those of lstm_weight_grad into a zeroed buffer followed by adam_apply on the block (test/lstm-fused).
// W, m, v: this direction's block (W then b, as in lstm_forward) in the weights and in the moments.
// tile: lstmAdamTileBytes(I, H) bytes, any contents. With tag != 0 the block's stamp `sid` is marked
// around the writes (assembly/update.ts); returns 1 when that write overlapped another worker's.
export function lstm_weight_adam(W: usize, I: i32, H: i32, T: i32, X: usize, xstride: i32, reverse: i32, cache: usize, scratch: usize, m: usize, v: usize, lrt: f32, b1: f32, b2: f32, eps: f32, tile: usize, stamps: usize, sid: i32, tag: i32): i32 {
  const G = 4 * H;
  const lda = I + H;
  const overlap = tag != 0 ? writeBegin(stamps, sid, tag) : 0;
  // adamBlock zeroes what it consumed, so the tile is zero at the start of every block
  memory.fill(tile, 0, f4(ADAM_ROWS * lda > G ? ADAM_ROWS * lda : G));
  for (let r0 = 0; r0 < G; r0 += ADAM_ROWS) {
    const R = G - r0 < ADAM_ROWS ? G - r0 : ADAM_ROWS;
    weightGradRows(I, H, T, X, xstride, reverse, cache, scratch, r0, R, tile, lda);
    const o = <usize>r0 * f4(lda);
    adamBlock(W + o, tile, m + o, v + o, R * lda, lrt, b1, b2, eps);
  }
  const ob = f4(G * lda);
  for (let t = 0; t < T; t++) axpy(G, 1, scratch + <usize>t * f4(G), tile);
  adamBlock(W + ob, tile, m + ob, v + ob, G, lrt, b1, b2, eps);
  if (tag != 0) writeEnd(stamps, sid, tag);
  return overlap;
}

@inline function ftz1(v: f32): f32 {
  return Mathf.abs(v) >= FTZ ? v : 0;
}

// softmax of the C logits at p (in place), returns log(sum exp(l - max)) + max, i.e. logsumexp.
@inline function softmaxInPlace(C: i32, p: usize): f64 {
  let m = load<f32>(p);
  for (let k = 1; k < C; k++) m = Mathf.max(m, load<f32>(p + f4(k)));
  const vm = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= C; k += 4) {
    const o = f4(k);
    const e = expNeg4(f32x4.sub(v128.load(p + o), vm));
    v128.store(p + o, e);
    acc = f32x4.add(acc, e);
  }
  let s = hsum4(acc);
  for (; k < C; k++) {
    const o = f4(k);
    const e = f32x4.extract_lane(expNeg4(f32x4.splat(load<f32>(p + o) - m)), 0);
    store<f32>(p + o, e);
    s += e;
  }
  const inv = <f32>1.0 / s;
  const vi = f32x4.splat(inv);
  k = 0;
  for (; k + 4 <= C; k += 4) {
    const o = f4(k);
    v128.store(p + o, f32x4.mul(v128.load(p + o), vi));
  }
  for (; k < C; k++) {
    const o = f4(k);
    store<f32>(p + o, load<f32>(p + o) * inv);
  }
  return <f64>m + Math.log(<f64>s);
}

// Softmax cross-entropy per token over D-dimensional features (D = 2H). Hcat: T x D (row t =
// [h_fwd_t; h_bwd_t]). V: C x D then bV (C). labels: T i32, < 0 = no gold (no loss, zero dHcat row).
// Returns the summed NLL (f64). ACCUMULATES dV (+ dbV after it); WRITES dHcat (T x D) =
// V^T (p_t - onehot(y_t)). probs: T x C floats; on return row t holds the softmax probabilities of
// token t (for every token, gold or not).
export function softmax_xent(V: usize, C: i32, D: i32, T: i32, Hcat: usize, labels: usize, dV: usize, dHcat: usize, probs: usize): f64 {
  const bV = V + f4(C * D);
  const dbV = dV + f4(C * D);
  let loss: f64 = 0;
  for (let t = 0; t < T; t++) {
    const h = Hcat + f4(t * D);
    const p = probs + f4(t * C);
    const dh = dHcat + f4(t * D);
    vcopy(C, bV, p);
    gemv(C, D, V, D, h, p);
    const y = load<i32>(labels + f4(t));
    const ly: f32 = y >= 0 ? load<f32>(p + f4(y)) : 0;
    const lse = softmaxInPlace(C, p);
    vzero(D, dh);
    if (y < 0) continue;
    loss += lse - <f64>ly;
    // dV += (p - e_y) h^T; dbV += p - e_y; dh = V^T (p - e_y)
    ger(C, D, 1, p, h, dV, D);
    axpy(D, -1, h, dV + f4(y * D));
    axpy(C, 1, p, dbV);
    store<f32>(dbV + f4(y), load<f32>(dbV + f4(y)) - 1);
    gemvT(C, D, V, D, p, dh);
    axpy(D, -1, V + f4(y * D), dh);
  }
  return loss;
}

// out[t] (i32) = argmax_c (V h_t + bV)[c] (first maximum on ties). Needs no scratch.
export function softmax_predict(V: usize, C: i32, D: i32, T: i32, Hcat: usize, out: usize): void {
  const bV = V + f4(C * D);
  for (let t = 0; t < T; t++) {
    const h = Hcat + f4(t * D);
    let best = 0;
    let bestv: f32 = -Infinity;
    for (let k = 0; k < C; k++) {
      const v = dot(D, V + f4(k * D), h) + load<f32>(bV + f4(k));
      if (v > bestv) {
        bestv = v;
        best = k;
      }
    }
    store<i32>(out + f4(t), best);
  }
}

// Output scores of every token, out (T x C) = Hcat V^T + bV: the emission scores the Bi-LSTM-CRF's
// chain layer (chain_xent / chain_viterbi in assembly/crf.ts) reads. V: C x D then bV (C).
export function output_scores(V: usize, C: i32, D: i32, T: i32, Hcat: usize, out: usize): void {
  const bV = V + f4(C * D);
  for (let t = 0; t < T; t++) vcopy(C, bV, out + f4(t * C));
  gemm_nt(T, C, D, Hcat, D, V, D, out, C);
}

// Backward of output_scores, given G = dL/dout (T x C): ACCUMULATES dV += G^T Hcat and dbV += the
// column sums of G (after dV); WRITES dHcat (T x D) = G V.
export function output_backward(V: usize, C: i32, D: i32, T: i32, Hcat: usize, G: usize, dV: usize, dHcat: usize): void {
  const dbV = dV + f4(C * D);
  for (let t = 0; t < T; t++) axpy(C, 1, G + f4(t * C), dbV);
  gemm_tn(C, D, T, G, C, Hcat, D, dV, D);
  vzero(T * D, dHcat);
  gemm_nn(T, D, C, G, C, V, D, dHcat, D);
}
