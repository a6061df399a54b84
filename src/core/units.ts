/** Sizes as Docker parses them everywhere (go-units RAMInBytes): binary multiples whatever the suffix. */

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "512", "64m", "1.5g", "10MiB", "1 GB" to bytes; throws `invalid size: '<s>'` for anything else. */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isFinite(n)) throw new Error(`invalid size: '${s}'`);
  return Math.trunc(n * (BINARY[(m[2] ?? '').toLowerCase()] as number));
}
