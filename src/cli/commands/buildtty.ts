/**
 * The live view of `berth build` on a terminal, after BuildKit's tty progress: a header with the total
 * time and steps done, one line per step with its own elapsed time (CACHED for cache hits), and the last
 * lines of output of the steps still running; redrawn in place ten times a second.
 */
interface StepView {
  title: string;
  start: number;
  end?: number;
  cached: boolean;
  tail: string[];
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const RESULT = /^ ---> ([0-9a-f]{12})$/;

export class TtyProgress {
  private readonly steps: StepView[] = [];
  private readonly started = Date.now();
  private partial = '';
  private drawn = 0;
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.timer = setInterval(() => this.draw(), 100);
  }

  /** The step a line of output belongs to: the latest one still running. */
  private current(): StepView | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) if (this.steps[i]!.end === undefined) return this.steps[i];
    return undefined;
  }

  message(m: { stream?: string; status?: string; id?: string }): void {
    if (m.status) {
      this.current()?.tail.push(`${m.id ? `${m.id}: ` : ''}${m.status}`);
      return;
    }
    if (!m.stream) return;
    const text = this.partial + m.stream;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(raw: string): void {
    // a RUN's stderr comes wrapped in color codes: the view draws plain text
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const s = STEP.exec(line);
    if (s) {
      this.total = Number(s[2]);
      this.steps.push({ title: `[${s[1]}/${s[2]}] ${s[3]}`, start: Date.now(), cached: false, tail: [] });
      return;
    }
    const cur = this.current();
    if (!cur) return;
    if (line === ' ---> Using cache') cur.cached = true;
    else if (RESULT.test(line)) cur.end = Date.now();
    else if ((/^ ---> Running in /.test(line) || /^Removing intermediate container /.test(line)) || /^Successfully (built|tagged)/.test(line)) return;
    else {
      cur.tail.push(line);
      if (cur.tail.length > 6) cur.tail.shift();
    }
  }

  private frame(final: boolean): string[] {
    const now = Date.now();
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    const doneCount = this.steps.filter((s) => s.end !== undefined).length;
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    const fit = (s: string) => (s.length > width ? `${s.slice(0, width - 3)}...` : s);
    const lines = [`[+] Building ${secs(now - this.started)} (${doneCount}/${this.total || this.steps.length})${final ? ' FINISHED' : ''}`];
    for (const s of this.steps) {
      const t = secs((s.end ?? now) - s.start);
      const head = ` => ${s.cached ? 'CACHED ' : ''}${s.title}`;
      const room = width - t.length - 1;
      lines.push(`${head.length > room ? `${head.slice(0, room - 3)}...` : head.padEnd(room)} ${t}`);
      if (s.end === undefined && !final) for (const l of s.tail) lines.push(fit(` => => # ${l}`));
    }
    return lines;
  }

  private draw(final = false): void {
    const lines = this.frame(final);
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    // the frame got shorter: clear what is left of the previous one
    for (let i = lines.length; i < this.drawn; i++) s += '\x1b[2K\n';
    if (this.drawn > lines.length) s += `\x1b[${this.drawn - lines.length}A`;
    this.drawn = lines.length;
    this.out.write(s);
  }

  done(ok: boolean): void {
    clearInterval(this.timer);
    if (this.partial) this.line(this.partial);
    if (ok) for (const s of this.steps) s.end ??= Date.now();
    this.draw(true);
  }
}
