/** Size and duration parsers with go-units / Go time semantics, as the docker CLI uses them. */

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1g", "1.5GB", "100" (bytes); binary multiples whatever the suffix. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const size = Number.parseFloat(m[1] as string);
  if (Number.isNaN(size)) throw new Error(`invalid size: '${s}'`);
  return Math.trunc(size * (BINARY[(m[2] ?? '').toLowerCase()] as number));
}

/** --memory-swap: -1 means unlimited, otherwise a size. */
export function parseSwap(s: string): number {
  return s === '-1' ? -1 : parseBytes(s);
}

export { parseDuration } from '../../core/duration.js';

/** --cpus: a decimal number of CPUs, to NanoCPUs. */
export function parseCpus(s: string): number {
  if (!/^\d*\.?\d+$/.test(s)) throw new Error(`failed to parse ${s} as a rational number`);
  const n = Math.round(Number.parseFloat(s) * 1e9);
  return n;
}

/** A Go-style strconv.ParseInt for flag values. */
export function parseIntFlag(s: string): number {
  if (!/^[-+]?\d+$/.test(s.trim())) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number.parseInt(s, 10);
}
