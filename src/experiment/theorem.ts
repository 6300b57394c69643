// The Theorem 1 check (../shared/PAPER.md; Sun 2016, Section 2.2 and the proof in Section 4) on the
// strongly convex L2 logistic model: estimate c, q, κ and the gradient-error bound τ, compute the
// theorem's learning rate γ and update count t for a target ε, run serial SGD and AsynGrad with k
// workers at that γ with the real engines, and compare the measured f(w_t) − f(w*) with the bound
//   E[f(w_t) − f(w*)] ≤ (q/2)·a_t,  a_t ≤ (1 − cγ)^t (a₀ − a∞) + a∞,  a∞ = (2τ + γκ²)/c   (eq. 21, 22)
// How each constant is estimated, and where the assumptions fail, is in docs/experiment.md; the
// failures found in a run are listed in the result (`failures`).
import { availableParallelism } from 'node:os';
import { Engine, InterruptedError, type Mode } from '../engine/engine.js';
import { LogRegModel, syntheticLogReg } from '../models/logreg/model.js';
import { Rng } from '../runtime/rng.js';
import { dist2, dot } from './dense.js';
import { LogReg64 } from './logreg64.js';

export interface TheoremOptions {
  /** synthetic problem: samples, features, classes, tokens per sample, noise, L2, data seed */
  N?: number;
  D?: number;
  C?: number;
  T?: number;
  noise?: number;
  l2?: number;
  dataSeed?: number;
  /** target ε on E[f(w_t) − f(w*)] (default: 2% of f(w₀) − f(w*)) */
  epsilon?: number;
  /** β ≥ 1 in γ = (cε − 2τq)/(βqκ²) */
  beta?: number;
  /** AsynGrad worker counts (serial is always run) */
  threads?: number[];
  /** runs per configuration; the measured curve is their mean (an estimate of the expectation) */
  seeds?: number;
  /** cap on the updates of one run (the theorem's t can be large) */
  maxUpdates?: number;
  /** measurements per run */
  checkpoints?: number;
  /** stale-read replays per measured iterate (for τ) */
  replays?: number;
  cores?: number;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface TheoremPoint {
  updates: number;
  /** mean, min and max over the seeds of f(w_t) − f(w*) */
  gap: number;
  gapMin: number;
  gapMax: number;
  /** the theorem's bound (q/2)·a_t at this t */
  bound: number;
}

export interface TheoremConfig {
  name: string;
  mode: Mode;
  threads: number;
  oversubscribed: boolean;
  /** staleness assumed for τ: updates by other workers between a gradient's read and its write (k − 1) */
  staleness: number;
  /** τ per unit of γ from the pilot's stale-read replays (τ ≈ α·γ) */
  alpha: number;
  /** τ used for γ and the bound: α·γ */
  tau: number;
  /** condition (11): τ ≤ cε/(2q) */
  tauLimit: number;
  gamma: number;
  /** the theorem's update count t (eq. 10) */
  updatesTheorem: number;
  /** updates actually run (t, or --theorem-max-updates) */
  updatesRun: number;
  capped: boolean;
  aInfinity: number;
  measured: {
    /** max over measured iterates (all seeds) and replays of [∇f(w) − s(w)]ᵀ(w − w*) for stale reads */
    tauStale: number;
    /** the same, averaged over the replays (the expectation the proof's eq. 17 actually needs) */
    tauStaleMean: number;
    /** max over the final half of the run */
    tauStaleFinal: number;
    /** worst-case contribution of write-overwrites (each loses a whole gradient): ρ_write · max ∇f(w)ᵀ(w − w*) */
    tauLost: number;
    tauLostFinal: number;
    kappa: number;
    /** min over measured iterates of 2[(w − w*)ᵀ∇f(w) − (f(w) − f*)]/‖w − w*‖² (the c the proof uses) */
    cTrajectory: number;
    errorRate: number;
    readErrorRate: number;
    writeErrorRate: number;
    seconds: number;
    finalGap: number;
    /** first measured t with mean gap ≤ ε (null: not reached) */
    reachedEpsilonAt: number | null;
  };
  curve: TheoremPoint[];
  holds: { gammaC: boolean; tau: boolean; tauFinal: boolean; tauWithLost: boolean; tauWithLostFinal: boolean; kappa: boolean; c: boolean; epsilon: boolean };
}

export interface TheoremResult {
  problem: { N: number; D: number; C: number; T: number; noise: number; l2: number; dataSeed: number; params: number };
  optimum: { f: number; f0: number; gradNorm: number; newtonIterations: number; a0: number };
  constants: {
    c: { regulariser: number; hessianMinAtOptimum: number | null; trajectoryPilot: number; used: number };
    q: { bound: number; hessianMaxAtStart: number | null };
    kappa: { pilot: number; used: number };
    epsilon: number;
    beta: number;
  };
  pilot: { updates: number; gamma: number; iterates: number; replayGamma: number };
  cores: number;
  configs: TheoremConfig[];
  /** plain statements of where the theorem's assumptions fail or are only estimated, for this run */
  failures: string[];
}

export async function runTheoremCheck(o: TheoremOptions = {}): Promise<TheoremResult> {
  const N = o.N ?? 400, D = o.D ?? 16, C = o.C ?? 4, T = o.T ?? 1, noise = o.noise ?? 1.5, l2 = o.l2 ?? 0.1, dataSeed = o.dataSeed ?? 1;
  const beta = o.beta ?? 1;
  const threads = o.threads ?? [1, 2, 4];
  const seeds = o.seeds ?? 3;
  const maxUpdates = o.maxUpdates ?? 2_000_000;
  const checkpoints = Math.max(4, o.checkpoints ?? 40);
  const replays = o.replays ?? 16;
  const cores = o.cores ?? availableParallelism();
  const say = o.onProgress ?? (() => undefined);
  if (!(beta >= 1)) throw new Error(`--beta must be at least 1 (got ${beta})`);
  if (!(l2 > 0)) throw new Error('the Theorem 1 check needs l2 > 0 (strong convexity)');
  const data = syntheticLogReg(N, D, C, dataSeed, noise, T);
  const f64 = new LogReg64(data, l2);
  const P = f64.P;

  // w*, f*, a₀ = ‖w₀ − w*‖² with w₀ = 0 (the engine's start)
  const opt = f64.optimum();
  const wStar = opt.w, fStar = opt.f;
  const w0 = new Float64Array(P);
  const f0 = f64.objective(w0);
  const a0 = dist2(w0, wStar);
  const epsilon = o.epsilon ?? 0.02 * (f0 - fStar);
  if (!(epsilon > 0)) throw new Error(`--epsilon must be positive (got ${epsilon})`);
  say(`theorem: problem N=${N} D=${D} C=${C} T=${T} l2=${l2}: f(w0) = ${f0.toFixed(5)}, f* = ${fStar.toFixed(6)}, ‖∇f(w*)‖ = ${opt.gradNorm.toExponential(1)}, a0 = ${a0.toFixed(3)}`);

  // q: a global bound; the curvature at w₀ and w* for reference
  const q = f64.lipschitzBound();
  const atStart = f64.curvatureAt(w0);
  const atOpt = f64.curvatureAt(wStar);

  // Pilot: f64 SGD from w₀ towards w* (uniform draws, a stable decaying step) to sample the region the
  // runs will visit: κ, the trajectory modulus c, and the stale-read τ per unit γ.
  const qs = f64.sampleLipschitzBound();
  const pilotGamma = 1 / (2 * qs);
  const rng = new Rng(dataSeed, 0x7e0);
  const pilot: Float64Array[] = [Float64Array.from(w0)];
  {
    const w = Float64Array.from(w0);
    const g = new Float64Array(P);
    const every = Math.max(1, Math.floor(N / 4));
    for (let p = 0, u = 0; p < 8; p++) {
      const lr = pilotGamma * Math.pow(0.7, p);
      for (let i = 0; i < N; i++, u++) {
        f64.sampleGradient(rng.int(N), w, g);
        for (let k = 0; k < P; k++) w[k] -= lr * g[k];
        if ((u + 1) % every === 0) pilot.push(Float64Array.from(w));
      }
    }
    pilot.push(Float64Array.from(wStar));
  }
  let kappaPilot = 0, cPilot = Infinity;
  for (const w of pilot) {
    kappaPilot = Math.max(kappaPilot, f64.maxSampleGradientNorm(w));
    const c = trajectoryModulus(f64, w, wStar, fStar);
    if (c !== null) cPilot = Math.min(cPilot, c);
  }
  if (!Number.isFinite(cPilot)) cPilot = l2;
  const cUsed = Math.min(l2, cPilot, atOpt?.min ?? Infinity);
  const kappa = kappaPilot;
  const tauLimit = (cUsed * epsilon) / (2 * q);
  const replayGamma = 1e-3 / qs;
  const alphaFor = new Map<number, number>();
  const staleness = (k: number) => Math.max(0, k - 1);
  for (const k of threads) {
    const d = staleness(k);
    if (d === 0 || alphaFor.has(d)) continue;
    let mx = 0;
    const r = new Rng(dataSeed, 0x5a1e + d);
    for (const w of pilot) mx = Math.max(mx, staleTau(f64, w, wStar, d, replayGamma, replays, r).max);
    alphaFor.set(d, mx / replayGamma);
  }
  say(`theorem: c = ${cUsed.toPrecision(3)} (l2 ${l2}, trajectory ${cPilot.toPrecision(3)}, λmin ∇²f(w*) ${atOpt ? atOpt.min.toPrecision(3) : 'n/a'}), q = ${q.toPrecision(3)}, κ = ${kappa.toPrecision(3)}, ε = ${epsilon.toPrecision(3)}`);

  const configs: TheoremConfig[] = [];
  const plan: { name: string; mode: Mode; threads: number }[] = [{ name: 'serial SGD', mode: 'serial', threads: 1 }];
  for (const k of threads) plan.push({ name: `AsynGrad (${k} worker${k > 1 ? 's' : ''})`, mode: 'async', threads: k });
  for (const cfg of plan) {
    if (o.signal?.aborted) throw new InterruptedError('theorem check interrupted');
    const d = cfg.mode === 'serial' ? 0 : staleness(cfg.threads);
    const alpha = d === 0 ? 0 : alphaFor.get(d)!;
    // τ = α·γ in γ = (cε − 2τq)/(βqκ²) gives γ = cε/(βqκ² + 2qα)
    const gamma = (cUsed * epsilon) / (beta * q * kappa * kappa + 2 * q * alpha);
    const tau = alpha * gamma;
    const denom = cUsed * (cUsed * epsilon - 2 * tau * q);
    const updatesTheorem = Math.ceil((beta * q * kappa * kappa * Math.log((q * a0) / epsilon)) / denom);
    const updatesRun = Math.max(checkpoints, Math.min(updatesTheorem, maxUpdates));
    const aInf = (2 * tau + gamma * kappa * kappa) / cUsed;
    const bound = (t: number) => (q / 2) * (Math.pow(1 - cUsed * gamma, t) * (a0 - aInf) + aInf);
    say(`theorem: ${cfg.name}: γ = ${gamma.toPrecision(3)}, τ = ${tau.toPrecision(3)} (limit ${tauLimit.toPrecision(3)}), t = ${updatesTheorem}${updatesTheorem > updatesRun ? ` (running ${updatesRun})` : ''}`);

    const chunk = Math.ceil(updatesRun / checkpoints);
    const gaps: number[][] = [];
    const xs: number[] = [];
    let tauStale = 0, tauStaleMeanMax = -Infinity, tauStaleFinal = 0, tauLost = 0, tauLostFinal = 0;
    let kappaObs = 0, cTraj = Infinity, samples = 0, errs = 0, readErrs = 0, writeErrs = 0, seconds = 0;
    const replayRng = new Rng(dataSeed, 0xbeef + cfg.threads);
    for (let s = 0; s < seeds; s++) {
      // uniform draws with replacement: the sampling Theorem 1 assumes
      const engine = await Engine.create(new LogRegModel(data, l2), { mode: cfg.mode, threads: cfg.threads, seed: 1000 + s, sampling: 'uniform' });
      const row: number[] = [f0 - fStar];
      if (s === 0) xs.push(0);
      try {
        for (let j = 0, done = 0; j < checkpoints && done < updatesRun; j++) {
          if (o.signal?.aborted) throw new InterruptedError('theorem check interrupted');
          const n = Math.min(chunk, updatesRun - done);
          const st = await engine.runPass(gamma, { samples: n });
          done += n;
          seconds += st.seconds;
          let chunkWrite = 0;
          for (const w of st.workers) {
            samples += w.samples;
            errs += w.errors;
            readErrs += w.readErrors;
            writeErrs += w.writeErrors;
            chunkWrite += w.writeErrors;
          }
          const rhoWrite = st.samples ? chunkWrite / st.samples : 0;
          const w = Float64Array.from(engine.weights());
          const f = f64.objective(w);
          row.push(f - fStar);
          if (s === 0) xs.push(done);
          const final = j >= checkpoints / 2;
          kappaObs = Math.max(kappaObs, f64.maxSampleGradientNorm(w));
          const c = trajectoryModulus(f64, w, wStar, fStar);
          if (c !== null) cTraj = Math.min(cTraj, c);
          if (d > 0) {
            const r = staleTau(f64, w, wStar, d, gamma, Math.max(2, Math.ceil(replays / seeds)), replayRng);
            tauStale = Math.max(tauStale, r.max);
            tauStaleMeanMax = Math.max(tauStaleMeanMax, r.mean);
            if (final) tauStaleFinal = Math.max(tauStaleFinal, r.max);
          }
          const lost = rhoWrite * Math.max(0, dot(f64.gradient(w), w.map((x, k) => x - wStar[k])));
          tauLost = Math.max(tauLost, lost);
          if (final) tauLostFinal = Math.max(tauLostFinal, lost);
        }
      } finally {
        await engine.close();
      }
      gaps.push(row);
    }
    const curve: TheoremPoint[] = xs.map((t, i) => {
      const col = gaps.map((r) => r[i]).filter((x) => x !== undefined);
      return { updates: t, gap: mean(col), gapMin: Math.min(...col), gapMax: Math.max(...col), bound: bound(t) };
    });
    const reached = curve.find((p) => p.gap <= epsilon);
    const finalGap = curve[curve.length - 1].gap;
    const measured = {
      tauStale, tauStaleMean: d > 0 ? tauStaleMeanMax : 0, tauStaleFinal, tauLost, tauLostFinal,
      kappa: kappaObs, cTrajectory: Number.isFinite(cTraj) ? cTraj : cUsed,
      errorRate: samples ? errs / samples : 0, readErrorRate: samples ? readErrs / samples : 0, writeErrorRate: samples ? writeErrs / samples : 0,
      seconds, finalGap, reachedEpsilonAt: reached ? reached.updates : null,
    };
    configs.push({
      name: cfg.name, mode: cfg.mode, threads: cfg.threads, oversubscribed: cfg.threads > cores, staleness: d, alpha, tau, tauLimit,
      gamma, updatesTheorem, updatesRun, capped: updatesTheorem > updatesRun, aInfinity: aInf, measured, curve,
      holds: {
        gammaC: gamma * cUsed < 1,
        tau: tauStale <= tauLimit,
        tauFinal: tauStaleFinal <= tauLimit,
        tauWithLost: tauStale + tauLost <= tauLimit,
        tauWithLostFinal: tauStaleFinal + tauLostFinal <= tauLimit,
        kappa: kappaObs <= kappa * (1 + 1e-6),
        c: measured.cTrajectory >= cUsed * (1 - 1e-6),
        epsilon: finalGap <= epsilon || curve.every((p) => p.gap <= p.bound),
      },
    });
    say(`theorem: ${cfg.name}: final f − f* = ${finalGap.toExponential(2)} (bound ${curve[curve.length - 1].bound.toExponential(2)}), gradient errors ${(100 * measured.errorRate).toFixed(1)}%`);
  }

  const result: TheoremResult = {
    problem: { N, D, C, T, noise, l2, dataSeed, params: P },
    optimum: { f: fStar, f0, gradNorm: opt.gradNorm, newtonIterations: opt.iterations, a0 },
    constants: {
      c: { regulariser: l2, hessianMinAtOptimum: atOpt?.min ?? null, trajectoryPilot: cPilot, used: cUsed },
      q: { bound: q, hessianMaxAtStart: atStart?.max ?? null },
      kappa: { pilot: kappaPilot, used: kappa },
      epsilon,
      beta,
    },
    pilot: { updates: 8 * N, gamma: pilotGamma, iterates: pilot.length, replayGamma },
    cores,
    configs,
    failures: [],
  };
  result.failures = assumptionFailures(result);
  return result;
}

/**
 * The modulus the proof actually uses at w (eq. 4 with w' = w*, rearranged):
 * c(w) = 2[(w − w*)ᵀ∇f(w) − (f(w) − f*)] / ‖w − w*‖². Null when w is too close to w* to tell.
 */
function trajectoryModulus(f: LogReg64, w: Float64Array, wStar: Float64Array, fStar: number): number | null {
  const d2 = dist2(w, wStar);
  if (d2 < 1e-8) return null;
  const g = f.gradient(w);
  const diff = w.map((x, k) => x - wStar[k]);
  return (2 * (dot(g, diff) - (f.objective(w) - fStar))) / d2;
}

/**
 * Stale-read replay: a worker reads w, and while it computes, the other workers apply d updates
 * (d = k − 1: each of them finishes about one gradient in the time of one); its gradient, computed at
 * the read w, is applied at the write-time weights w'. So s(w') = E_z ∇f_z(w) = ∇f(w) and
 * δ(w') = ∇f(w') − ∇f(w); the quantity bounded by τ in (8) is δ(w')ᵀ(w' − w*). Replayed `replays`
 * times with uniform draws at step γ; returns the max and the mean over the replays.
 */
function staleTau(f: LogReg64, w: Float64Array, wStar: Float64Array, d: number, gamma: number, replays: number, rng: Rng): { max: number; mean: number } {
  const P = f.P;
  const gRead = f.gradient(w);
  const g = new Float64Array(P);
  let mx = -Infinity, sum = 0;
  for (let r = 0; r < replays; r++) {
    const w2 = Float64Array.from(w);
    for (let i = 0; i < d; i++) {
      f.sampleGradient(rng.int(f.data.N), w2, g);
      for (let k = 0; k < P; k++) w2[k] -= gamma * g[k];
    }
    const gWrite = f.gradient(w2);
    let v = 0;
    for (let k = 0; k < P; k++) v += (gWrite[k] - gRead[k]) * (w2[k] - wStar[k]);
    mx = Math.max(mx, v);
    sum += v;
  }
  return { max: Math.max(0, mx), mean: sum / replays };
}

function mean(xs: number[]): number {
  return xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2));

/** Where the assumptions fail (or are estimates, not guarantees) in this run, in plain words. */
export function assumptionFailures(r: TheoremResult): string[] {
  const out: string[] = [];
  const { c, q, kappa, epsilon } = r.constants;
  out.push(
    `Strong convexity (4) fails on the whole parameter space: the biases are not regularised and softmax is unchanged when all biases move together, so f is flat along (0, 1_C) and its modulus there is 0, not l2 = ${fmt(c.regulariser)}. ` +
      `SGD from w0 = 0 never leaves the subspace Σ_c b_c = 0 (every sample's bias gradient sums to 0), and on it the bias curvature comes from the data alone: ` +
      `the smallest Hessian eigenvalue at w* is ${c.hessianMinAtOptimum === null ? 'not computed (too many parameters)' : fmt(c.hessianMinAtOptimum)}, the smallest modulus seen along the pilot trajectory ${fmt(c.trajectoryPilot)}; we use c = ${fmt(c.used)}.`,
  );
  out.push(
    `The bound ‖s_z(w)‖ ≤ κ (6) cannot hold everywhere for a strongly convex f (‖∇f(w)‖ ≥ c‖w − w*‖ grows without limit); κ = ${fmt(kappa.used)} is the largest per-sample gradient norm seen on the pilot's iterates, a property of the region the runs visit, not a constant of the problem.`,
  );
  out.push(
    `τ in (8) is not a constant of the problem either: it grows with γ (τ ≈ α·γ) and with the staleness, which depends on the thread schedule. We estimate it by replaying stale reads (a gradient computed d = k − 1 updates before it is written) at the measured iterates; torn reads (rows of two versions) lie between those versions and are covered by the same replay; lost updates from write-overwrites are bounded separately (each one taken to lose a whole gradient).`,
  );
  for (const k of r.configs) {
    const m = k.measured;
    if (k.oversubscribed) {
      out.push(`${k.name}: ${k.threads} workers on ${r.cores} cores (oversubscribed): a descheduled worker holds its read for a whole time slice, thousands of updates, so the staleness d = k − 1 behind τ is not a bound; τ here is an optimistic estimate.`);
    }
    if (!k.holds.tau) {
      out.push(`${k.name}: condition (11) fails on the measured iterates: stale-read τ = ${fmt(m.tauStale)} > cε/(2q) = ${fmt(k.tauLimit)}${k.holds.tauFinal ? ` (it holds in the final half of the run: ${fmt(m.tauStaleFinal)})` : ''}.`);
    }
    if (m.writeErrorRate > 0 && !k.holds.tauWithLost) {
      out.push(
        `${k.name}: read in the worst case from its ${(100 * m.writeErrorRate).toFixed(2)}% write-overwrites (each losing a whole gradient), τ would be ${fmt(m.tauStale + m.tauLost)} over the run and ${fmt(m.tauStaleFinal + m.tauLostFinal)} in its final half, against the limit ${fmt(k.tauLimit)}: ` +
          (k.holds.tauWithLostFinal
            ? '(11) then holds only in the final convergence region.'
            : '(11) cannot be verified from the error rate alone, not even in the final convergence region where the paper argues it holds. The worst case is very pessimistic: two writers in one block lose only the elements they update at the same instant.'),
      );
    }
    if (!k.holds.kappa) out.push(`${k.name}: the runs exceeded the κ used: max ‖s_z‖ seen ${fmt(m.kappa)} > κ = ${fmt(kappa.used)}.`);
    if (!k.holds.c) out.push(`${k.name}: the modulus along the run's iterates, ${fmt(m.cTrajectory)}, is below the c used (${fmt(c.used)}).`);
    if (!k.holds.gammaC) out.push(`${k.name}: γc = ${fmt(k.gamma * c.used)} ≥ 1 violates (7).`);
    if (k.capped) out.push(`${k.name}: the theorem's t = ${k.updatesTheorem} updates was capped at ${k.updatesRun}; the bound there is ${fmt(k.curve[k.curve.length - 1].bound)} (ε = ${fmt(epsilon)}).`);
    const violated = k.curve.filter((p) => p.gap > p.bound);
    if (violated.length) out.push(`${k.name}: the measured mean gap exceeded the bound at ${violated.length} of ${k.curve.length} points (first at t = ${violated[0].updates}).`);
  }
  const serial = r.configs.find((k) => k.mode === 'serial');
  if (serial) out.push('Serial SGD draws a fresh random permutation each pass, not i.i.d. uniform samples as the proof assumes; AsynGrad with 1 worker is the i.i.d. version.');
  const reached = r.configs.filter((k) => k.measured.reachedEpsilonAt !== null);
  if (reached.length) {
    const ratio = Math.min(...reached.map((k) => k.updatesTheorem / k.measured.reachedEpsilonAt!));
    out.push(`The bound is loose: the measured mean gap reached ε after at most 1/${fmt(ratio)} of the theorem's t (the proof bounds f − f* by (q/2)‖w − w*‖² and ‖s‖² by κ², both worst cases; q/c = ${fmt(q.bound / c.used)}).`);
  }
  out.push('E[f(w_t) − f(w*)] is estimated by the mean over a few seeded runs; the engine keeps w and computes gradients in f32 while f and w* are f64, which puts a floor of about 1e-7 relative under the measured gap.');
  out.push('None of this covers the CRF and Bi-LSTM experiments: they use a decaying learning rate, the CRF applies its L2 shrink once a pass and skips token updates below 1e-3, and the Bi-LSTM objective is not convex and is trained with Adam.');
  return out;
}
