// Loading the kernels module and instantiating it over a shared memory.
// Only the main thread reads the .wasm file; workers receive the compiled WebAssembly.Module.
import { readFileSync } from 'node:fs';
import { packageFile } from './package-root.js';

/** The kernels' exports as TypeScript sees them: pointers are byte offsets (numbers). */
export type Kernels = Record<string, (...args: number[]) => number> & {
  heap_base(): number;
};

export const WASM_PAGE = 65536;
/** The module's declared maximum (asconfig.json maximumMemory): the wasm32 limit, 4 GiB. */
export const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

/** Path of the built kernels. */
export function kernelsPath(): string {
  return packageFile('build', 'kernels.wasm');
}

/** Compiles build/kernels.wasm once per process. */
export function compileKernels(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(kernelsPath());
    } catch (e) {
      throw new Error(`cannot read the WebAssembly kernels at ${kernelsPath()}: run "npm run build" first (${(e as Error).message})`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return compiled;
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as Kernels;
}

/** Where TypeScript-owned memory may start: above the module's static data (page 0 is the control block). */
export function heapBase(module: WebAssembly.Module): number {
  const probe = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  return instantiate(module, probe).heap_base();
}
