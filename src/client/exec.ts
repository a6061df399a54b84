/** /exec endpoints. */
import type { ExecCreateBody, ExecInspect } from '../api/types.js';
import type { HijackedStream, Transport } from './transport.js';

const enc = encodeURIComponent;

export interface ExecStartOptions {
  tty?: boolean;
  consoleSize?: [number, number];
}

export class ExecApi {
  constructor(private readonly t: Transport) {}

  create(container: string, body: ExecCreateBody): Promise<{ Id: string }> {
    return this.t.json({ method: 'POST', path: `/containers/${enc(container)}/exec`, body });
  }

  /** Starts detached: returns once the process runs. */
  startDetached(id: string, opts: ExecStartOptions = {}): Promise<void> {
    return this.t.call({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: true, Tty: opts.tty ?? false, ConsoleSize: opts.consoleSize } });
  }

  /** Starts attached: the hijacked stream (multiplexed unless tty). */
  start(id: string, opts: ExecStartOptions = {}): Promise<HijackedStream> {
    return this.t.hijack({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: false, Tty: opts.tty ?? false, ConsoleSize: opts.consoleSize } });
  }

  inspect(id: string): Promise<ExecInspect> {
    return this.t.json({ method: 'GET', path: `/exec/${enc(id)}/json` });
  }

  resize(id: string, h: number, w: number): Promise<void> {
    return this.t.call({ method: 'POST', path: `/exec/${enc(id)}/resize`, query: { h, w } });
  }
}
