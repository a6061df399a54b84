/**
 * conmon's k8s-file (CRI) log line: `<RFC3339Nano timestamp> stdout|stderr F|P <text>`. "P" marks a partial
 * line (the text had no newline yet; the next P/F line of the same stream continues it), "F" a full one.
 */

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  /** Nanoseconds since the Unix epoch. */
  timeNs: bigint;
  time: Date;
  stream: LogStream;
  partial: boolean;
  /** The text without the newline (the file format drops it). */
  text: Buffer;
}

const TS_RE = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):(\d\d))$/;

let lastPrefix = '';
let lastPrefixNs = 0n;

/** RFC 3339 with up to 9 fractional digits → nanoseconds since the epoch; null when malformed. */
export function parseTimestamp(ts: string): bigint | null {
  // Fast path: lines of one second share "YYYY-MM-DDTHH:MM:SS" and the zone.
  const dot = ts.length > 20 && ts.charCodeAt(19) === 0x2e ? 19 : -1;
  if (dot > 0 && lastPrefix !== '') {
    let end = 20;
    while (end < ts.length && end < 29 && ts.charCodeAt(end) >= 0x30 && ts.charCodeAt(end) <= 0x39) end++;
    if (end > 20 && ts.slice(0, 19) + ts.slice(end) === lastPrefix) {
      return lastPrefixNs + BigInt(ts.slice(20, end).padEnd(9, '0'));
    }
  }
  const m = TS_RE.exec(ts);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return null;
  let ns = BigInt(ms) * 1_000_000n;
  if (!m[8] && m[9]) {
    const off = BigInt(Number(m[10]) * 3600 + Number(m[11]) * 60) * 1_000_000_000n;
    ns = m[9] === '+' ? ns - off : ns + off;
  }
  if (m[7] !== undefined) {
    lastPrefix = ts.slice(0, 19) + ts.slice(20 + m[7].length);
    lastPrefixNs = ns;
  }
  return ns + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Docker's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") in UTC: always 9 fractional digits. */
export function formatTimestamp(ns: bigint): string {
  let secs = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    secs -= 1n;
  }
  const d = new Date(Number(secs) * 1000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac.toString().padStart(9, '0')}Z`;
}

/**
 * A time bound given as Unix seconds (Docker's `since`/`until`): a number (fractional ok) or a string
 * "1700000000.123456789" parsed exactly. 0 or "" means no bound (null).
 */
export function unixToNs(t: number | string | undefined | null): bigint | null {
  if (t === undefined || t === null || t === '' || t === 0) return null;
  if (typeof t === 'number') {
    const secs = Math.floor(t);
    return BigInt(secs) * 1_000_000_000n + BigInt(Math.round((t - secs) * 1e9));
  }
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(t.trim());
  if (!m) return null;
  const ns = BigInt(m[1] as string) * 1_000_000_000n;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return ns === 0n && frac === 0n ? null : ns + (ns < 0n ? -frac : frac);
}

/** Parses one line (without its "\n"); null for anything that is not a well-formed CRI log line. */
export function parseLogLine(line: Buffer | string): LogLine | null {
  const buf = typeof line === 'string' ? Buffer.from(line) : line;
  const s1 = buf.indexOf(0x20);
  if (s1 < 0) return null;
  const s2 = buf.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  let s3 = buf.indexOf(0x20, s2 + 1);
  if (s3 < 0) s3 = buf.length;
  const stream = buf.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const tag = buf.toString('latin1', s2 + 1, s3).split(':')[0];
  if (tag !== 'F' && tag !== 'P') return null;
  const timeNs = parseTimestamp(buf.toString('latin1', 0, s1));
  if (timeNs === null) return null;
  return {
    timeNs,
    get time() {
      return new Date(Number(timeNs / 1_000_000n));
    },
    stream,
    partial: tag === 'P',
    text: buf.subarray(Math.min(s3 + 1, buf.length)),
  };
}

/** Formats a line as conmon writes it (used by tests and tools); `text` must not contain "\n". */
export function formatLogLine(timeNs: bigint, stream: LogStream, partial: boolean, text: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${formatTimestamp(timeNs)} ${stream} ${partial ? 'P' : 'F'} `), Buffer.from(text), Buffer.from('\n')]);
}
