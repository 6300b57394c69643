// SIMD helpers shared by the CRF and LSTM kernels.

// byte offset of f32 element i
@inline export function f4(i: i32): usize {
  return <usize>i << 2;
}

@inline export function pad4(n: i32): i32 {
  return (n + 3) & ~3;
}

@inline export function hsum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// [sum(a), sum(b), sum(c), sum(d)] of four accumulators (4 shuffles, 3 adds)
@inline export function hsum4x4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// e^x per lane for x in [-87, 88] (callers clamp): Cephes expf, range reduction by ln 2 and a
// degree-6 polynomial, ~1 ulp.
@inline export function expCore4(x: v128): v128 {
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375))), f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1.0));
  const k = i32x4.trunc_sat_f32x4_s(fx);
  const pow2 = i32x4.shl(i32x4.add(k, i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2);
}
