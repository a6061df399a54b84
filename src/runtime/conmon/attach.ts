/**
 * A connection to conmon's attach socket (SOCK_SEQPACKET, which Node's net module cannot open).
 * Each packet from conmon starts with one byte naming the stream (2 stdout, 3 stderr); what we write
 * goes to the container's stdin as is.
 */
import { EventEmitter } from 'node:events';
import type { AttachConnection } from '../runtime.js';

/** node-unix-socket, loaded on first attach: the native addon costs an idle daemon about 10 MB */
let addon: Promise<typeof import('node-unix-socket')> | undefined;

export async function connectAttach(socketPath: string): Promise<AttachConnection> {
  const { SeqpacketSocket } = await (addon ??= import('node-unix-socket'));
  return new Promise((resolve, reject) => {
    const sock = new SeqpacketSocket();
    const conn = new EventEmitter() as AttachConnection;
    let ended = false;
    const finish = () => { if (!ended) { ended = true; conn.emit('end'); } };
    sock.on('data', (b: Buffer) => {
      if (b.length < 1) return;
      const kind = b[0];
      if (kind === 2 || kind === 3) conn.emit('data', kind === 2 ? 'stdout' : 'stderr', b.subarray(1));
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e: Error) => { if (!ended) conn.emit('error', e); finish(); });
    conn.write = (data) => { if (!ended && data.length) { try { sock.write(data); } catch { /* peer gone */ } } };
    conn.endInput = () => { try { sock.end(); } catch { /* already closed */ } };
    conn.close = () => { ended = true; try { sock.destroy(); } catch { /* ignore */ } };
    try {
      sock.connect(socketPath, () => resolve(conn));
    } catch (e) {
      reject(e);
    }
  });
}
