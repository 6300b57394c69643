// Pure-TypeScript twin of assembly/logreg.ts (f64 arithmetic).

/** Writes the gradient of sum_t -log softmax(W x_t + b)[y_t] + l2/2 |W|^2 into g; returns the loss. */
export function logregGrad(w: Float32Array, C: number, D: number, x: Float32Array, xo: number, y: Int32Array, yo: number, T: number, l2: number, g: Float32Array): number {
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < D; j++) g[c * D + j] = l2 * w[c * D + j];
    g[C * D + c] = 0;
  }
  let loss = 0;
  for (let t = 0; t < T; t++) loss += tokenGrad(w, C, D, x, xo + t * D, y[yo + t], g);
  return loss;
}

function tokenGrad(w: Float32Array, C: number, D: number, x: Float32Array, xo: number, y: number, g: Float32Array): number {
  const z = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = w[C * D + c];
    for (let j = 0; j < D; j++) s += w[c * D + j] * x[xo + j];
    z[c] = s;
  }
  const mx = Math.max(...z);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(z[c] - mx);
  for (let c = 0; c < C; c++) {
    const p = Math.exp(z[c] - mx) / sum - (c === y ? 1 : 0);
    for (let j = 0; j < D; j++) g[c * D + j] += p * x[xo + j];
    g[C * D + c] += p;
  }
  return -(z[y] - mx - Math.log(sum));
}
