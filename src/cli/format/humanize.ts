/** go-units HumanDuration / HumanSize and Go's time formatting, as the docker CLI prints them. */

import { humanDuration } from '../../core/humanize.js';

export { humanDuration };

/** "5 seconds ago" from a unix time in seconds. */
export function timeAgo(unixSeconds: number, nowMs: number = Date.now()): string {
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

/** Go's fmt %.*g: shortest of %e/%f at `prec` significant digits, trailing zeros removed. */
export function goG(x: number, prec: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  let s = x.toPrecision(prec);
  // toPrecision may round up into the next decade (999.9 -> "1.00e+3")
  const e = s.includes('e') ? Number.parseInt(s.split('e')[1] as string, 10) : exp;
  if (e < -4 || e >= prec) {
    let [mant, ex] = x.toExponential(prec - 1).split('e') as [string, string];
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const sign = ex.startsWith('-') ? '-' : '+';
    const digits = ex.replace(/^[-+]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  if (s.includes('e')) s = Number(s).toString();
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i] as string];
}

/** go-units HumanSizeWithPrecision: "4.26MB" at precision 3. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [s, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return `${goG(s, precision)}${unit}`;
}

/** go-units HumanSize (precision 4). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units BytesSize: binary units, precision 4 ("1.953GiB"). */
export function bytesSize(size: number): string {
  const [s, unit] = sizeAndUnit(size, 1024, BINARY);
  return `${goG(s, 4)}${unit}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Go's time.Time.String() in local time: "2024-05-01 10:00:00 +0000 UTC". */
export function goTimeString(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  let zone = 'UTC';
  if (off !== 0) {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    zone = part?.value ?? `${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)}`;
  }
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
    `${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)} ${zone}`
  );
}

/** docker's TruncateID: drop the algorithm prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const s = i >= 0 ? id.slice(i + 1) : id;
  return s.length > 12 ? s.slice(0, 12) : s;
}

/** docker's formatter.Ellipsis: cut to `max` display characters ending in "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 0) return '';
  return `${chars.slice(0, max - 1).join('')}…`;
}
