// Multinomial logistic regression with L2, on dense features: the strongly convex model that
// proves the engines. Parameters: W (C x D, row-major) then b (C). Per-sample objective:
//   f_i(w) = -log softmax(W x_i + b)[y_i] + (l2 / 2) * |W|^2
import { gemv, axpy } from './linalg';

// Writes the gradient of one sample into g (same layout as w) and returns its loss. A sample is a
// sequence of T tokens (x: T x D features, y: T labels), like a sentence for a per-token softmax:
//   f_s(w) = sum_t -log softmax(W x_t + b)[y_t] + (l2 / 2) |W|^2
// Every row of g is written (dense gradient); the caller lists blocks [c*D, D] for c < C and [C*D, C].
// scratch holds C floats.
export function logreg_grad(w: usize, C: i32, D: i32, x: usize, y: usize, T: i32, l2: f32, g: usize, scratch: usize): f32 {
  const b = w + (<usize>(C * D) << 2);
  const gb = g + (<usize>(C * D) << 2);
  for (let c = 0; c < C; c++) {
    const row = <usize>(c * D) << 2;
    const gr = g + row, wr = w + row;
    for (let j = 0; j < D; j++) store<f32>(gr + (<usize>j << 2), l2 * load<f32>(wr + (<usize>j << 2)));
    store<f32>(gb + (<usize>c << 2), 0);
  }
  let loss: f32 = 0;
  for (let t = 0; t < T; t++) {
    const xt = x + (<usize>(t * D) << 2);
    const yt = load<i32>(y + (<usize>t << 2));
    for (let c = 0; c < C; c++) store<f32>(scratch + (<usize>c << 2), load<f32>(b + (<usize>c << 2)));
    gemv(C, D, w, D, xt, scratch);
    let mx = load<f32>(scratch);
    for (let c = 1; c < C; c++) mx = Mathf.max(mx, load<f32>(scratch + (<usize>c << 2)));
    let z: f32 = 0;
    for (let c = 0; c < C; c++) {
      const e = Mathf.exp(load<f32>(scratch + (<usize>c << 2)) - mx);
      store<f32>(scratch + (<usize>c << 2), e);
      z += e;
    }
    loss -= Mathf.log(Mathf.max(load<f32>(scratch + (<usize>yt << 2)) / z, 1e-30));
    for (let c = 0; c < C; c++) {
      const p = load<f32>(scratch + (<usize>c << 2)) / z - (c == yt ? <f32>1 : <f32>0);
      axpy(D, p, xt, g + (<usize>(c * D) << 2));
      store<f32>(gb + (<usize>c << 2), load<f32>(gb + (<usize>c << 2)) + p);
    }
  }
  return loss;
}
