// Bundles the library, the worker, the CLI and the benchmarks into dist/ as ESM for Node 20.
// The worker must be a built .js file (Node 20 cannot spawn a .ts worker), and it is found at
// runtime from the package root (src/runtime/package-root.ts), from both src/ and dist/.
import { build } from 'esbuild';

// vega, vega-lite and @resvg/resvg-js (a native addon) are loaded at run time by `experiment` only.
const external = ['commander', 'cli-progress', 'vega', 'vega-lite', '@resvg/resvg-js'];
await build({
  entryPoints: {
    index: 'src/index.ts',
    worker: 'src/runtime/worker.ts',
    'decode-worker': 'src/runtime/decode-worker.ts',
    cli: 'src/cli/main.ts',
    bench: 'bench/main.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external,
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
