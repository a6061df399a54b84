/** Size and duration parsers with go-units / Go time semantics, as the docker CLI uses them. */

import { ramInBytes } from '../../core/units.js';

/** go-units RAMInBytes: "512m", "1g", "1.5GB", "100" (bytes); binary multiples whatever the suffix. */
export const parseBytes = ramInBytes;

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
