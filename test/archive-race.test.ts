/**
 * The symlink-swap race on the archive API (CVE-2018-15664 style, issue 17): a container swaps a
 * directory and a symlink to a host path in a loop while PUTs (and GETs) target that directory. Every
 * request ends in a 2xx or in a 4xx whose message names no daemon-internal path, and no host file is
 * read or written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TestDaemon } from './harness.js';
import { makeTar } from '../src/snapshots/testutil.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
});

after(async () => {
  await d?.stop();
});

function send(method: string, url: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path: url, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('300 PUTs and 100 GETs against a directory the container swaps with a symlink to a host path', { timeout: 240_000 }, async () => {
  const hostDir = path.join(d.dir, 'hostside');
  await fsp.mkdir(hostDir);
  await fsp.writeFile(path.join(hostDir, 'secret'), 'host secret\n');
  const before = await fsp.stat(path.join(hostDir, 'secret'));
  const swap = `mkdir -p /w; echo container secret > /w/secret; while :; do mv /w /w.d; ln -s ${hostDir} /w; rm /w; ln -s ${hostDir}/secret /w; rm /w; mv /w.d /w; done`;
  const id = await d.dockerOk(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', swap]);
  try {
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    const check = (what: string, r: { status: number; body: Buffer }) => {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const text = r.body.toString('latin1');
      if (r.status >= 500) bad.push(`${what}: ${r.status} ${text}`);
      if (r.status >= 400 && (/\/proc\/\d+/.test(text) || text.includes(d.dataRoot) || !/"message":"[^"]+"/.test(text))) bad.push(`${what}: ${r.status} ${text}`);
      if (text.includes('host secret')) bad.push(`${what}: read the host's file`);
    };
    let next = 0;
    const worker = async () => {
      while (next < 400) {
        const i = next++;
        if (i % 4 === 3) {
          check(`GET ${i}`, await send('GET', `/containers/${id}/archive?path=/w/secret`));
        } else {
          const tar = await makeTar([{ name: `pwned-${i}`, content: 'from the archive API\n' }, { name: 'secret', content: 'overwritten\n' }]);
          check(`PUT ${i}`, await send('PUT', `/containers/${id}/archive?path=/w`, tar));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(bad, [], `statuses: ${JSON.stringify([...statuses])}`);
    // some went through: the race was run, not refused outright
    assert.ok((statuses.get(200) ?? 0) > 0, `statuses: ${JSON.stringify([...statuses])}`);
    // the host directory is as it was
    assert.deepEqual(await fsp.readdir(hostDir), ['secret']);
    const after = await fsp.stat(path.join(hostDir, 'secret'));
    assert.equal(await fsp.readFile(path.join(hostDir, 'secret'), 'utf8'), 'host secret\n');
    assert.equal(after.mtimeMs, before.mtimeMs);
    // the daemon still serves the container
    assert.equal((await send('GET', `/containers/${id}/json`)).status, 200);
  } finally {
    await d.docker(['rm', '-f', id]);
  }
});
