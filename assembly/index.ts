// Every kernel the TypeScript side calls. The module imports one shared memory, runs on the stub
// runtime and allocates nothing: TypeScript owns all memory above heap_base().
export * from './linalg';
export * from './gemm';
export * from './update';
export * from './logreg';
export * from './embed';
export * from './crf';
export * from './lstm';

export function heap_base(): usize {
  return __heap_base;
}
