/**
 * Docker's time values on the daemon side (moby api/types/time):
 *   parseTimestamps  the API's "seconds[.fraction]" form (GET /events since/until), to nanoseconds
 *   getTimestamp     what a user typed (a Go duration before now, an RFC 3339 date, or unix seconds),
 *                    as prune's `until` filter takes it, to nanoseconds
 */
import { invalidArgument } from './errors.js';
import { parseDuration } from './duration.js';

/** "1700000000", "1700000000.5", "1700000000.000000001" -> ns; InvalidArgument with Go's text otherwise. */
export function parseTimestamps(value: string): bigint {
  const dot = value.indexOf('.');
  const secText = dot < 0 ? value : value.slice(0, dot);
  if (!/^[+-]?\d+$/.test(secText)) throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(secText)}: invalid syntax`);
  const sec = BigInt(secText);
  if (dot < 0) return sec * 1_000_000_000n;
  const frac = value.slice(dot + 1);
  if (!/^\d+$/.test(frac)) throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(frac)}: invalid syntax`);
  // as moby: the fraction is scaled to nanoseconds (longer ones are truncated)
  const ns = BigInt(frac.padEnd(9, '0').slice(0, 9));
  return sec * 1_000_000_000n + (sec < 0n ? -ns : ns);
}

/** RFC 3339 and its shorter forms as Docker accepts them ("2024-01-02", "2024-01-02T15:04", ...; no zone = local time). */
function parseDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${zone ?? ''}`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** Docker's GetTimestamp, to ns: a duration is taken back from `nowMs`. InvalidArgument with Docker's text. */
export function getTimestamp(value: string, nowMs: number = Date.now()): bigint {
  const now = BigInt(nowMs) * 1_000_000n;
  if (value === '0') return now; // Go's time.ParseDuration takes a bare 0
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.test(value)) {
    const neg = value.startsWith('-');
    const ns = BigInt(parseDuration(value.replace(/^[+-]/, '')));
    return now - (neg ? -ns : ns);
  }
  const t = parseDate(value);
  if (t !== undefined) return BigInt(t) * 1_000_000n;
  if (value.includes('-') && !/^-?\d+(\.\d+)?$/.test(value)) throw invalidArgument(`parsing time ${JSON.stringify(value)}: cannot parse as RFC 3339`);
  try {
    return parseTimestamps(value);
  } catch {
    throw invalidArgument(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
}

/** The `until` filter of a prune as ns, or undefined; InvalidArgument with Docker's texts. */
export function pruneUntil(filters: Record<string, string[]>, nowMs: number = Date.now()): bigint | undefined {
  const vals = filters.until ?? [];
  if (vals.length === 0) return undefined;
  if (vals.length > 1) throw invalidArgument('more than one until filter specified');
  return getTimestamp(vals[0]!, nowMs);
}
