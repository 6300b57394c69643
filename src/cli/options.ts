// Option parsing helpers for commander: a bad value names the option and exits with code 2.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** A file the run will write: not empty, not a directory, in an existing writable directory. */
export function checkWritable(path: string, option: string): void {
  if (path === '') throw new UsageError(`${option} needs a file name (got "")`);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch { /* does not exist yet: fine */ }
  if (isDir) throw new UsageError(`${option} ${path}: is a directory; give a file name`);
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${path}: ${code === 'ENOENT' ? `the directory ${dir} does not exist` : `the directory ${dir} is not writable (${code})`}`);
  }
}
