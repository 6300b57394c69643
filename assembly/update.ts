// Applying one gradient to the shared weights: SGD and Adam over a "touched list".
import { axpy } from './linalg';
import { adamBlock, writeBegin, writeEnd } from './block-step';
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

// Lazy Adam over embedding rows (--embeddings lazy). Dense Adam moves every row at every step: a
// row whose gradient is 0 still moves by its momentum, m/(sqrt(v)+eps), which decays as b1^j/b2^(j/2).
// The lazy form leaves a row alone until it is next listed (or the pass ends) and then takes the k
// missed zero-gradient steps at once: m *= b1^k, v *= b2^k, and
//   w -= lrt * S_k * m / (sqrt(v) + eps),  S_k = q + q^2 + ... + q^k = q (1 - q^k) / (1 - q),
// q = b1 / sqrt(b2) (< 1, checked by the caller). That is exact when eps is 0; with eps it moves the
// row a little further than dense Adam would (it lets eps shrink with sqrt(v)). lrt is the current
// step's rate (the missed steps' rates differ only by Adam's bias correction, ~1 after 100 steps).
// `last` holds, per row, this worker's step at which the row was last brought up to date.
@inline function adamCatchUp(w: usize, m: usize, v: usize, n: i32, k: i32, lrt: f32, b1: f32, b2: f32, eps: f32): void {
  const q = <f64>b1 / Math.sqrt(<f64>b2);
  const s = <f32>(q * (1 - Math.pow(q, <f64>k)) / (1 - q));
  const mk = f32x4.splat(<f32>Math.pow(<f64>b1, <f64>k));
  const vk = f32x4.splat(<f32>Math.pow(<f64>b2, <f64>k));
  const vstep = f32x4.splat(lrt * s), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const mv = v128.load(m + o), vv = v128.load(v + o);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(vstep, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    v128.store(m + o, f32x4.mul(mk, mv));
    v128.store(v + o, f32x4.mul(vk, vv));
  }
  const sm = f32x4.extract_lane(mk, 0), sv = f32x4.extract_lane(vk, 0), st = lrt * s;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const mi = load<f32>(m + o), vi = load<f32>(v + o);
    store<f32>(w + o, load<f32>(w + o) - st * mi / (Mathf.sqrt(vi) + eps));
    store<f32>(m + o, sm * mi);
    store<f32>(v + o, sv * vi);
  }
}

// One lazy row (its step at `p`) brought up to step `upTo`: the steps it missed, at once.
@inline function catchUpRow(w: usize, m: usize, v: usize, n: i32, p: usize, upTo: i32, lrt: f32, b1: f32, b2: f32, eps: f32): void {
  const k = upTo - load<i32>(p);
  if (k > 0) adamCatchUp(w, m, v, n, k, lrt, b1, b2, eps);
  store<i32>(p, upTo);
}

// adam_apply with lazy rows: list entries whose stamp is >= rowStamp are rows (row = stamp - rowStamp,
// its step in last[row]); each is first caught up over the steps it missed, then stepped as usual.
// `now` is this worker's step (1-based); the other entries are dense blocks, stepped as adam_apply does.
export function adam_apply_lazy(w: usize, g: usize, m: usize, v: usize, list: usize, count: i32, lrt: f32, b1: f32, b2: f32, eps: f32, stamps: usize, tag: i32, last: usize, now: i32, rowStamp: i32): i32 {
  let overlap = 0;
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const off = <usize>load<i32>(ent) << 2;
    const len = load<i32>(ent, 4);
    const sid = load<i32>(ent, 8);
    if (tag != 0 && sid >= 0) overlap |= writeBegin(stamps, sid, tag);
    if (sid >= rowStamp) {
      const p = last + (<usize>(sid - rowStamp) << 2);
      catchUpRow(w + off, m + off, v + off, len, p, now - 1, lrt, b1, b2, eps);
      store<i32>(p, now);
    }
    adamBlock(w + off, g + off, m + off, v + off, len, lrt, b1, b2, eps);
    if (tag != 0 && sid >= 0) writeEnd(stamps, sid, tag);
  }
  return overlap;
}

// Brings every row of one table (rows x dim floats at `table`, their steps at `last`) up to step
// `now`, and sets their steps to now: the lazy rows' flush at the end of a pass, after which w is
// what dense Adam would have left (up to the eps approximation above).
export function adam_catch_up_rows(w: usize, m: usize, v: usize, table: i32, dim: i32, rows: i32, last: usize, now: i32, lrt: f32, b1: f32, b2: f32, eps: f32): void {
  for (let r = 0; r < rows; r++) {
    const off = <usize>(table + r * dim) << 2;
    catchUpRow(w + off, m + off, v + off, dim, last + (<usize>r << 2), now, lrt, b1, b2, eps);
  }
}

// Brings the rows among `count` list entries (stamp >= rowStamp) up to step `now` before they are read:
// a model calls it (through the engine) on a sentence's rows before its forward pass, so that the
// rows it reads are where dense Adam would have them. Their Adam step then has nothing to catch up.
export function adam_catch_up_list(w: usize, m: usize, v: usize, list: usize, count: i32, last: usize, now: i32, lrt: f32, b1: f32, b2: f32, eps: f32, rowStamp: i32): void {
  for (let e = 0; e < count; e++) {
    const ent = list + <usize>e * 12;
    const sid = load<i32>(ent, 8);
    if (sid < rowStamp) continue;
    const off = <usize>load<i32>(ent) << 2;
    catchUpRow(w + off, m + off, v + off, load<i32>(ent, 4), last + (<usize>(sid - rowStamp) << 2), now, lrt, b1, b2, eps);
  }
}
