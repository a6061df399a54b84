/**
 * Attach sessions: clients joined to a container's conmon attach socket, and those waiting for the
 * container to start (joined before its process runs, so no output is lost).
 */
import path from 'node:path';
import type { AttachConnection } from '../runtime/runtime.js';
import type { AttachRequest, AttachSink } from './deps.js';

export class AttachHub {
  private readonly pending = new Map<string, { req: AttachRequest; sink: AttachSink }[]>();

  /** `connect` opens the attach socket at a path (the runtime's attach) */
  constructor(private readonly connect: (socketPath: string) => Promise<AttachConnection>) {}

  /** Joins a running container (its bundle holds conmon's attach socket). */
  async join(bundle: string, req: AttachRequest, sink: AttachSink, stdinOnce: boolean): Promise<void> {
    const conn: AttachConnection = await this.connect(path.join(bundle, 'attach'));
    pipeAttach(conn, req, sink, stdinOnce);
  }

  /** Keeps a client until the container starts. */
  wait(id: string, req: AttachRequest, sink: AttachSink): void {
    const list = this.pending.get(id) ?? [];
    list.push({ req, sink });
    this.pending.set(id, list);
  }

  /** The container was created by the runtime: join the waiting clients before it runs. */
  async connectPending(id: string, bundle: string, stdinOnce: boolean): Promise<void> {
    const list = this.pending.get(id) ?? [];
    this.pending.delete(id);
    for (const { req, sink } of list) await this.join(bundle, req, sink, stdinOnce).catch(() => sink.close());
  }

  /** The start failed: the waiting clients' streams end. */
  closePending(id: string): void {
    for (const { sink } of this.pending.get(id) ?? []) sink.close();
    this.pending.delete(id);
  }

  cancel(id: string, sink: AttachSink): void {
    const list = this.pending.get(id);
    if (list) this.pending.set(id, list.filter((p) => p.sink !== sink));
  }
}

/** Wire an attach connection to a client sink; used by containers and exec sessions alike. */
export function pipeAttach(conn: AttachConnection, req: AttachRequest, sink: AttachSink, closeStdinOnEnd: boolean): void {
  conn.on('data', (stream, data) => {
    if ((stream === 'stdout' && req.stdout) || (stream === 'stderr' && req.stderr)) sink.output(stream, data);
  });
  conn.on('end', () => sink.close());
  (conn as unknown as NodeJS.EventEmitter).on('error', () => sink.close());
  sink.onGone?.(() => conn.close());
  if (req.stdin && sink.input) {
    sink.input.on('data', (d: Buffer) => conn.write(d));
    sink.input.on('end', () => { if (closeStdinOnEnd) conn.endInput(); });
    sink.input.on('error', () => undefined);
    sink.input.resume(); // the HTTP layer may have paused it after reading the request body
  }
}

