// Applying one gradient to the shared weights: SGD and Adam over a "touched list".
import { axpy } from './linalg';
//
// A gradient lives in a worker's private buffer g (same indexing as w) and a list of the blocks it
// touched: entries of three i32 [offset (floats), length, stamp id]. Applying a block writes w and
// zeroes g there, so a block listed twice is applied once (the second pass adds zeros).
//
// Gradient-error accounting (optional: `tag` != 0). Each block has an i32 stamp holding the tag of
// its last write: an even number unique to (worker, sample), given by the caller. A writer stores
// tag | 1 before it writes the block (an odd stamp found there means another worker is writing the
// same block: a write-overwrite) and tag when it is done. Readers compare the stamps before and after
// reading (see stamp_hash): an odd stamp, or one that changed, is a write during the read.
// Plain loads and stores, no read-modify-write: a locked add on every block write cost 20-30% of a
// 2-thread CRF pass (every locked op drains the store buffer and waits for the contended line).
// The price is a lower bound rather than an exact count: two writers can both load an even stamp
// before either odd mark is visible (a write-overwrite missed), and with three or more workers a
// writer that finishes while another is still inside clears the mark. It relies on x86's in-order
// store visibility (the mark before the weights). Never an overcount. See the README.

@inline function writeBegin(stamps: usize, id: i32, tag: i32): i32 {
  const p = stamps + (<usize>id << 2);
  const old = load<i32>(p);
  store<i32>(p, tag | 1);
  return old & 1;
}

@inline function writeEnd(stamps: usize, id: i32, tag: i32): void {
  store<i32>(stamps + (<usize>id << 2), tag & ~1);
}

// w[k] += a * g[k]; g[k] = 0 over [p, p + n) (byte pointers of the block)
@inline function sgdBlock(w: usize, g: usize, n: i32, a: f32): void {
  const va = f32x4.splat(a);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.add(v128.load(w + o), f32x4.mul(va, v128.load(g + o))));
    v128.store(g + o, zero);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(w + o) + a * load<f32>(g + o));
    store<f32>(g + o, 0);
  }
}

// Plain SGD step over the listed blocks: w += a * g (a = -learning rate). Returns 1 when any block
// write overlapped another worker's write to it (only counted when tag != 0).
export function sgd_apply(w: usize, g: usize, list: usize, count: i32, a: f32, stamps: usize, tag: i32): i32 {
  let overlap = 0;
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = <usize>load<i32>(ent) << 2;
    const len = load<i32>(ent, 4);
    const sid = load<i32>(ent, 8);
    if (tag != 0 && sid >= 0) overlap |= writeBegin(stamps, sid, tag);
    sgdBlock(w + off, g + off, len, a);
    if (tag != 0 && sid >= 0) writeEnd(stamps, sid, tag);
  }
  return overlap;
}

// Synchronous combine: apply the part of the listed blocks that falls in [lo, hi) (floats).
// Workers own disjoint ranges, so k workers apply k gradients at once without a lock.
export function sgd_apply_range(w: usize, g: usize, list: usize, count: i32, a: f32, lo: i32, hi: i32): void {
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = load<i32>(ent);
    const end = off + load<i32>(ent, 4);
    const s = off > lo ? off : lo;
    const t = end < hi ? end : hi;
    if (s < t) sgdBlock(w + (<usize>s << 2), g + (<usize>s << 2), t - s, a);
  }
}

// Adam step on a block: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr_t * m / (sqrt(v) + eps);
// g = 0. lr_t carries the bias corrections (computed by the caller from the step count).
@inline function adamBlock(w: usize, g: usize, m: usize, v: usize, n: i32, lrt: f32, b1: f32, b2: f32, eps: f32): void {
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(1 - b1);
  const vb2 = f32x4.splat(b2), vc2 = f32x4.splat(1 - b2);
  const vlr = f32x4.splat(lrt), veps = f32x4.splat(eps), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    v128.store(g + o, zero);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + (1 - b1) * gi;
    const vi = b2 * load<f32>(v + o) + (1 - b2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - lrt * mi / (Mathf.sqrt(vi) + eps));
    store<f32>(g + o, 0);
  }
}

export function adam_apply(w: usize, g: usize, m: usize, v: usize, list: usize, count: i32, lrt: f32, b1: f32, b2: f32, eps: f32, stamps: usize, tag: i32): i32 {
  let overlap = 0;
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = <usize>load<i32>(ent) << 2;
    const len = load<i32>(ent, 4);
    const sid = load<i32>(ent, 8);
    if (tag != 0 && sid >= 0) overlap |= writeBegin(stamps, sid, tag);
    adamBlock(w + off, g + off, m + off, v + off, len, lrt, b1, b2, eps);
    if (tag != 0 && sid >= 0) writeEnd(stamps, sid, tag);
  }
  return overlap;
}

export function adam_apply_range(w: usize, g: usize, m: usize, v: usize, list: usize, count: i32, lrt: f32, b1: f32, b2: f32, eps: f32, lo: i32, hi: i32): void {
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = load<i32>(ent);
    const end = off + load<i32>(ent, 4);
    const s = off > lo ? off : lo;
    const t = end < hi ? end : hi;
    if (s < t) {
      const b = <usize>s << 2;
      adamBlock(w + b, g + b, m + b, v + b, t - s, lrt, b1, b2, eps);
    }
  }
}

// Digest of stamps [first, first + n): a polynomial hash of their even parts (even: odd multiplier,
// even terms), with bit 0 set when any stamp is odd (a writer inside). A reader takes it before and
// after reading those blocks; the read overlapped a write if bit 0 was set before or the two digests
// differ. Positional, so that two blocks' changes cannot cancel as they could in a plain sum.
export function stamp_hash(stamps: usize, first: i32, n: i32): i32 {
  let s = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const v = atomic.load<i32>(stamps + (<usize>(first + i) << 2));
    s = s * 1000003 + (v & ~1);
    odd |= v;
  }
  return s | (odd & 1);
}

// dst += src over the listed blocks clipped to [lo, hi), zeroing src there (synchronous Adam sums
// the k gradients into one buffer before its single update).
export function add_range(dst: usize, src: usize, list: usize, count: i32, lo: i32, hi: i32): void {
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = load<i32>(ent);
    const end = off + load<i32>(ent, 4);
    const s = off > lo ? off : lo;
    const t = end < hi ? end : hi;
    if (s < t) {
      const b = <usize>s << 2;
      axpy(t - s, 1, src + b, dst + b);
      zero(t - s, src + b);
    }
  }
}

// Dense Adam step over [lo, hi) (floats) of w, reading and zeroing g there.
export function adam_dense_range(w: usize, g: usize, m: usize, v: usize, lrt: f32, b1: f32, b2: f32, eps: f32, lo: i32, hi: i32): void {
  if (hi <= lo) return;
  const b = <usize>lo << 2;
  adamBlock(w + b, g + b, m + b, v + b, hi - lo, lrt, b1, b2, eps);
}

export function zero(n: i32, x: usize): void {
  memory.fill(x, 0, <usize>n << 2);
}
