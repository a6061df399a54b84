/**
 * Pull and push benchmark, run by hand as root after `npm run build`:
 *
 *   node dist/bench/registry.js [--mb N] [--layers N] [--reps N] [--docker-host unix:///var/run/docker.sock]
 *
 * Prints figures, asserts nothing. Builds a multi-layer image of --mb MiB uncompressed (default 256) in
 * --layers layers (default 4): each layer holds files of random bytes (incompressible) and of repeated
 * text (compressible), half and half, gzip'ed once and pushed raw to the registries. Then, against a
 * private berthd (test/harness.ts), the median of --reps (default 3) of:
 *  - pull (download + verify + decompress + keep + unpack) of the image from Debian's docker-registry and
 *    from `berth registry serve`, measured from the request to the last progress message, with every
 *    layer absent before each run (rmi between runs);
 *  - push of the pulled image to a freshly started registry of the other kind (compress + upload; nothing
 *    can be skipped or mounted there).
 * MB/s are given for the uncompressed size (what the user waits for) and the compressed bytes moved.
 * With --docker-host, the same pulls and pushes are timed on that Docker engine (it must reach the same
 * 127.0.0.1 registries: they are insecure loopback registries, which Docker allows by default).
 * Everything made is removed at the end, also after an error or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { freePort, TestDaemon, runCmd, waitFor } from '../test/harness.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/registry.js [--mb N (256)] [--layers N (4)] [--reps N (3)] [--docker-host URL]');
const MB = numOpt('--mb', 256);
const LAYERS = numOpt('--layers', 4);
const REPS = numOpt('--reps', 3);
const DOCKER = opt('--docker-host');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function send(method: string, url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Length': String(body.length), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function putBlob(host: string, repo: string, blob: Buffer): Promise<void> {
  const start = await send('POST', `http://${host}/v2/${repo}/blobs/uploads/`, Buffer.alloc(0));
  const loc = new URL(start.location!, `http://${host}`);
  loc.searchParams.set('digest', sha(blob));
  const r = await send('PUT', loc.toString(), blob, { 'Content-Type': 'application/octet-stream' });
  if (r.status !== 201) throw new Error(`blob upload to ${host}: ${r.status}`);
}

async function layer(i: number, bytes: number): Promise<{ raw: Buffer; gz: Buffer }> {
  const pack = tar.pack();
  const chunk = 4 << 20;
  for (let off = 0, n = 0; off < bytes; off += chunk, n++) {
    const size = Math.min(chunk, bytes - off);
    const line = `layer ${i} line of text that compresses well\n`;
    const content = n % 2 === 0 ? randomBytes(size) : Buffer.from(line.repeat(Math.ceil(size / line.length))).subarray(0, size);
    pack.entry({ name: `l${i}/f${n}.bin`, mode: 0o644, mtime: new Date(0) }, content);
  }
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  const raw = Buffer.concat(parts);
  return { raw, gz: gzipSync(raw, { level: 6 }) };
}

class Proc {
  constructor(readonly p: ChildProcess) {}
  stop(): void { if (this.p.exitCode === null) this.p.kill('SIGKILL'); }
}

async function waitHttp(url: string): Promise<void> {
  await waitFor(() => new Promise<boolean>((r) => { http.get(url, (res) => { res.resume(); r(true); }).on('error', () => r(false)); }), 15000, url);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = await fsp.mkdtemp('/tmp/bt-bench-reg-');
  const procs: Proc[] = [];
  let d: TestDaemon | undefined;
  const cleanup = async () => {
    for (const p of procs) p.stop();
    await d?.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    // registries: one of each kind to pull from; pushes go to a fresh one each time, so nothing can be mounted or skipped
    let n = 0;
    const startRegistry = async (kind: 'ref' | 'berth'): Promise<{ name: string; host: string; stop: () => void }> => {
      const port = await freePort();
      const root = path.join(dir, `${kind}${n++}`);
      let proc: ChildProcess;
      if (kind === 'ref') {
        await fsp.mkdir(root, { recursive: true });
        await fsp.writeFile(path.join(root, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
        proc = spawn('/usr/bin/docker-registry', ['serve', path.join(root, 'config.yml')], { stdio: 'ignore' });
      } else {
        proc = spawn(path.join(ROOT, 'bin/berth'), ['registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { stdio: 'ignore' });
      }
      const p = new Proc(proc);
      procs.push(p);
      await waitHttp(`http://127.0.0.1:${port}/v2/`);
      return { name: kind === 'ref' ? 'docker-registry (registry:2)' : 'berth registry serve', host: `127.0.0.1:${port}`, stop: () => p.stop() };
    };
    const registries = [await startRegistry('ref'), await startRegistry('berth')];

    console.log(`building a ${MB} MiB image in ${LAYERS} layers...`);
    const per = Math.floor((MB << 20) / LAYERS);
    const layers = [];
    for (let i = 0; i < LAYERS; i++) layers.push(await layer(i, per));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l.raw)) } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.gz.length, digest: sha(l.gz) })),
    }));
    const rawBytes = layers.reduce((s, l) => s + l.raw.length, 0);
    const gzBytes = layers.reduce((s, l) => s + l.gz.length, 0);
    for (const r of registries) {
      for (const l of layers) await putBlob(r.host, 'bench/img', l.gz);
      await putBlob(r.host, 'bench/img', config);
      const m = await send('PUT', `http://${r.host}/v2/bench/img/manifests/v1`, manifest, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' });
      if (m.status !== 201) throw new Error(`manifest to ${r.name}: ${m.status}`);
    }
    console.log(`image: ${(rawBytes / 2 ** 20).toFixed(0)} MiB uncompressed, ${(gzBytes / 2 ** 20).toFixed(0)} MiB gzip'ed\n`);

    d = await TestDaemon.create();
    const engines: { name: string; docker: (a: string[]) => Promise<{ code: number; stdout: string; stderr: string }> }[] = [
      { name: 'berth', docker: (a) => d!.docker(a, { timeout: 600000 }) },
    ];
    if (DOCKER) {
      const ok = await runCmd('/usr/local/bin/docker', ['-H', DOCKER, 'version'], {});
      if (ok.code === 0) engines.push({ name: 'docker', docker: (a) => runCmd('/usr/local/bin/docker', ['-H', DOCKER, ...a], { timeout: 600000 }) });
      else console.log(`no Docker engine answers at ${DOCKER}: berth only`);
    } else {
      console.log('no --docker-host given: berth only (compare with: node dist/bench/registry.js --docker-host unix:///var/run/docker.sock)\n');
    }
    const rows: string[][] = [['engine', 'operation', 'registry', 'seconds (median)', 'MB/s uncompressed', 'MB/s compressed']];
    const mbps = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(0);
    for (const e of engines) {
      for (const [i, r] of registries.entries()) {
        const otherKind = i === 0 ? 'berth' : 'ref';
        const ref = `${r.host}/bench/img:v1`;
        const imageId = sha(config);
        let otherName = '';
        const pulls: number[] = [];
        const pushes: number[] = [];
        for (let rep = 0; rep < REPS; rep++) {
          await e.docker(['rmi', '-f', imageId]);
          const t0 = process.hrtime.bigint();
          const p = await e.docker(['pull', '-q', ref]);
          if (p.code !== 0) throw new Error(`${e.name} pull: ${p.stderr}`);
          pulls.push(Number(process.hrtime.bigint() - t0) / 1e9);
          const other = await startRegistry(otherKind);
          otherName = other.name;
          const target = `${other.host}/bench/pushed:v1`;
          await e.docker(['tag', ref, target]);
          const t1 = process.hrtime.bigint();
          const q = await e.docker(['push', '-q', target]);
          if (q.code !== 0) throw new Error(`${e.name} push: ${q.stderr}`);
          pushes.push(Number(process.hrtime.bigint() - t1) / 1e9);
          await e.docker(['rmi', target]);
          other.stop();
        }
        const ps = median(pulls);
        const us = median(pushes);
        rows.push([e.name, 'pull', r.name, ps.toFixed(2), mbps(rawBytes, ps), mbps(gzBytes, ps)]);
        rows.push([e.name, 'push', `to a new ${otherName}`, us.toFixed(2), mbps(rawBytes, us), '-']);
      }
    }
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((x, c) => x.padEnd(w[c]!)).join('  '));
    console.log('\nMB = 10^6 bytes. Push MB/s compressed is not shown: the pushed blobs are compressed again by the engine.');
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
