/**
 * Test support: a fake Docker daemon on a private unix socket that records every request and answers
 * through a route function (unit tests of the client and the CLI; real daemons are in test/).
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAll } from './transport.js';

export interface SeenRequest { method: string; url: string; body: string }

export interface FakeDaemon {
  dir: string;
  sock: string;
  server: http.Server;
  seen: SeenRequest[];
  close(): void;
}

/** `send(status, value)` answers JSON (no body when value is undefined). */
export type Route = (req: { method: string; pathname: string; url: string; body: string }, send: (status: number, v?: unknown) => void, res: http.ServerResponse) => void;

export async function fakeDaemon(prefix: string, route: Route): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const sock = join(dir, 's.sock');
  const seen: SeenRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const body = await readAll(req);
    const url = req.url ?? '/';
    seen.push({ method: req.method ?? '', url, body });
    const send = (status: number, v?: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(v === undefined ? '' : JSON.stringify(v));
    };
    route({ method: req.method ?? '', pathname: new URL(url, 'http://x').pathname, url, body }, send, res);
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    dir, sock, server, seen,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
