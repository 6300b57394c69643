// Embedding rows: gather into a token-major input buffer, and scatter-add the input gradient back.
import { axpy } from './linalg';

// out[t*outStride + col .. + dim) = E[ids[t]*dim .. + dim) for t < T
export function gather_rows(E: usize, dim: i32, ids: usize, T: i32, out: usize, outStride: i32, col: i32): void {
  const bytes = <usize>dim << 2;
  for (let t = 0; t < T; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    memory.copy(out + ((<usize>(t * outStride + col)) << 2), E + <usize>id * bytes, bytes);
  }
}

// G[ids[t]*dim .. + dim) += dX[t*xStride + col .. + dim) for t < T
export function scatter_add_rows(G: usize, dim: i32, ids: usize, T: i32, dX: usize, xStride: i32, col: i32): void {
  for (let t = 0; t < T; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    axpy(dim, 1, dX + ((<usize>(t * xStride + col)) << 2), G + (<usize>(id * dim) << 2));
  }
}
