/** docker's timetypes.GetTimestamp: --since/--until values to the API's unix timestamps. */
import { parseDuration } from './units.js';
import { CliError } from '../program.js';

export function getTimestamp(value: string, nowMs: number = Date.now()): string {
  if (value === '') return '';
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  let durNs: number | undefined;
  try {
    durNs = parseDuration(value);
  } catch {
    durNs = undefined;
  }
  if (durNs !== undefined) {
    const ns = BigInt(nowMs) * 1_000_000n - BigInt(durNs);
    const sec = ns / 1_000_000_000n;
    const frac = ns % 1_000_000_000n;
    return `${sec}.${frac.toString().padStart(9, '0')}`;
  }
  let t = Date.parse(value);
  if (Number.isNaN(t) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) t = Date.parse(`${value}Z`);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  const ms = BigInt(t);
  return `${ms / 1000n}.${((ms % 1000n) * 1_000_000n).toString().padStart(9, '0')}`;
}

/** `--since`/`--until` as the API wants them; a bad value is a usage error (exit 1). */
export function timeRange(opts: { since?: unknown; until?: unknown }): { since?: string; until?: string } {
  try {
    return {
      since: opts.since ? getTimestamp(String(opts.since)) : undefined,
      until: opts.until ? getTimestamp(String(opts.until)) : undefined,
    };
  } catch (err) {
    throw new CliError(1, (err as Error).message);
  }
}
