/**
 * Docker's JSON progress messages (pkg/jsonmessage), as pull and push stream them: one JSON object per
 * line with `status`, `id`, `progressDetail {current,total}` and a rendered `progress` bar. The docker
 * CLI redraws its bars from progressDetail; `progress` is what plain clients print. Byte counts are
 * rate-limited per id so a fast transfer does not flood the client.
 */
import type { JSONMessage } from '../api/types.js';
import { humanSize } from '../core/humanize.js';

export type ProgressSink = (m: JSONMessage) => void;

/** The bar as Docker renders it for a wide terminal: `[=====>        ]  1.2MB/3.4MB`. */
export function renderBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.trunc((current / total) * 100) / 2) | 0;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** Truncated id shown per layer: the first 12 hex of a digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export class Progress {
  private readonly last = new Map<string, number>();

  constructor(private readonly sink: ProgressSink, private readonly intervalMs = 100) {}

  status(status: string, id?: string): void {
    this.sink(id === undefined ? { status } : { status, progressDetail: {}, id });
  }

  message(m: JSONMessage): void {
    this.sink(m);
  }

  /** A byte count for `id`; dropped if the previous one for this id was sent less than the interval ago. */
  bytes(status: string, id: string, current: number, total: number, force = false): void {
    const now = Date.now();
    if (!force && now - (this.last.get(id) ?? 0) < this.intervalMs && current < total) return;
    this.last.set(id, now);
    this.sink({ status, progressDetail: { current, total }, progress: renderBar(current, total), id });
  }
}
