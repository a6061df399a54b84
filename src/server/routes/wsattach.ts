/**
 * GET /containers/{id}/attach/ws: attach over a WebSocket, as dockerd serves it. The container's output
 * goes out as frames of raw bytes (binary frames from API 1.28 on, text frames before, as dockerd), what
 * the client sends goes to its stdin; logs=1 replays the log first, stream=0 ends after that; with a
 * tty the detach keys end the session (ctrl-p,ctrl-q unless detachKeys says otherwise).
 */
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';
import { readLogs, logsReadable } from '../../runtime/logs/index.js';
import { qBool, type Router } from '../http.js';
import { acceptKey, encodeFrame, FrameParser, OP } from '../ws.js';
import { parseDetachKeys, type ContainerRouteDeps } from './containers.js';
import type { AttachSink } from '../../containers/deps.js';

const atLeast = (v: string, min: string): boolean => {
  const [a1, a2] = v.split('.').map(Number);
  const [b1, b2] = min.split('.').map(Number);
  return a1 > b1 || (a1 === b1 && a2 >= b2);
};

export function wsAttachRoutes(r: Router, d: Pick<ContainerRouteDeps, 'store' | 'containers' | 'logFiles'>): void {
  r.add('GET', '/containers/{id}/attach/ws', async (ctx) => {
    const key = ctx.req.headers['sec-websocket-key'];
    if (ctx.res || ctx.req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || !key) {
      throw invalidArgument('websocket: the request is not a websocket upgrade');
    }
    const rec = d.store.resolve(ctx.params[0]);
    const q = ctx.query;
    const tty = !!rec.config.Tty;
    const keys = tty ? parseDetachKeys(q.get('detachKeys')) : undefined;
    const req = { stdin: qBool(q, 'stdin') && !!rec.config.OpenStdin, stdout: qBool(q, 'stdout'), stderr: qBool(q, 'stderr') };
    const logs = qBool(q, 'logs');
    const live = qBool(q, 'stream', !logs);
    const sock = ctx.req.socket as Duplex;
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    const opcode = atLeast(ctx.version, '1.28') ? OP.binary : OP.text;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (sock.writable) sock.end(encodeFrame(OP.close, Buffer.from([0x03, 0xe8]))); // 1000: normal closure
    };
    const send = (data: Buffer) => { if (!closed && data.length) sock.write(encodeFrame(opcode, data)); };
    // past the handshake, an error can only end the session (an HTTP answer would corrupt the stream)
    try {
      await session();
    } catch {
      close();
    }

    async function session(): Promise<void> {
      if (logs && logsReadable(rec.hostConfig.LogConfig) && (req.stdout || req.stderr)) {
        const ac = new AbortController();
        sock.once('close', () => ac.abort());
        for await (const chunk of readLogs(await d.logFiles(rec.logPath, rec), { tail: 'all', follow: false, stdout: req.stdout, stderr: req.stderr, timestamps: false, signal: ac.signal })) send(chunk.data);
      }
      if (!live) {
        close();
        return;
      }

      const input = new PassThrough();
      let matched = 0;
      const parser = new FrameParser();
      sock.on('data', (chunk: Buffer) => {
        let frames;
        try {
          frames = parser.push(chunk);
        } catch {
          close();
          return;
        }
        for (const f of frames) {
          if (f.opcode === OP.close) { input.end(); close(); return; }
          if (f.opcode === OP.ping) { if (!closed) sock.write(encodeFrame(OP.pong, f.payload)); continue; }
          if (f.opcode === OP.pong || !req.stdin) continue;
          if (!keys) { input.write(f.payload); continue; }
          for (const b of f.payload) {
            if (b === keys[matched]) {
              if (++matched === keys.length) { input.end(); close(); sock.destroy(); return; }
            } else {
              if (matched) input.write(keys.subarray(0, matched));
              matched = b === keys[0] ? 1 : 0;
              if (!matched) input.write(Buffer.from([b]));
            }
          }
        }
      });
      sock.on('end', () => input.end());
      const sink: AttachSink = {
        output: (_stream, data) => send(data),
        close,
        onGone: (cb) => sock.once('close', cb),
        ...(req.stdin ? { input } : {}),
      };
      sock.once('close', () => d.containers.cancelAttach(rec.id, sink));
      await d.containers.attach(rec.id, req, sink);
    }
  });
}
