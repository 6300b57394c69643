// Main-thread side of the L2-regularised multinomial logistic regression (dense features): the
// strongly convex model of Theorem 1, used to prove the engines and in the engines benchmark.
import type { ArenaLayout } from '../../runtime/arena.js';
import type { TrainableModel } from '../../engine/engine.js';
import type { ModelPlan } from '../../engine/plan.js';
import { Rng } from '../../runtime/rng.js';
import { logregScratchBytes } from './gradient.js';

export interface LogRegData {
  /** (N * T) x D row-major features: sample s is tokens [s*T, (s+1)*T) */
  X: Float32Array;
  /** N * T labels in [0, C) */
  y: Int32Array;
  /** samples */
  N: number;
  /** tokens per sample (1: the classic per-example model) */
  T: number;
  D: number;
  C: number;
}

export class LogRegModel implements TrainableModel {
  constructor(readonly data: LogRegData, readonly l2: number) {}

  get params(): number {
    return this.data.C * this.data.D + this.data.C;
  }

  reserve(arena: ArenaLayout): ModelPlan {
    const { N, D, C, T } = this.data;
    return {
      kind: 'logreg',
      params: this.params,
      wOffset: arena.reserve('logreg weights', this.params * 4),
      numSamples: N,
      stampCount: C + 1,
      listCapacity: C + 1,
      uniqueList: true,
      scratchBytes: logregScratchBytes(C, D),
      data: {
        C,
        D,
        T,
        l2: this.l2,
        xOffset: arena.reserve('logreg features', N * T * D * 4),
        yOffset: arena.reserve('logreg labels', N * T * 4),
      },
    };
  }

  fill(memory: WebAssembly.Memory, plan: ModelPlan): void {
    new Float32Array(memory.buffer, plan.data.xOffset, this.data.X.length).set(this.data.X);
    new Int32Array(memory.buffer, plan.data.yOffset, this.data.y.length).set(this.data.y);
    new Float32Array(memory.buffer, plan.wOffset, this.params).fill(0);
  }

  /** f(w) = mean over samples of sum_t -log p(y_t|x_t) + (l2 / 2) |W|^2, in f64. */
  objective(w: Float32Array): number {
    const { X, y, N, D, C, T } = this.data;
    const logits = new Float64Array(C);
    let total = 0;
    for (let i = 0; i < N * T; i++) {
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
    const { X, y, N, D, C, T } = this.data;
    let right = 0;
    for (let i = 0; i < N * T; i++) {
      let best = 0, bestScore = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = w[C * D + c];
        for (let j = 0; j < D; j++) s += w[c * D + j] * X[i * D + j];
        if (s > bestScore) { bestScore = s; best = c; }
      }
      if (best === y[i]) right++;
    }
    return right / (N * T);
  }
}

/** A synthetic problem (samples of T tokens): class centroids plus Gaussian noise, from a seed. */
export function syntheticLogReg(N: number, D: number, C: number, seed: number, noise = 1.0, T = 1): LogRegData {
  const rng = new Rng(seed, 12345);
  const gauss = () => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const centroids = new Float32Array(C * D);
  for (let i = 0; i < C * D; i++) centroids[i] = gauss() / Math.sqrt(D) * 2;
  const X = new Float32Array(N * T * D);
  const y = new Int32Array(N * T);
  for (let i = 0; i < N * T; i++) {
    const c = rng.int(C);
    y[i] = c;
    for (let j = 0; j < D; j++) X[i * D + j] = centroids[c * D + j] + (noise * gauss()) / Math.sqrt(D);
  }
  return { X, y, N, D, C, T };
}
