/**
 * Prints a stream of Docker JSON progress messages as the docker CLI does (jsonmessage): on a terminal,
 * one line per id, redrawn in place with its progress bar; otherwise only the status lines, no bars.
 */
import type { JSONMessage } from '../../api/types.js';
import { humanSize } from './humanize.js';

/** A progress bar drawn from progressDetail for a terminal of `width` columns. */
export function bar(current: number, total: number, width: number): string {
  if (total <= 0) return current > 0 ? humanSize(current).padStart(8) : '';
  const pct = Math.min(50, Math.trunc((current / total) * 50));
  const box = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] ` : '';
  return `${box}${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export class ProgressPrinter {
  private readonly ids: string[] = [];

  constructor(
    private readonly out: (s: string) => void,
    private readonly tty: boolean,
    private readonly width = 120,
  ) {}

  line(m: JSONMessage): string {
    const detail = m.progressDetail;
    const prog = detail && (detail.current ?? 0) > 0 ? bar(detail.current ?? 0, detail.total ?? 0, this.width) : (m.progress ?? '');
    return `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}${prog ? ` ${prog}` : ''}`;
  }

  show(m: JSONMessage): void {
    if (m.stream !== undefined) {
      this.out(m.stream);
      return;
    }
    if (m.status === undefined) return; // aux
    const isProgress = m.progressDetail !== undefined && (m.progressDetail.current !== undefined || m.progress);
    if (!this.tty) {
      if (!isProgress) this.out(`${this.line(m)}\n`);
      return;
    }
    if (!m.id) {
      // later ids start a new block below this line
      this.ids.length = 0;
      this.out(`${this.line(m)}\n`);
      return;
    }
    const i = this.ids.indexOf(m.id);
    if (i < 0) {
      this.ids.push(m.id);
      this.out(`\x1b[2K\r${this.line(m)}\n`);
      return;
    }
    const up = this.ids.length - i;
    this.out(`\x1b[${up}A\x1b[2K\r${this.line(m)}\x1b[${up}B\r`);
  }
}
