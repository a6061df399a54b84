/** Command-line options of the benchmark scripts: `--name value`, positive integers checked. */
const argv = process.argv.slice(2);

export function opt(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function numOpt(name: string, dflt: number): number {
  const v = opt(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} wants a positive integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

/** Prints the usage line and exits on -h/--help. */
export function usage(line: string): void {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(`usage: ${line}`);
    process.exit(0);
  }
}
