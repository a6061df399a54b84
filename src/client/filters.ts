/** Docker's `filters` query parameter: a JSON map of filter name to values. */
export type Filters = Record<string, string[]>;

/** Parses repeated `--filter key=value` flags into Filters (`key` alone means an empty value). */
export function parseFilters(flags: readonly string[]): Filters {
  const out: Filters = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i <= 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = f.slice(0, i).trim().toLowerCase();
    (out[k] ??= []).push(f.slice(i + 1));
  }
  return out;
}

export function encodeFilters(f: Filters | undefined): string | undefined {
  if (!f || Object.keys(f).length === 0) return undefined;
  return JSON.stringify(f);
}
