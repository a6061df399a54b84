/**
 * The classic builder's JSON stream, as clients parse it: `{"stream": text}` lines, `{"aux": {"ID": ...}}`,
 * pull progress objects, and an error as `{"errorDetail": {"code"?, "message"}, "error": message}`.
 * In quiet mode the text is held back and written out only if the build fails.
 */
export type Emit = (obj: Record<string, unknown>) => void;

export class BuildOutput {
  private held: Record<string, unknown>[] = [];
  private sent = false;

  /** `trace`: sees every object, also those quiet mode holds back (BERTH_BUILD_TRACE) */
  constructor(private readonly emitter: Emit, readonly quiet: boolean, private readonly trace?: Emit) {}

  /** true once something went to the client (an error after that goes into the stream) */
  get started(): boolean {
    return this.sent || this.held.length > 0;
  }

  private emit(obj: Record<string, unknown>) {
    this.sent = true;
    this.emitter(obj);
  }

  private put(obj: Record<string, unknown>) {
    this.trace?.(obj);
    if (this.quiet) this.held.push(obj);
    else this.emit(obj);
  }

  /** text lines (a trailing newline is the caller's) */
  stream(text: string): void {
    if (text) this.put({ stream: text });
  }

  line(text: string): void {
    this.stream(`${text}\n`);
  }

  /** a `Step N/M : ...` line: the text and its newline in two messages, as the classic builder writes them */
  step(text: string): void {
    this.stream(text);
    this.stream('\n');
  }

  progress(obj: Record<string, unknown>): void {
    this.put(obj);
  }

  aux(obj: Record<string, unknown>): void {
    this.trace?.({ aux: obj });
    // a quiet build writes the ID alone (no aux object), as the classic builder does
    if (!this.quiet) this.emit({ aux: obj });
  }

  /** quiet mode: the image id, the one line a quiet build prints */
  result(id: string): void {
    if (this.quiet) this.emit({ stream: `${id}\n` });
  }

  error(message: string, code?: number): void {
    if (this.quiet) for (const o of this.held) this.emit(o);
    this.held = [];
    this.emit({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
  }
}

/** Go's %q of a string slice: `["a" "b"]`, as Docker writes CMD/ENTRYPOINT/SHELL in history. */
export function goQuoteList(v: readonly string[]): string {
  return `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;
}

export const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
