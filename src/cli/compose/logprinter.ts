/**
 * Log output of several containers as compose prints it: `web-1  | line`, prefixes padded to the same
 * width, each in its own colour on a terminal; lines of all containers interleaved in time.
 */
import type { BerthClient } from '../../client/client.js';
import { L } from '../../compose/labels.js';

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface PrinterOptions {
  color: boolean;
  prefix: boolean;
  timestamps: boolean;
}

export interface LogSource {
  id: string;
  /** `web-1` (service and number), as v2 prefixes lines */
  label: string;
}

export function sourceLabel(c: { Names: string[]; Labels: Record<string, string> }, project: string): string {
  const name = (c.Names[0] ?? '').replace(/^\//, '');
  const svc = c.Labels[L.service];
  const n = c.Labels[L.number];
  if (svc && n && name === `${project}-${svc}-${n}`) return `${svc}-${n}`;
  return name;
}

export class LogPrinter {
  private width = 0;
  private readonly colors = new Map<string, number>();
  constructor(private readonly out: NodeJS.WritableStream, private readonly o: PrinterOptions) {}

  register(label: string): void {
    this.width = Math.max(this.width, label.length);
    if (!this.colors.has(label)) this.colors.set(label, COLORS[this.colors.size % COLORS.length]!);
  }

  line(label: string, text: string): void {
    if (!this.o.prefix) {
      this.out.write(`${text}\n`);
      return;
    }
    const pad = label.padEnd(this.width);
    const prefix = this.o.color ? `\x1b[${this.colors.get(label) ?? 36}m${pad}  |\x1b[0m ` : `${pad}  | `;
    this.out.write(`${prefix}${text}\n`);
  }
}

/** Splits a docker log line with timestamps into its time and text. */
function splitTimestamp(line: string): [string, string] {
  const sp = line.indexOf(' ');
  if (sp < 0) return ['', line];
  return [line.slice(0, sp), line.slice(sp + 1)];
}

/** Splits a stream of chunks into lines (the last, unterminated part kept until more comes). */
export async function* lines(frames: AsyncIterable<{ payload: Buffer }>): AsyncGenerator<string> {
  let rest = '';
  for await (const f of frames) {
    rest += f.payload.toString('utf8');
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, i).replace(/\r$/, '');
      rest = rest.slice(i + 1);
    }
  }
  if (rest !== '') yield rest;
}

export interface FetchOptions {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
}

/**
 * Prints the logs of the sources: without follow, all lines sorted by time; with follow, the history
 * sorted, then lines as they come. Resolves when every stream ended.
 */
export async function printLogs(client: BerthClient, sources: LogSource[], printer: LogPrinter, o: FetchOptions, signal?: AbortSignal): Promise<void> {
  for (const s of sources) printer.register(s.label);
  const history: { ts: string; label: string; text: string }[] = [];
  // the history of every container first, merged in time
  await Promise.all(sources.map(async (s) => {
    const st = await client.containers.logs(s.id, { timestamps: true, tail: o.tail, since: o.since, until: o.until });
    for await (const l of lines(st.frames())) {
      const [ts, text] = splitTimestamp(l);
      history.push({ ts, label: s.label, text: o.timestamps ? l : text });
    }
  }));
  history.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  for (const h of history) printer.line(h.label, h.text);
  if (!o.follow) return;
  const since = history.length > 0 ? undefined : o.since;
  await Promise.all(sources.map(async (s) => {
    const last = history.filter((h) => h.label === s.label).at(-1)?.ts;
    const st = await client.containers.logs(s.id, { follow: true, timestamps: true, since: last ? sinceAfter(last) : since ?? undefined, tail: last ? undefined : '0' });
    signal?.addEventListener('abort', () => st.response.destroy(), { once: true });
    try {
      for await (const l of lines(st.frames())) {
        const [ts, text] = splitTimestamp(l);
        if (last && ts <= last) continue;
        printer.line(s.label, o.timestamps ? l : text);
      }
    } catch {
      // the stream was closed (abort) or the container went away
    }
  }));
}

/** `since` for the follow stream: the last printed timestamp (lines at or before it are skipped). */
function sinceAfter(ts: string): string {
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return ts;
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? '0';
  return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0').slice(0, 9)}`;
}
