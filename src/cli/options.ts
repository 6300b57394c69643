// Option parsing helpers for commander: a bad value names the option and exits with code 2.
import { InvalidArgumentError } from 'commander';
import { OptionError } from '../train/option-error.js';

/** A bad command line (exit code 2); the library's option errors are treated the same. */
export class UsageError extends OptionError {}

export function intOption(name: string, lo: number, hi: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name} must be an integer from ${lo} to ${hi} (got "${v}")`);
    return n + 0; // -0 (from "-0") becomes 0
  };
}

export function numberOption(name: string, lo: number, hi: number) {
  return (v: string): number => {
    const n = Number(v);
    // decimal only ("1e-3", ".5"): Number() would also take "0x10" and "0b1"
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) || !Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name} must be a number from ${lo} to ${hi} (got "${v}")`);
    return n + 0; // -0 becomes 0
  };
}
