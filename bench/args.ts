// Option lookup for the benchmarks' small argument lists (`--name value`).

/** The value after `--name` in args, or undefined when the option is absent. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
