// The L2-regularised multinomial logistic model of src/models/logreg in f64 on the main thread, for
// the Theorem 1 check: the objective, the full and per-sample gradients, the Hessian, the optimum w*
// (Newton's method), and the constants c and q. Same objective as the WASM kernel
// (assembly/logreg.ts): f(w) = (1/N) Σ_s f_s(w), f_s(w) = Σ_t −log softmax(W x_t + b)[y_t] + (l2/2)|W|²,
// parameters W (C x D, row-major) then b (C); the biases are not regularised.
import type { LogRegData } from '../models/logreg/model.js';
import { choleskySolve, powerIteration, symmetricEigenvalues } from './dense.js';

export class LogReg64 {
  readonly P: number;
  private readonly logits: Float64Array;

  constructor(readonly data: LogRegData, readonly l2: number) {
    this.P = data.C * data.D + data.C;
    this.logits = new Float64Array(data.C);
  }

  /** softmax of token i into this.logits; returns log Z − max (for the loss) and the max */
  private softmax(w: ArrayLike<number>, i: number): number {
    const { X, D, C } = this.data;
    const z = this.logits;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = w[C * D + c];
      for (let j = 0; j < D; j++) s += w[c * D + j] * X[i * D + j];
      z[c] = s;
      if (s > mx) mx = s;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[c] - mx);
    const logZ = mx + Math.log(sum);
    for (let c = 0; c < C; c++) z[c] = Math.exp(z[c] - logZ);
    return logZ;
  }

  private reg(w: ArrayLike<number>): number {
    let sq = 0;
    for (let j = 0; j < this.data.C * this.data.D; j++) sq += w[j] * w[j];
    return (this.l2 / 2) * sq;
  }

  /** f(w) */
  objective(w: ArrayLike<number>): number {
    const { X, y, N, D, C, T } = this.data;
    let total = 0;
    for (let i = 0; i < N * T; i++) {
      let s = w[C * D + y[i]];
      for (let j = 0; j < D; j++) s += w[y[i] * D + j] * X[i * D + j];
      total += this.softmax(w, i) - s;
    }
    return total / N + this.reg(w);
  }

  /** adds scale · (data gradient of token i) into g */
  private addTokenGradient(w: ArrayLike<number>, i: number, scale: number, g: Float64Array): void {
    const { X, y, D, C } = this.data;
    this.softmax(w, i);
    for (let c = 0; c < C; c++) {
      const r = scale * (this.logits[c] - (c === y[i] ? 1 : 0));
      if (r === 0) continue;
      for (let j = 0; j < D; j++) g[c * D + j] += r * X[i * D + j];
      g[C * D + c] += r;
    }
  }

  private addRegGradient(w: ArrayLike<number>, g: Float64Array): void {
    for (let j = 0; j < this.data.C * this.data.D; j++) g[j] += this.l2 * w[j];
  }

  /** ∇f(w) into out */
  gradient(w: ArrayLike<number>, out = new Float64Array(this.P)): Float64Array {
    const { N, T } = this.data;
    out.fill(0);
    for (let i = 0; i < N * T; i++) this.addTokenGradient(w, i, 1 / N, out);
    this.addRegGradient(w, out);
    return out;
  }

  /** ∇f_s(w) (the stochastic gradient of sample s: what one worker computes) into out */
  sampleGradient(s: number, w: ArrayLike<number>, out = new Float64Array(this.P)): Float64Array {
    out.fill(0);
    for (let t = 0; t < this.data.T; t++) this.addTokenGradient(w, s * this.data.T + t, 1, out);
    this.addRegGradient(w, out);
    return out;
  }

  /** max over samples of ‖∇f_s(w)‖ */
  maxSampleGradientNorm(w: ArrayLike<number>): number {
    const g = new Float64Array(this.P);
    let mx = 0;
    for (let s = 0; s < this.data.N; s++) {
      this.sampleGradient(s, w, g);
      let n2 = 0;
      for (let k = 0; k < this.P; k++) n2 += g[k] * g[k];
      if (n2 > mx) mx = n2;
    }
    return Math.sqrt(mx);
  }

  /** ∇²f(w), P x P row-major */
  hessian(w: ArrayLike<number>): Float64Array {
    const { X, N, T, D, C } = this.data;
    const P = this.P, D1 = D + 1;
    const H = new Float64Array(P * P);
    const xt = new Float64Array(D1);
    const idx = (c: number, j: number) => (j < D ? c * D + j : C * D + c);
    for (let i = 0; i < N * T; i++) {
      this.softmax(w, i);
      const p = this.logits;
      for (let j = 0; j < D; j++) xt[j] = X[i * D + j];
      xt[D] = 1;
      for (let a = 0; a < C; a++) {
        for (let b = 0; b < C; b++) {
          const A = ((a === b ? p[a] : 0) - p[a] * p[b]) / N;
          if (A === 0) continue;
          for (let j = 0; j < D1; j++) {
            const row = idx(a, j) * P;
            const v = A * xt[j];
            for (let k = 0; k < D1; k++) H[row + idx(b, k)] += v * xt[k];
          }
        }
      }
    }
    for (let j = 0; j < C * D; j++) H[j * P + j] += this.l2;
    return H;
  }

  /**
   * Removes the component along the one direction in which f is flat: all biases shifted together
   * (softmax is invariant to it and the biases are not regularised). Every sample's bias gradient
   * sums to zero, so SGD from w0 = 0 stays in the subspace Σ_c b_c = 0.
   */
  projectBiases(v: Float64Array): Float64Array {
    const { C, D } = this.data;
    let mean = 0;
    for (let c = 0; c < C; c++) mean += v[C * D + c];
    mean /= C;
    for (let c = 0; c < C; c++) v[C * D + c] -= mean;
    return v;
  }

  /** w* (the minimiser in the subspace Σ b = 0) by damped Newton with backtracking; in f64. */
  optimum(maxIter = 60): { w: Float64Array; f: number; gradNorm: number; iterations: number } {
    const P = this.P;
    let w = new Float64Array(P);
    let f = this.objective(w);
    let gradNorm = Infinity;
    let it = 0;
    for (; it < maxIter; it++) {
      const g = this.projectBiases(this.gradient(w));
      gradNorm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      if (gradNorm < 1e-13) break;
      const H = this.hessian(w);
      // the flat direction (0, 1_C)/√C gets a unit curvature so that H is invertible on the whole space
      this.addBiasShift(H, 1);
      const step = this.projectBiases(choleskySolve(H, g, P));
      let a = 1;
      for (let ls = 0; ls < 40; ls++, a /= 2) {
        const trial = w.map((x, k) => x - a * step[k]);
        const ft = this.objective(trial);
        if (ft <= f + 1e-16 * Math.abs(f)) {
          w = trial;
          f = ft;
          break;
        }
      }
      if (a < 1e-12) break;
    }
    return { w, f, gradNorm, iterations: it };
  }

  /** H += shift · n nᵀ with n = (0, 1_C)/√C */
  private addBiasShift(H: Float64Array, shift: number): void {
    const { C, D } = this.data;
    const P = this.P;
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) H[(C * D + a) * P + C * D + b] += shift / C;
  }

  /**
   * q: a Lipschitz constant of ∇f, valid everywhere. ∇²f = (1/N) Σ_i A_i ⊗ x̃_i x̃_iᵀ + l2·I_W with
   * A_i = diag(p) − ppᵀ ≼ ½ I (Gershgorin: row c sums to 2p_c(1 − p_c) ≤ ½) and x̃ = (x, 1), so
   * λ_max(∇²f) ≤ ½ λ_max(M) + l2 with M = (1/N) Σ_i x̃_i x̃_iᵀ (power iteration on the (D+1)² matrix).
   */
  lipschitzBound(): number {
    const { X, N, T, D } = this.data;
    const D1 = D + 1;
    const M = new Float64Array(D1 * D1);
    const xt = new Float64Array(D1);
    for (let i = 0; i < N * T; i++) {
      for (let j = 0; j < D; j++) xt[j] = X[i * D + j];
      xt[D] = 1;
      for (let j = 0; j < D1; j++) for (let k = 0; k < D1; k++) M[j * D1 + k] += (xt[j] * xt[k]) / N;
    }
    return 0.5 * powerIteration(M, D1) + this.l2;
  }

  /** largest per-sample curvature bound (for a stable pilot step): max_s ½ Σ_t ‖x̃_t‖² + l2 */
  sampleLipschitzBound(): number {
    const { X, N, T, D } = this.data;
    let mx = 0;
    for (let s = 0; s < N; s++) {
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const i = s * T + t;
        let n2 = 1;
        for (let j = 0; j < D; j++) n2 += X[i * D + j] * X[i * D + j];
        sum += n2;
      }
      mx = Math.max(mx, sum);
    }
    return 0.5 * mx + this.l2;
  }

  /**
   * Smallest and largest eigenvalue of ∇²f(w) on the subspace Σ b = 0 (the flat bias direction is
   * lifted out of the spectrum). Null when P is too large for a dense eigen-decomposition.
   */
  curvatureAt(w: ArrayLike<number>): { min: number; max: number } | null {
    if (this.P > 600) return null;
    const H = this.hessian(w);
    const top = powerIteration(H, this.P);
    this.addBiasShift(H, 10 * top + 1);
    return { min: symmetricEigenvalues(H, this.P)[0], max: top };
  }
}
