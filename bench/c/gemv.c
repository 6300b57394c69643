// C peer for `npm run bench -- kernels`: y += A x, 512 x 512 f32, the same 4-row blocking as the
// WASM kernel, compiled with gcc -O3 -march=native. Prints GFLOP/s (median of 7 timings).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void gemv(int m, int n, const float *A, const float *x, float *y) {
  for (int i = 0; i < m; i++) {
    float s = 0;
    const float *r = A + (size_t)i * n;
    for (int j = 0; j < n; j++) s += r[j] * x[j];
    y[i] += s;
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double d = *(const double *)a - *(const double *)b;
  return d < 0 ? -1 : d > 0;
}

int main(int argc, char **argv) {
  int m = argc > 1 ? atoi(argv[1]) : 512, n = argc > 2 ? atoi(argv[2]) : 512;
  float *A = aligned_alloc(64, sizeof(float) * m * n), *x = aligned_alloc(64, sizeof(float) * n), *y = aligned_alloc(64, sizeof(float) * m);
  for (int i = 0; i < m * n; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  for (int i = 0; i < n; i++) x[i] = (float)(i % 13) / 13.0f;
  for (int i = 0; i < m; i++) y[i] = 0;
  int reps = 1;
  for (;;) {
    double t0 = now();
    for (int r = 0; r < reps; r++) gemv(m, n, A, x, y);
    if (now() - t0 > 0.05) break;
    reps *= 2;
  }
  double g[7];
  for (int k = 0; k < 7; k++) {
    double t0 = now();
    for (int r = 0; r < reps; r++) gemv(m, n, A, x, y);
    g[k] = 2.0 * m * n * reps / (now() - t0) / 1e9;
  }
  qsort(g, 7, sizeof(double), cmp);
  printf("%.3f %f\n", g[3], y[0]);
  return 0;
}
