// Linear-chain CRF kernels (standard and dense/rich-edge), over raw pointers into the shared memory.
// No allocation, no mutable globals: every buffer is passed by pointer. Pure-TS twin: src/reference/crf.ts.
//
// Parameters w (f32), in this order (float offsets):
//   trans[p*Y + c]            at 0             (Y*Y)
//   node[f*Y + y]             at Y*Y           (F*Y)
//   edge[f*Y*Y + p*Y + c]     at Y*Y + F*Y     (E*Y*Y), only for the frequent features f < E
// Score of a labelling y of tokens 0..T-1:
//   sum_t sum_{f in feats(t)} node[f][y_t]
//   + sum_{t>=1} (trans[y_{t-1}][y_t] + sum_{f in feats(t), f < E} edge[f][y_{t-1}][y_t])
// Data (i32): featStart (nTok+1), featIds, labels; a sentence is the token range [tok0, tok0+T).
// An edge-only feature f (a CRF++ B line with macros; f < E) is listed as ~f: it adds its edge
// block only, never its node row (which stays 0).
// Stamps (i32, one per block): 0 = transitions, 1+f = node row f, 1+F+f = edge block of feature f.
//
// Scratch (byte pointer, 16-byte aligned; 64 recommended). Yp = Y rounded up to a multiple of 4,
// MS = Y*Y rounded up to a multiple of 4, nm = (E > 0 ? T : 1):
//   byte 0  i32  crf_grad: number of touched-list entries written
//   byte 4  i32  crf_grad: read-overlap flag (1 = a read of w overlapped a write; 0 otherwise)
//   byte 8  i32  1 when the log-space fallback ran (the scaled pass underflowed), else 0
//   byte 64 ...  f32 arrays:
//     S  T*Yp   raw node scores (padding lanes -1e30)
//     N  T*Yp   exp'd node potentials exp(S_t - max S_t) (padding 0)
//     A  T*Yp   scaled forward vectors alpha_t, then overwritten by the node marginals P(y_t)
//     V  4*Yp   work vectors (beta, node*beta, u, tmp)
//     Q  MS     E = 0: sum over positions of the edge marginals
//     R  nm*MS  raw edge scores: slot 0 = transitions; with E > 0 slot t (t >= 1) = edge matrix of position t
//     X  nm*MS  exp'd edge potentials exp(R - max R); with E > 0 overwritten by the edge marginals of t
//   scratch bytes (crf_grad, crf_nll, crf_marginals) = 64 + 4*(3*T*Yp + 4*Yp + MS + 2*nm*MS)
//   crf_viterbi needs 64 + 4*(3*Yp + MS + Y*Yp + T*Yp) bytes, which is never more than the above.
//   crfScratchBytes(Y, Tmax, E) in src/reference/crf.ts computes the maximum of both.
// Touched list (crf_grad): entries of three i32 [floatOffset, length, stampId], at most
//   1 + 2 * (number of (token, feature) pairs of the sentence) entries (12 bytes each).
import { gemv, gemvT } from './linalg';
import { expCore4, f4, hsum4, pad4 } from './vmath';

const HDR: usize = 64;
// The scaled pass gives up (and the log-space pass runs instead) when a normaliser falls under TINY:
// exp'd potentials are flushed to 0 under e^-87 ~ 1.6e-38, so the mass lost per position is at most
// Y*Y*1.6e-38, negligible against TINY.
const TINY: f32 = 1e-25;
const PADV: f32 = -1e30;

// The feature of a featIds entry: an edge-only feature f is listed as ~f (see the top of this file).
@inline function featureOf(raw: i32): i32 {
  return raw < 0 ? ~raw : raw;
}

@inline function hmax4(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

// e^x per lane for x <= 0; lanes under -87 (and NaN) give exactly 0, so no subnormal ever comes out.
@inline function exp4(x: v128): v128 {
  const keep = f32x4.ge(x, f32x4.splat(-87.0));
  return v128.and(expCore4(f32x4.max(x, f32x4.splat(-87.0))), keep);
}

// y[i] += x[i], i < n (any n; pointers need no alignment)
@inline function vadd(n: i32, x: usize, y: usize): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = f4(i);
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
    v128.store(y + o + 16, f32x4.add(v128.load(y + o + 16), v128.load(x + o + 16)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = f4(i);
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = f4(i);
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

// y[i] += a * x[i], i < n
@inline function vaxpy(n: i32, a: f32, x: usize, y: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = f4(i);
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = f4(i);
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

// y[i] = a * y[i] * x[i], i < n
@inline function vmulScaled(n: i32, a: f32, x: usize, y: usize): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = f4(i);
    v128.store(y + o, f32x4.mul(va, f32x4.mul(v128.load(y + o), v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = f4(i);
    store<f32>(y + o, a * load<f32>(y + o) * load<f32>(x + o));
  }
}

@inline function vcopy(n: i32, x: usize, y: usize): void {
  memory.copy(y, x, f4(n));
}

@inline function vfill(n: i32, v: f32, y: usize): void {
  for (let i = 0; i < n; i++) store<f32>(y + f4(i), v);
}

// The following take n4 = a multiple of 4.
@inline function vmax4(n4: i32, x: usize): f32 {
  let m = v128.load(x);
  for (let i = 4; i < n4; i += 4) m = f32x4.max(m, v128.load(x + f4(i)));
  return hmax4(m);
}

// y = exp(x - m)
@inline function vexpShift4(n4: i32, x: usize, m: f32, y: usize): void {
  const vm = f32x4.splat(m);
  for (let i = 0; i < n4; i += 4) {
    const o = f4(i);
    v128.store(y + o, exp4(f32x4.sub(v128.load(x + o), vm)));
  }
}

// y *= x; returns sum y
@inline function vmulSum4(n4: i32, x: usize, y: usize): f32 {
  let s = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const o = f4(i);
    const v = f32x4.mul(v128.load(y + o), v128.load(x + o));
    v128.store(y + o, v);
    s = f32x4.add(s, v);
  }
  return hsum4(s);
}

// z = x * y
@inline function vmul3_4(n4: i32, x: usize, y: usize, z: usize): void {
  for (let i = 0; i < n4; i += 4) {
    const o = f4(i);
    v128.store(z + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
}

// y = a * x
@inline function vscale4(n4: i32, a: f32, x: usize, y: usize): void {
  const va = f32x4.splat(a);
  for (let i = 0; i < n4; i += 4) {
    const o = f4(i);
    v128.store(y + o, f32x4.mul(va, v128.load(x + o)));
  }
}

@inline function vsum4(n4: i32, x: usize): f32 {
  let s = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) s = f32x4.add(s, v128.load(x + f4(i)));
  return hsum4(s);
}

@inline function vdot4(n4: i32, x: usize, y: usize): f32 {
  let s = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const o = f4(i);
    s = f32x4.add(s, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  return hsum4(s);
}

@inline function vzero4(n4: i32, y: usize): void {
  const z = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) v128.store(y + f4(i), z);
}

// Read accounting (stamps as in update.ts): the stamp before the read is s0; the read overlapped a
// write when a writer was inside the block (s0 odd) or the stamp moved meanwhile.
@inline function readOverlap(stamps: usize, sid: i32, s0: i32): i32 {
  const s1 = atomic.load<i32>(stamps + f4(sid));
  return ((s0 & 1) != 0 || s0 != s1) ? 1 : 0;
}

// Phase 1: copies what the sentence needs out of w: node scores S_t (T*Yp), transitions into R slot 0,
// and (E > 0) the edge matrices of positions t >= 1 into R slot t. Returns the read-overlap flag.
function readScores(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, tok0: i32, T: i32, S: usize, R: usize, stamps: usize, account: i32): i32 {
  const Yp = pad4(Y), YY = Y * Y, MS = pad4(YY);
  let ov = 0;
  if (T > 1) {
    let s0 = 0;
    if (account != 0) s0 = atomic.load<i32>(stamps);
    vcopy(YY, w, R);
    if (account != 0) ov |= readOverlap(stamps, 0, s0);
    vfill(MS - YY, PADV, R + f4(YY));
  }
  const nodeBase = w + f4(YY);
  const edgeBase = w + f4(YY + F * Y);
  for (let t = 0; t < T; t++) {
    const St = S + f4(t * Yp);
    vfill(Y, 0, St);
    vfill(Yp - Y, PADV, St + f4(Y));
    let Rt: usize = 0;
    if (E > 0 && t > 0) {
      Rt = R + f4(t * MS);
      vcopy(MS, R, Rt);
    }
    const j = tok0 + t;
    const a = load<i32>(featStart + f4(j));
    const b = load<i32>(featStart + f4(j + 1));
    for (let k = a; k < b; k++) {
      const raw = load<i32>(featIds + f4(k));
      const f = featureOf(raw);
      let s0 = 0;
      if (raw >= 0) {
        if (account != 0) s0 = atomic.load<i32>(stamps + f4(1 + f));
        vadd(Y, nodeBase + f4(f * Y), St);
        if (account != 0) ov |= readOverlap(stamps, 1 + f, s0);
      }
      if (Rt != 0 && f < E) {
        if (account != 0) s0 = atomic.load<i32>(stamps + f4(1 + F + f));
        vadd(YY, edgeBase + f4(f * YY), Rt);
        if (account != 0) ov |= readOverlap(stamps, 1 + F + f, s0);
      }
    }
  }
  return ov;
}

function goldScore(Y: i32, E: i32, labels: usize, tok0: i32, T: i32, S: usize, R: usize): f64 {
  const Yp = pad4(Y), MS = pad4(Y * Y);
  let s: f64 = 0;
  let prev = 0;
  for (let t = 0; t < T; t++) {
    const y = load<i32>(labels + f4(tok0 + t));
    s += <f64>load<f32>(S + f4(t * Yp + y));
    if (t > 0) {
      const Rt = E > 0 ? R + f4(t * MS) : R;
      s += <f64>load<f32>(Rt + f4(prev * Y + y));
    }
    prev = y;
  }
  return s;
}

// Phase 2, fast: scaled forward pass in probability space. Returns log Z, or NaN when a normaliser
// underflowed (then the log-space pass must run).
function fastForward(Y: i32, E: i32, T: i32, S: usize, N: usize, A: usize, R: usize, X: usize): f64 {
  const Yp = pad4(Y), MS = pad4(Y * Y);
  let logZ: f64 = 0;
  if (T > 1 && E == 0) {
    const mx = vmax4(MS, R);
    vexpShift4(MS, R, mx, X);
    logZ += <f64>mx * <f64>(T - 1);
  }
  {
    const m = vmax4(Yp, S);
    vexpShift4(Yp, S, m, N);
    const sum = vsum4(Yp, N);
    vscale4(Yp, 1 / sum, N, A);
    logZ += <f64>m + Math.log(<f64>sum);
  }
  for (let t = 1; t < T; t++) {
    let Xt = X;
    if (E > 0) {
      const Rt = R + f4(t * MS);
      Xt = X + f4(t * MS);
      const mx = vmax4(MS, Rt);
      vexpShift4(MS, Rt, mx, Xt);
      logZ += <f64>mx;
    }
    const St = S + f4(t * Yp), Nt = N + f4(t * Yp), At = A + f4(t * Yp);
    const m = vmax4(Yp, St);
    vexpShift4(Yp, St, m, Nt);
    vzero4(Yp, At);
    gemvT(Y, Y, Xt, Y, At - f4(Yp), At);
    const sum = vmulSum4(Yp, Nt, At);
    if (!(sum >= TINY)) return NaN;
    vscale4(Yp, 1 / sum, At, At);
    logZ += <f64>m + Math.log(<f64>sum);
  }
  return logZ;
}

// Phase 2, fast: scaled backward pass. Leaves the node marginals in A and the edge marginals in Q
// (E = 0, summed over positions) or X slot t (E > 0). Returns 1 when a normaliser underflowed.
function fastBackward(Y: i32, E: i32, T: i32, N: usize, A: usize, X: usize, Q: usize, V: usize): i32 {
  const Yp = pad4(Y), YY = Y * Y, MS = pad4(YY);
  const bet = V, wv = V + f4(Yp), u = V + f4(2 * Yp);
  vzero4(Yp, bet);
  vfill(Y, 1, bet);
  if (E == 0) vzero4(MS, Q);
  for (let t = T - 1; t >= 1; t--) {
    const At = A + f4(t * Yp), Ap = At - f4(Yp), Nt = N + f4(t * Yp);
    const Xt = E > 0 ? X + f4(t * MS) : X;
    // node marginal of position t (alpha_t is not needed any more)
    const ps = vmulSum4(Yp, bet, At);
    if (!(ps >= TINY)) return 1;
    vscale4(Yp, 1 / ps, At, At);
    // u[p] = sum_c X_t[p][c] N_t[c] beta_t[c]
    vmul3_4(Yp, Nt, bet, wv);
    vzero4(Yp, u);
    gemv(Y, Y, Xt, Y, wv, u);
    const norm = vdot4(Yp, Ap, u);
    if (!(norm >= TINY)) return 1;
    const inv: f32 = 1 / norm;
    // edge marginal P(y_{t-1} = p, y_t = c) = alpha_{t-1}[p] X_t[p][c] wv[c] / norm
    if (E == 0) {
      for (let p = 0; p < Y; p++) {
        const a = load<f32>(Ap + f4(p)) * inv;
        if (a != 0) vaxpy(Y, a, wv, Q + f4(p * Y));
      }
    } else {
      for (let p = 0; p < Y; p++) vmulScaled(Y, load<f32>(Ap + f4(p)) * inv, wv, Xt + f4(p * Y));
    }
    const su = vsum4(Yp, u);
    if (!(su >= TINY)) return 1;
    vscale4(Yp, 1 / su, u, bet);
  }
  const ps = vmulSum4(Yp, bet, A);
  if (!(ps >= TINY)) return 1;
  vscale4(Yp, 1 / ps, A, A);
  if (E == 0 && T > 1) vmulSum4(MS, X, Q);
  return 0;
}

// log sum_i exp(x[i]) over n f32 values, in f64.
function lseVec(n: i32, x: usize): f64 {
  let m: f64 = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, <f64>load<f32>(x + f4(i)));
  if (m == -Infinity) return m;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += Math.exp(<f64>load<f32>(x + f4(i)) - m);
  return m + Math.log(s);
}

// Phase 2, robust: log-space forward pass (A holds log alpha_t normalised per position). Returns log Z.
function logForward(Y: i32, E: i32, T: i32, S: usize, A: usize, R: usize, V: usize): f64 {
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const tmp = V + f4(3 * Yp);
  let l = lseVec(Y, S);
  for (let y = 0; y < Y; y++) store<f32>(A + f4(y), <f32>(<f64>load<f32>(S + f4(y)) - l));
  let logZ = l;
  for (let t = 1; t < T; t++) {
    const Rt = E > 0 ? R + f4(t * MS) : R;
    const Ap = A + f4((t - 1) * Yp), At = A + f4(t * Yp), St = S + f4(t * Yp);
    for (let c = 0; c < Y; c++) {
      let m: f64 = -Infinity;
      for (let p = 0; p < Y; p++) m = Math.max(m, <f64>load<f32>(Ap + f4(p)) + <f64>load<f32>(Rt + f4(p * Y + c)));
      let s: f64 = 0;
      if (m != -Infinity) {
        for (let p = 0; p < Y; p++) s += Math.exp(<f64>load<f32>(Ap + f4(p)) + <f64>load<f32>(Rt + f4(p * Y + c)) - m);
      }
      store<f32>(tmp + f4(c), <f32>(<f64>load<f32>(St + f4(c)) + m + Math.log(s)));
    }
    l = lseVec(Y, tmp);
    for (let y = 0; y < Y; y++) store<f32>(At + f4(y), <f32>(<f64>load<f32>(tmp + f4(y)) - l));
    logZ += l;
  }
  return logZ;
}

// P(y_t) = exp(la + lb - lse(la + lb)), written over la.
function logNodeMarginal(Y: i32, At: usize, lb: usize, tmp: usize): void {
  for (let y = 0; y < Y; y++) store<f32>(tmp + f4(y), load<f32>(At + f4(y)) + load<f32>(lb + f4(y)));
  const l = lseVec(Y, tmp);
  for (let y = 0; y < Y; y++) store<f32>(At + f4(y), <f32>Math.exp(<f64>load<f32>(tmp + f4(y)) - l));
}

// Phase 2, robust: log-space backward pass after logForward; same outputs as fastBackward.
function logBackward(Y: i32, E: i32, T: i32, S: usize, A: usize, R: usize, X: usize, Q: usize, V: usize): void {
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const lb = V, wv = V + f4(Yp), lu = V + f4(2 * Yp), tmp = V + f4(3 * Yp);
  vzero4(Yp, lb);
  if (E == 0) vzero4(MS, Q);
  for (let t = T - 1; t >= 1; t--) {
    const At = A + f4(t * Yp), Ap = At - f4(Yp), St = S + f4(t * Yp);
    const Rt = E > 0 ? R + f4(t * MS) : R;
    const Qt = E > 0 ? X + f4(t * MS) : Q;
    logNodeMarginal(Y, At, lb, tmp);
    for (let c = 0; c < Y; c++) store<f32>(wv + f4(c), load<f32>(St + f4(c)) + load<f32>(lb + f4(c)));
    for (let p = 0; p < Y; p++) {
      let m: f64 = -Infinity;
      for (let c = 0; c < Y; c++) m = Math.max(m, <f64>load<f32>(Rt + f4(p * Y + c)) + <f64>load<f32>(wv + f4(c)));
      let s: f64 = 0;
      if (m != -Infinity) {
        for (let c = 0; c < Y; c++) s += Math.exp(<f64>load<f32>(Rt + f4(p * Y + c)) + <f64>load<f32>(wv + f4(c)) - m);
      }
      store<f32>(lu + f4(p), <f32>(m + Math.log(s)));
    }
    let lnorm: f64 = -Infinity;
    {
      let m: f64 = -Infinity;
      for (let p = 0; p < Y; p++) m = Math.max(m, <f64>load<f32>(Ap + f4(p)) + <f64>load<f32>(lu + f4(p)));
      let s: f64 = 0;
      for (let p = 0; p < Y; p++) s += Math.exp(<f64>load<f32>(Ap + f4(p)) + <f64>load<f32>(lu + f4(p)) - m);
      lnorm = m + Math.log(s);
    }
    for (let p = 0; p < Y; p++) {
      const ap = <f64>load<f32>(Ap + f4(p)) - lnorm;
      for (let c = 0; c < Y; c++) {
        const q = <f32>Math.exp(ap + <f64>load<f32>(Rt + f4(p * Y + c)) + <f64>load<f32>(wv + f4(c)));
        const o = Qt + f4(p * Y + c);
        if (E > 0) store<f32>(o, q);
        else store<f32>(o, load<f32>(o) + q);
      }
    }
    const l = lseVec(Y, lu);
    for (let p = 0; p < Y; p++) store<f32>(lb + f4(p), <f32>(<f64>load<f32>(lu + f4(p)) - l));
  }
  logNodeMarginal(Y, A, lb, tmp);
}

@inline function putEntry(list: usize, n: i32, off: i32, len: i32, sid: i32): void {
  const e = list + <usize>n * 12;
  store<i32>(e, off);
  store<i32>(e, len, 4);
  store<i32>(e, sid, 8);
}

// Phase 3: g += a * (expected counts - observed counts). Buffered (direct == false, a == 1): g is the
// worker's gradient buffer and the touched list is written; returns its length. Direct (the serial
// and AsynGrad path): g is w itself and a = -lr, so the sentence's update is written straight into
// the shared weights block by block, each block bracketed by its stamp when accounting; returns 1
// when a block write overlapped another worker's write to it. Only valid after every read of w.
function accumulate(Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, A: usize, X: usize, Q: usize, g: usize, list: usize, a: f32, direct: bool, stamps: usize, tag: i32, skip: f32): i32 {
  const Yp = pad4(Y), YY = Y * Y, MS = pad4(YY);
  const stamp = direct && tag != 0;
  let n = 0;
  let overlap = 0;
  if (T > 1) {
    if (stamp) overlap |= writeBegin(stamps, 0, tag);
    if (E == 0) vaxpy(YY, a, Q, g);
    else for (let t = 1; t < T; t++) vaxpy(YY, a, X + f4(t * MS), g);
    let prev = load<i32>(labels + f4(tok0));
    for (let t = 1; t < T; t++) {
      const y = load<i32>(labels + f4(tok0 + t));
      const o = g + f4(prev * Y + y);
      store<f32>(o, load<f32>(o) - a);
      prev = y;
    }
    if (stamp) writeEnd(stamps, 0, tag);
    if (!direct) putEntry(list, n++, 0, YY, 0);
  }
  for (let t = 0; t < T; t++) {
    const j = tok0 + t;
    const At = A + f4(t * Yp), Xt = X + f4(t * MS);
    const y = load<i32>(labels + f4(j));
    const yp = t > 0 ? load<i32>(labels + f4(j - 1)) : 0;
    const fa = load<i32>(featStart + f4(j));
    const fb = load<i32>(featStart + f4(j + 1));
    // Direct mode may skip a token whose node (or edge) gradient is below `skip` in every entry:
    // the same vector would be added to every feature row of the token, and leaving the rows
    // untouched saves the cache-line traffic that dominates once the model is confident.
    const nodeOn = skip <= 0 || maxDeviation(Y, At, y) >= skip;
    const edgeOn = E > 0 && t > 0 && (skip <= 0 || maxDeviation(YY, Xt, yp * Y + y) >= skip);
    for (let k = fa; k < fb; k++) {
      const raw = load<i32>(featIds + f4(k));
      const f = featureOf(raw);
      const off = YY + f * Y;
      const row = g + f4(off);
      if (nodeOn && raw >= 0) {
        if (stamp) overlap |= writeBegin(stamps, 1 + f, tag);
        vaxpy(Y, a, At, row);
        store<f32>(row + f4(y), load<f32>(row + f4(y)) - a);
        if (stamp) writeEnd(stamps, 1 + f, tag);
        if (!direct) putEntry(list, n++, off, Y, 1 + f);
      }
      if (edgeOn && f < E) {
        const eo = YY + F * Y + f * YY;
        const blk = g + f4(eo);
        if (stamp) overlap |= writeBegin(stamps, 1 + F + f, tag);
        vaxpy(YY, a, Xt, blk);
        const c = blk + f4(yp * Y + y);
        store<f32>(c, load<f32>(c) - a);
        if (stamp) writeEnd(stamps, 1 + F + f, tag);
        if (!direct) putEntry(list, n++, eo, YY, 1 + F + f);
      }
    }
  }
  return direct ? overlap : n;
}

// max_i |x[i] - (i == gold ? 1 : 0)|: how far a marginal vector is from the gold indicator.
function maxDeviation(n: i32, x: usize, gold: i32): f32 {
  let m: f32 = 0;
  for (let i = 0; i < n; i++) {
    const d = Mathf.abs(load<f32>(x + f4(i)) - (i == gold ? <f32>1 : <f32>0));
    if (d > m) m = d;
  }
  return m;
}

// Write accounting with plain stores, as in update.ts (tag: even, unique to the worker and sample).
@inline function writeBegin(stamps: usize, id: i32, tag: i32): i32 {
  const p = stamps + (<usize>id << 2);
  const old = load<i32>(p);
  store<i32>(p, tag | 1);
  return old & 1;
}

@inline function writeEnd(stamps: usize, id: i32, tag: i32): void {
  store<i32>(stamps + (<usize>id << 2), tag & ~1);
}

// Runs phase 2 (fast, or log space when forced or when the fast pass underflows). Returns log Z.
function forwardBackward(Y: i32, E: i32, T: i32, scratch: usize, backward: bool, forceLog: bool): f64 {
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const nm = E > 0 ? T : 1;
  const S = scratch + HDR, N = S + f4(T * Yp), A = N + f4(T * Yp), V = A + f4(T * Yp);
  const Q = V + f4(4 * Yp), R = Q + f4(MS), X = R + f4(nm * MS);
  let logZ: f64 = NaN;
  let ok = false;
  if (!forceLog) {
    logZ = fastForward(Y, E, T, S, N, A, R, X);
    ok = !isNaN(logZ);
    if (ok && backward) ok = fastBackward(Y, E, T, N, A, X, Q, V) == 0;
  }
  store<i32>(scratch, ok ? 0 : 1, 8);
  if (!ok) {
    logZ = logForward(Y, E, T, S, A, R, V);
    if (backward) logBackward(Y, E, T, S, A, R, X, Q, V);
  }
  return logZ;
}

function gradImpl(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, g: usize, list: usize, scratch: usize, stamps: usize, account: i32, forceLog: bool): f64 {
  store<i32>(scratch, 0);
  store<i32>(scratch, 0, 4);
  store<i32>(scratch, 0, 8);
  if (T <= 0) return 0;
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const nm = E > 0 ? T : 1;
  const S = scratch + HDR, A = S + f4(2 * T * Yp), V = A + f4(T * Yp);
  const Q = V + f4(4 * Yp), R = Q + f4(MS), X = R + f4(nm * MS);
  const ov = readScores(w, Y, F, E, featStart, featIds, tok0, T, S, R, stamps, account);
  store<i32>(scratch, ov, 4);
  const gold = goldScore(Y, E, labels, tok0, T, S, R);
  const logZ = forwardBackward(Y, E, T, scratch, true, forceLog);
  store<i32>(scratch, accumulate(Y, F, E, featStart, featIds, labels, tok0, T, A, X, Q, g, list, 1, false, stamps, 0, 0));
  return logZ - gold;
}

// Negative log-likelihood -log p(labels | x) of the sentence [tok0, tok0+T) (no regularisation).
// Adds its gradient into g (same layout as w; g must be zero or hold earlier gradients on the touched
// blocks) and writes the touched list at `list` ([floatOffset, length, stampId] per entry; duplicates
// allowed): the transition block (when T > 1), one node row per (token, feature), one edge block per
// (token t >= 1, feature f < E). Scratch: i32 entry count at byte 0, read-overlap flag at byte 4
// (only computed when account != 0, else 0), log-space-fallback flag at byte 8; size in the header.
export function crf_grad(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, g: usize, list: usize, scratch: usize, stamps: usize, account: i32): f64 {
  return gradImpl(w, Y, F, E, featStart, featIds, labels, tok0, T, g, list, scratch, stamps, account, false);
}

// One SGD step on the sentence, written straight into w (serial and AsynGrad): reads w into the
// potentials, runs forward-backward on them, then w += -lr * gradient block by block. No gradient
// buffer, no touched list. Scratch: read-overlap flag at byte 4, write-overlap flag at byte 12 (both
// only when tag != 0: accounting on, tag = this write's even stamp value, see update.ts). Tokens whose
// gradient entries are all below `skip` are not written (0: exact). Returns the NLL before the step.
export function crf_step(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, lr: f32, skip: f32, scratch: usize, stamps: usize, tag: i32): f64 {
  store<i32>(scratch, 0);
  store<i32>(scratch, 0, 4);
  store<i32>(scratch, 0, 8);
  store<i32>(scratch, 0, 12);
  if (T <= 0) return 0;
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const nm = E > 0 ? T : 1;
  const S = scratch + HDR, A = S + f4(2 * T * Yp), V = A + f4(T * Yp);
  const Q = V + f4(4 * Yp), R = Q + f4(MS), X = R + f4(nm * MS);
  store<i32>(scratch, readScores(w, Y, F, E, featStart, featIds, tok0, T, S, R, stamps, tag), 4);
  const gold = goldScore(Y, E, labels, tok0, T, S, R);
  const logZ = forwardBackward(Y, E, T, scratch, true, false);
  store<i32>(scratch, accumulate(Y, F, E, featStart, featIds, labels, tok0, T, A, X, Q, w, 0, -lr, true, stamps, tag, skip), 12);
  return logZ - gold;
}

// crf_grad forced through the log-space pass (slow; the fallback the fast pass uses on underflow).
export function crf_grad_logspace(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, g: usize, list: usize, scratch: usize, stamps: usize, account: i32): f64 {
  return gradImpl(w, Y, F, E, featStart, featIds, labels, tok0, T, g, list, scratch, stamps, account, true);
}

// Negative log-likelihood only (forward pass), for evaluation. Same scratch as crf_grad.
export function crf_nll(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, labels: usize, tok0: i32, T: i32, scratch: usize): f64 {
  store<i32>(scratch, 0);
  store<i32>(scratch, 0, 4);
  store<i32>(scratch, 0, 8);
  if (T <= 0) return 0;
  const Yp = pad4(Y);
  const S = scratch + HDR, V = S + f4(3 * T * Yp), R = V + f4(4 * Yp + pad4(Y * Y));
  readScores(w, Y, F, E, featStart, featIds, tok0, T, S, R, 0, 0);
  const gold = goldScore(Y, E, labels, tok0, T, S, R);
  return forwardBackward(Y, E, T, scratch, false, false) - gold;
}

// Node marginals P(y_t = y) into out (f32, T*Y, row t at t*Y); returns log Z. Same scratch as crf_grad.
export function crf_marginals(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, tok0: i32, T: i32, out: usize, scratch: usize): f64 {
  store<i32>(scratch, 0);
  store<i32>(scratch, 0, 4);
  store<i32>(scratch, 0, 8);
  if (T <= 0) return 0;
  const Yp = pad4(Y);
  const S = scratch + HDR, A = S + f4(2 * T * Yp), V = A + f4(T * Yp), R = V + f4(4 * Yp + pad4(Y * Y));
  readScores(w, Y, F, E, featStart, featIds, tok0, T, S, R, 0, 0);
  const logZ = forwardBackward(Y, E, T, scratch, true, false);
  for (let t = 0; t < T; t++) vcopy(Y, A + f4(t * Yp), out + f4(t * Y));
  return logZ;
}

// Node scores of token j into St (Y floats; padding lanes untouched).
@inline function nodeScores(w: usize, Y: i32, featStart: usize, featIds: usize, j: i32, St: usize): void {
  vfill(Y, 0, St);
  const nodeBase = w + f4(Y * Y);
  const a = load<i32>(featStart + f4(j));
  const b = load<i32>(featStart + f4(j + 1));
  for (let k = a; k < b; k++) {
    const f = load<i32>(featIds + f4(k));
    if (f >= 0) vadd(Y, nodeBase + f4(f * Y), St);
  }
}

// Y x Y matrix (row stride Y) into a Y x Yp matrix with padding lanes -1e30.
@inline function toPadded(Y: i32, src: usize, dst: usize): void {
  const Yp = pad4(Y);
  for (let p = 0; p < Y; p++) {
    vcopy(Y, src + f4(p * Y), dst + f4(p * Yp));
    vfill(Yp - Y, PADV, dst + f4(p * Yp + Y));
  }
}

// Best labelling of the sentence [tok0, tok0+T) into out (i32 per token); returns its score (f32
// arithmetic). Log space; ties go to the smallest label (previous label, then last label).
// Scratch: 64 + 4*(3*Yp + MS + Y*Yp + T*Yp) bytes (less than crf_grad's).
export function crf_viterbi(w: usize, Y: i32, F: i32, E: i32, featStart: usize, featIds: usize, tok0: i32, T: i32, out: usize, scratch: usize): f64 {
  if (T <= 0) return 0;
  const Yp = pad4(Y), YY = Y * Y, MS = pad4(YY);
  let D0 = scratch + HDR;
  let D1 = D0 + f4(Yp);
  const NV = D1 + f4(Yp), M = NV + f4(Yp), P = M + f4(MS), BP = P + f4(Y * Yp);
  vfill(Yp - Y, PADV, D0 + f4(Y));
  nodeScores(w, Y, featStart, featIds, tok0, D0);
  if (E == 0 && T > 1) toPadded(Y, w, P);
  const edgeBase = w + f4(YY + F * Y);
  for (let t = 1; t < T; t++) {
    const j = tok0 + t;
    vfill(Yp - Y, 0, NV + f4(Y));
    nodeScores(w, Y, featStart, featIds, j, NV);
    if (E > 0) {
      vcopy(YY, w, M);
      const a = load<i32>(featStart + f4(j));
      const b = load<i32>(featStart + f4(j + 1));
      for (let k = a; k < b; k++) {
        const raw = load<i32>(featIds + f4(k));
        const f = featureOf(raw);
        if (f < E) vadd(YY, edgeBase + f4(f * YY), M);
      }
      toPadded(Y, M, P);
    }
    viterbiStep(Y, D0, P, NV, D1, BP + f4(t * Yp));
    const tmp = D0;
    D0 = D1;
    D1 = tmp;
  }
  return viterbiBacktrack(Y, T, D0, BP, out);
}

// One Viterbi step: D1[c] = max_p (D0[p] + P[p][c]) + NV[c] (P: Y x Yp, padding lanes -1e30), the
// argmax into bpt (first maximum: the smallest previous label).
@inline function viterbiStep(Y: i32, D0: usize, P: usize, NV: usize, D1: usize, bpt: usize): void {
  const Yp = pad4(Y);
  for (let c = 0; c < Yp; c += 4) {
    let best = f32x4.splat(-Infinity);
    let arg = i32x4.splat(0);
    for (let p = 0; p < Y; p++) {
      const cand = f32x4.add(f32x4.splat(load<f32>(D0 + f4(p))), v128.load(P + f4(p * Yp + c)));
      const gt = f32x4.gt(cand, best);
      best = v128.bitselect(cand, best, gt);
      arg = v128.bitselect(i32x4.splat(p), arg, gt);
    }
    v128.store(D1 + f4(c), f32x4.add(best, v128.load(NV + f4(c))));
    v128.store(bpt + f4(c), arg);
  }
}

// The best last label (the smallest on ties) and the path back through the back-pointers into out;
// returns the best score.
@inline function viterbiBacktrack(Y: i32, T: i32, D: usize, BP: usize, out: usize): f64 {
  const Yp = pad4(Y);
  let by = 0;
  let bs = load<f32>(D);
  for (let y = 1; y < Y; y++) {
    const s = load<f32>(D + f4(y));
    if (s > bs) {
      bs = s;
      by = y;
    }
  }
  store<i32>(out + f4(T - 1), by);
  for (let t = T - 1; t >= 1; t--) {
    by = load<i32>(BP + f4(t * Yp + by));
    store<i32>(out + f4(t - 1), by);
  }
  return <f64>bs;
}

// ---- A chain CRF over given emission scores: the output layer of the Bi-LSTM-CRF ----
// emis: T x Y f32 scores (row t at emis + 4*t*Y), trans: Y x Y (trans[p*Y + c], previous p, current
// c); the score of a labelling is sum_t emis[t][y_t] + sum_{t>=1} trans[y_{t-1}][y_t], as the
// feature CRF's with E = 0. Scratch as crf_grad's with E = 0: crfScratchBytes(Y, Tmax, 0).

// Raw scores S (T*Yp, padding -1e30) and transitions R (MS, padding -1e30) as readScores lays them.
@inline function chainScores(Y: i32, T: i32, emis: usize, trans: usize, S: usize, R: usize): void {
  const Yp = pad4(Y), YY = Y * Y;
  for (let t = 0; t < T; t++) {
    const St = S + f4(t * Yp);
    vcopy(Y, emis + f4(t * Y), St);
    vfill(Yp - Y, PADV, St + f4(Y));
  }
  vcopy(YY, trans, R);
  vfill(pad4(YY) - YY, PADV, R + f4(YY));
}

// -log p(labels | emis) (labels: T i32, all >= 0). On return emis holds its gradient dL/demis =
// P(y_t = y) - [y = labels[t]], and dTrans has the expected minus observed transition counts ADDED.
// Scratch byte 8: 1 when the log-space fallback ran.
export function chain_xent(Y: i32, T: i32, emis: usize, trans: usize, labels: usize, dTrans: usize, scratch: usize): f64 {
  store<i32>(scratch, 0, 8);
  if (T <= 0) return 0;
  const Yp = pad4(Y), YY = Y * Y, MS = pad4(YY);
  const S = scratch + HDR, A = S + f4(2 * T * Yp), Q = A + f4(T * Yp + 4 * Yp), R = Q + f4(MS);
  chainScores(Y, T, emis, trans, S, R);
  const gold = goldScore(Y, 0, labels, 0, T, S, R);
  const logZ = forwardBackward(Y, 0, T, scratch, true, false);
  for (let t = 0; t < T; t++) {
    const et = emis + f4(t * Y);
    vcopy(Y, A + f4(t * Yp), et);
    const y = load<i32>(labels + f4(t));
    store<f32>(et + f4(y), load<f32>(et + f4(y)) - 1);
  }
  if (T > 1) {
    vadd(YY, Q, dTrans);
    for (let t = 1; t < T; t++) {
      const o = dTrans + f4(load<i32>(labels + f4(t - 1)) * Y + load<i32>(labels + f4(t)));
      store<f32>(o, load<f32>(o) - 1);
    }
  }
  return logZ - gold;
}

// Node marginals P(y_t = y) into out (T x Y); returns log Z.
export function chain_marginals(Y: i32, T: i32, emis: usize, trans: usize, out: usize, scratch: usize): f64 {
  store<i32>(scratch, 0, 8);
  if (T <= 0) return 0;
  const Yp = pad4(Y), MS = pad4(Y * Y);
  const S = scratch + HDR, A = S + f4(2 * T * Yp), R = A + f4(T * Yp + 4 * Yp + MS);
  chainScores(Y, T, emis, trans, S, R);
  const logZ = forwardBackward(Y, 0, T, scratch, true, false);
  for (let t = 0; t < T; t++) vcopy(Y, A + f4(t * Yp), out + f4(t * Y));
  return logZ;
}

// Best labelling into out (T i32); returns its score. Ties as crf_viterbi's. Scratch as crf_viterbi's.
export function chain_viterbi(Y: i32, T: i32, emis: usize, trans: usize, out: usize, scratch: usize): f64 {
  if (T <= 0) return 0;
  const Yp = pad4(Y), MS = pad4(Y * Y);
  let D0 = scratch + HDR;
  let D1 = D0 + f4(Yp);
  const NV = D1 + f4(Yp), P = NV + f4(Yp) + f4(MS), BP = P + f4(Y * Yp);
  vfill(Yp - Y, PADV, D0 + f4(Y));
  vcopy(Y, emis, D0);
  if (T > 1) toPadded(Y, trans, P);
  vfill(Yp - Y, 0, NV + f4(Y));
  for (let t = 1; t < T; t++) {
    vcopy(Y, emis + f4(t * Y), NV);
    viterbiStep(Y, D0, P, NV, D1, BP + f4(t * Yp));
    const tmp = D0;
    D0 = D1;
    D1 = tmp;
  }
  return viterbiBacktrack(Y, T, D0, BP, out);
}
