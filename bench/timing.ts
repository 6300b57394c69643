// Timing helpers for the benchmarks: repeat a body until it runs long enough, take medians.

/** Median of an array of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seconds per call of fn: calibrates a repeat count to ~minSeconds, then the median of `runs`. */
export function secondsPerCall(fn: () => void, runs = 5, minSeconds = 0.05): number {
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if ((performance.now() - t0) / 1000 > minSeconds) break;
    reps *= 2;
  }
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    times.push((performance.now() - t0) / 1000 / reps);
  }
  return median(times);
}

export function emit(obj: Record<string, unknown>): void {
  console.log(JSON.stringify(obj));
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
