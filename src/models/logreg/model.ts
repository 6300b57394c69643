// Main-thread side of the L2-regularised multinomial logistic regression (dense features): the
// strongly convex model of Theorem 1, used to prove the engines and in the engines benchmark.
import type { ArenaLayout } from '../../runtime/arena.js';
import type { TrainableModel } from '../../engine/engine.js';
import type { ModelPlan } from '../../engine/plan.js';
import { Rng } from '../../runtime/rng.js';

export interface LogRegData {
  /** N x D row-major features */
  X: Float32Array;
  /** N labels in [0, C) */
  y: Int32Array;
  N: number;
  D: number;
  C: number;
}

export class LogRegModel implements TrainableModel {
  constructor(readonly data: LogRegData, readonly l2: number) {}

  get params(): number {
    return this.data.C * this.data.D + this.data.C;
  }

  reserve(arena: ArenaLayout): ModelPlan {
    const { N, D, C } = this.data;
    return {
      kind: 'logreg',
      params: this.params,
      wOffset: arena.reserve('logreg weights', this.params * 4),
      numSamples: N,
      stampCount: C + 1,
      listCapacity: C + 1,
      scratchBytes: Math.ceil((C * 4) / 64) * 64,
      data: {
        C,
        D,
        l2: this.l2,
        xOffset: arena.reserve('logreg features', N * D * 4),
        yOffset: arena.reserve('logreg labels', N * 4),
      },
    };
  }

  fill(memory: WebAssembly.Memory, plan: ModelPlan): void {
    new Float32Array(memory.buffer, plan.data.xOffset, this.data.X.length).set(this.data.X);
    new Int32Array(memory.buffer, plan.data.yOffset, this.data.N).set(this.data.y);
    new Float32Array(memory.buffer, plan.wOffset, this.params).fill(0);
  }

  /** f(w) = mean over samples of -log p(y|x) + (l2 / 2) |W|^2, in f64. */
  objective(w: Float32Array): number {
    const { X, y, N, D, C } = this.data;
    const logits = new Float64Array(C);
    let total = 0;
    for (let i = 0; i < N; i++) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = w[C * D + c];
        for (let j = 0; j < D; j++) s += w[c * D + j] * X[i * D + j];
        logits[c] = s;
        if (s > mx) mx = s;
      }
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(logits[c] - mx);
      total += -(logits[y[i]] - mx - Math.log(z));
    }
    let sq = 0;
    for (let j = 0; j < C * D; j++) sq += w[j] * w[j];
    return total / N + (this.l2 / 2) * sq;
  }

  accuracy(w: Float32Array): number {
    const { X, y, N, D, C } = this.data;
    let right = 0;
    for (let i = 0; i < N; i++) {
      let best = 0, bestScore = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = w[C * D + c];
        for (let j = 0; j < D; j++) s += w[c * D + j] * X[i * D + j];
        if (s > bestScore) { bestScore = s; best = c; }
      }
      if (best === y[i]) right++;
    }
    return right / N;
  }
}

/** A separable-ish synthetic problem: class centroids plus Gaussian noise, from a seed. */
export function syntheticLogReg(N: number, D: number, C: number, seed: number, noise = 1.0): LogRegData {
  const rng = new Rng(seed, 12345);
  const gauss = () => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const centroids = new Float32Array(C * D);
  for (let i = 0; i < C * D; i++) centroids[i] = gauss() / Math.sqrt(D) * 2;
  const X = new Float32Array(N * D);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = rng.int(C);
    y[i] = c;
    for (let j = 0; j < D; j++) X[i * D + j] = centroids[c * D + j] + (noise * gauss()) / Math.sqrt(D);
  }
  return { X, y, N, D, C };
}
