// Multinomial logistic regression with L2, on dense features: the strongly convex model that
// proves the engines. Parameters: W (C x D, row-major) then b (C). Per-sample objective:
//   f_i(w) = -log softmax(W x_i + b)[y_i] + (l2 / 2) * |W|^2
import { gemv, axpy } from './linalg';

// Writes the gradient of f_i into g (same layout as w) and returns the loss. scratch holds C floats.
// Rows of g are written whole (dense gradient); the caller lists blocks [c*D, D] for c < C and [C*D, C].
export function logreg_grad(w: usize, C: i32, D: i32, x: usize, y: i32, l2: f32, g: usize, scratch: usize): f32 {
  const b = w + (<usize>(C * D) << 2);
  for (let c = 0; c < C; c++) store<f32>(scratch + (<usize>c << 2), load<f32>(b + (<usize>c << 2)));
  gemv(C, D, w, D, x, scratch);
  let mx = load<f32>(scratch);
  for (let c = 1; c < C; c++) mx = Mathf.max(mx, load<f32>(scratch + (<usize>c << 2)));
  let z: f32 = 0;
  for (let c = 0; c < C; c++) {
    const e = Mathf.exp(load<f32>(scratch + (<usize>c << 2)) - mx);
    store<f32>(scratch + (<usize>c << 2), e);
    z += e;
  }
  const py = load<f32>(scratch + (<usize>y << 2)) / z;
  const gb = g + (<usize>(C * D) << 2);
  for (let c = 0; c < C; c++) {
    const p = load<f32>(scratch + (<usize>c << 2)) / z - (c == y ? <f32>1 : <f32>0);
    const row = <usize>(c * D) << 2;
    // g_row = l2 * w_row + p * x  (a scaled copy then an axpy)
    const gr = g + row, wr = w + row;
    for (let j = 0; j < D; j++) store<f32>(gr + (<usize>j << 2), l2 * load<f32>(wr + (<usize>j << 2)));
    axpy(D, p, x, gr);
    store<f32>(gb + (<usize>c << 2), p);
  }
  return -Mathf.log(Mathf.max(py, 1e-30));
}

// Loss of one sample without the L2 term (for evaluation); also returns the argmax class via out.
export function logreg_predict(w: usize, C: i32, D: i32, x: usize, scratch: usize): i32 {
  const b = w + (<usize>(C * D) << 2);
  for (let c = 0; c < C; c++) store<f32>(scratch + (<usize>c << 2), load<f32>(b + (<usize>c << 2)));
  gemv(C, D, w, D, x, scratch);
  let best = 0;
  for (let c = 1; c < C; c++) if (load<f32>(scratch + (<usize>c << 2)) > load<f32>(scratch + (<usize>best << 2))) best = c;
  return best;
}
