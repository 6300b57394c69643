// One block's optimizer step and its write stamps, shared by the touched-list updates
// (assembly/update.ts) and the LSTM's fused weight-gradient-and-Adam step (assembly/lstm.ts).
// Inline helpers only: nothing here is a kernel export. The stamps' protocol is described in
// assembly/update.ts.

@inline export function writeBegin(stamps: usize, id: i32, tag: i32): i32 {
  const p = stamps + (<usize>id << 2);
  const old = load<i32>(p);
  store<i32>(p, tag | 1);
  return old & 1;
}

@inline export function writeEnd(stamps: usize, id: i32, tag: i32): void {
  store<i32>(stamps + (<usize>id << 2), tag & ~1);
}

// Adam step on a block: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr_t * m / (sqrt(v) + eps);
// g = 0. lr_t carries the bias corrections (computed by the caller from the step count).
@inline export function adamBlock(w: usize, g: usize, m: usize, v: usize, n: i32, lrt: f32, b1: f32, b2: f32, eps: f32): void {
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

