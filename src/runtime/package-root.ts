// Files shipped with the package (the .wasm, the worker bundle, templates, bundled data) are found
// from the package root, so the same code works from src/ (tests) and from dist/ (bundled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'asyngrad') return (root = dir);
      } catch {
        /* not ours */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the asyngrad package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
