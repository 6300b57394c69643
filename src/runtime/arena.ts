// The shared-memory arena: one WebAssembly.Memory sized for the whole run before training starts
// (it never grows, so typed-array views never go stale). TypeScript owns the layout: regions are
// reserved by name, 64-byte aligned (one cache line), and kernels receive their byte offsets.
import { MAX_PAGES, WASM_PAGE } from './wasm.js';

export const CONTROL_BYTES = WASM_PAGE; // page 0: control block (memoryBase in asconfig.json is 65536)

export interface Region {
  name: string;
  offset: number;
  bytes: number;
}

export class ArenaLayout {
  private next: number;
  readonly regions: Region[] = [];

  constructor(heapBase: number) {
    this.next = align(Math.max(heapBase, CONTROL_BYTES), 64);
  }

  /** Reserves `bytes` and returns the region's byte offset. */
  reserve(name: string, bytes: number, alignment = 64): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`arena: region "${name}" has an invalid size ${bytes}`);
    const offset = align(this.next, alignment);
    this.regions.push({ name, offset, bytes });
    this.next = offset + bytes;
    return offset;
  }

  get totalBytes(): number {
    return align(this.next, WASM_PAGE);
  }

  /**
   * Creates the shared memory. A layout past the wasm32 limit fails here, naming the largest
   * regions, before any memory is allocated.
   */
  createMemory(): WebAssembly.Memory {
    const pages = this.totalBytes / WASM_PAGE;
    if (pages > MAX_PAGES) {
      const top = [...this.regions].sort((a, b) => b.bytes - a.bytes).slice(0, 4)
        .map((r) => `${r.name} ${formatBytes(r.bytes)}`).join(', ');
      throw new Error(`the model and data need ${formatBytes(this.totalBytes)} of shared memory, more than the WebAssembly (wasm32) limit of 4 GiB; largest regions: ${top}`);
    }
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  }

  describe(): string {
    return this.regions.map((r) => `${r.name}@${r.offset}+${formatBytes(r.bytes)}`).join('\n');
  }
}

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
