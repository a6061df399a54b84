/**
 * A container's file system through a real berthd, with the docker CLI, dockerode and berth's CLI:
 * docker cp both ways (files, directories, `dir/.`, symlinks, -L, -a, tar streams on stdin/stdout),
 * volumes and binds seen at their destinations, read-only refusals, stopped containers (rootfs mounted
 * only for the call), paths and archives that try to leave the container (absolute symlinks, symlink
 * chains, `..`, hostile tar entries) reading and writing nothing outside it, export, diff and commit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { TestDaemon, runCmd, waitFor } from './harness.js';

let d: TestDaemon;
let docker: Docker;
let work: string;
/** a host directory the containers try to reach: nothing may be read from or written to it */
let hostDir: string;

const ok = async (args: string[], opts: { input?: string } = {}) => {
  const r = await d.docker(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const fails = async (args: string[], re: RegExp) => {
  const r = await d.docker(args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail`);
  assert.match(r.stderr, re);
};
const exec = (c: string, script: string) => ok(['exec', c, 'sh', '-c', script]);

async function hostDirUntouched(): Promise<void> {
  assert.deepEqual((await fsp.readdir(hostDir)).sort(), ['secret']);
  assert.equal(await fsp.readFile(path.join(hostDir, 'secret'), 'utf8'), 'host secret\n');
}

function makeTar(entries: { name: string; type?: 'file' | 'symlink' | 'directory' | 'link'; body?: string; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.type === 'directory' ? 0o755 : 0o644 }, e.body ?? '');
  pack.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}

function put(id: string, p: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'PUT', path: `/v1.47/containers/${id}/archive?path=${encodeURIComponent(p)}`, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tarNames(buf: Buffer): Promise<Map<string, tar.Header>> {
  const out = new Map<string, tar.Header>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => { ex.on('finish', resolve); ex.on('error', reject); });
  ex.on('entry', (h, s, next) => { out.set(h.name, h); s.on('end', () => next()); s.resume(); });
  ex.end(buf);
  await done;
  return out;
}

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  docker = new Docker({ socketPath: d.socket });
  work = await fsp.mkdtemp('/tmp/bt-archive-');
  hostDir = path.join(work, 'host');
  await fsp.mkdir(hostDir);
  await fsp.writeFile(path.join(hostDir, 'secret'), 'host secret\n');
  // what the tests copy into containers: up/inner/x, owned by 1234:2345
  await fsp.mkdir(path.join(work, 'up/inner'), { recursive: true });
  await fsp.writeFile(path.join(work, 'up/inner/x'), 'up\n');
  await fsp.chown(path.join(work, 'up/inner/x'), 1234, 2345);
});

after(async () => {
  await d?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

test('docker cp: files and directories both ways, dir/., symlinks, -L, tar streams', async () => {
  await ok(['run', '-d', '--name', 'cp1', '--network', 'none', 'busybox', 'sleep', '1000']);
  await exec('cp1', 'mkdir -p /data/sub /srv && echo hi > /data/sub/f && ln -s sub/f /data/lnk && ln -s /etc/passwd /data/abs && chmod 640 /data/sub/f');
  // container -> host: a directory keeps its name, modes and links
  await ok(['cp', 'cp1:/data', path.join(work, 'd1')]);
  assert.equal(await fsp.readFile(path.join(work, 'd1/sub/f'), 'utf8'), 'hi\n');
  assert.equal((await fsp.stat(path.join(work, 'd1/sub/f'))).mode & 0o777, 0o640);
  assert.equal(await fsp.readlink(path.join(work, 'd1/lnk')), 'sub/f');
  assert.equal(await fsp.readlink(path.join(work, 'd1/abs')), '/etc/passwd');
  // dir/. copies the contents into an existing directory
  await fsp.mkdir(path.join(work, 'd2'));
  await ok(['cp', 'cp1:/data/.', path.join(work, 'd2')]);
  assert.deepEqual((await fsp.readdir(path.join(work, 'd2'))).sort(), ['abs', 'lnk', 'sub']);
  // a symlink is copied as a link; -L copies what it points to
  await ok(['cp', 'cp1:/data/lnk', path.join(work, 'l1')]);
  assert.equal(await fsp.readlink(path.join(work, 'l1')), 'sub/f');
  await ok(['cp', '-L', 'cp1:/data/lnk', path.join(work, 'l2')]);
  assert.equal(await fsp.readFile(path.join(work, 'l2'), 'utf8'), 'hi\n');
  // host -> container: a file into a directory, a directory to a new name, -a keeps owners
  await ok(['cp', path.join(work, 'up/inner/x'), 'cp1:/tmp/']);
  await ok(['cp', '-a', path.join(work, 'up'), 'cp1:/tmp/newdir']);
  assert.equal(await exec('cp1', 'cat /tmp/x /tmp/newdir/inner/x; stat -c %u:%g /tmp/newdir/inner/x'), 'up\nup\n1234:2345\n');
  // tar on stdout, and a tar from stdin
  const out = await d.docker(['cp', 'cp1:/data/sub/f', '-']);
  assert.equal(out.code, 0, out.stderr);
  const tarOut = await runCmd('sh', ['-c', `docker cp cp1:/data/sub - | tar -t`], { env: { ...process.env, DOCKER_HOST: d.host } });
  assert.deepEqual(tarOut.stdout.trim().split('\n').sort(), ['sub/', 'sub/f']);
  const streamed = await runCmd('sh', ['-c', `tar -C ${work}/up -c inner | docker cp - cp1:/srv`], { env: { ...process.env, DOCKER_HOST: d.host } });
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.equal(await exec('cp1', 'cat /srv/inner/x'), 'up\n');
  // Docker's errors for a missing path and a destination that is not a directory
  await fails(['cp', 'cp1:/nope', path.join(work, 'nope')], /Could not find the file \/nope in container cp1/);
  await fails(['cp', path.join(work, 'up/inner/x'), 'cp1:/nope/deeper/'], /no such directory/);
  await fails(['cp', path.join(work, 'up/inner/x'), 'cp1:/nope/x'], /Could not find the file \/nope in container cp1/);
  const notDir = await put('cp1', '/etc/passwd', await makeTar([{ name: 'a', body: 'a' }]));
  assert.equal(notDir.status, 400);
  assert.match(notDir.body, /extraction point is not a directory/);
  await fails(['cp', path.join(work, 'up'), 'cp1:/etc/passwd'], /cannot copy directory/);
});

test('the archive stat header, and dockerode getArchive/putArchive', async () => {
  await ok(['run', '-d', '--name', 'st1', '--network', 'none', 'busybox', 'sleep', '1000']);
  await exec('st1', 'mkdir /d && echo abc > /d/f && ln -s /d/f /d/link && ln -s link /d/chain');
  const c = docker.getContainer('st1');
  const info = (await c.infoArchive({ path: '/d/chain' })) as unknown as { headers?: Record<string, string> } | Record<string, string>;
  const raw = ('headers' in info && info.headers ? info.headers : info) as Record<string, string>;
  const stat = JSON.parse(Buffer.from(raw['x-docker-container-path-stat']!, 'base64').toString()) as { name: string; mode: number; linkTarget: string; size: number };
  assert.equal(stat.name, 'chain');
  assert.equal(stat.linkTarget, '/d/f', 'the chain is resolved inside the container');
  assert.ok(stat.mode & 2 ** 27, 'Go os.ModeSymlink');
  const dirStat = await fetchStat('st1', '/d/');
  assert.equal(dirStat.name, 'd');
  assert.ok(dirStat.mode >= 2 ** 31, 'Go os.ModeDir');
  const stream = await c.getArchive({ path: '/d' });
  const buf = await new Promise<Buffer>((resolve) => { const parts: Buffer[] = []; stream.on('data', (x: Buffer) => parts.push(x)); stream.on('end', () => resolve(Buffer.concat(parts))); });
  const names = await tarNames(buf);
  assert.deepEqual([...names.keys()].sort(), ['d/', 'd/chain', 'd/f', 'd/link']);
  assert.equal(names.get('d/link')?.linkname, '/d/f');
  await c.putArchive(await makeTar([{ name: 'put/', type: 'directory' }, { name: 'put/y', body: 'yy' }]), { path: '/tmp' });
  assert.equal(await exec('st1', 'cat /tmp/put/y'), 'yy');
});

function fetchStat(id: string, p: string): Promise<{ name: string; mode: number; linkTarget: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'HEAD', path: `/v1.47/containers/${id}/archive?path=${encodeURIComponent(p)}` }, (res) => {
      res.resume();
      const h = res.headers['x-docker-container-path-stat'];
      if (res.statusCode !== 200 || typeof h !== 'string') reject(new Error(`HEAD ${p}: ${res.statusCode}`));
      else resolve(JSON.parse(Buffer.from(h, 'base64').toString()));
    });
    req.on('error', reject);
    req.end();
  });
}

test('paths and archives that point outside the container read and write nothing outside it', async () => {
  await ok(['run', '-d', '--name', 'esc', '--network', 'none', 'busybox', 'sleep', '1000']);
  const rel = `${'../'.repeat(12)}${hostDir.slice(1)}`;
  await exec('esc', `ln -s ${hostDir} /abslink && ln -s ${rel} /rellink && ln -s /abslink /chain1 && ln -s chain1 /chain2 && mkdir -p /w`);
  // reads: every way to name the host directory ends inside the container, where it does not exist
  for (const p of ['/abslink/secret', '/rellink/secret', '/chain2/secret', `/../../../..${hostDir}/secret`, `/w/../../${rel}/secret`]) {
    await fails(['cp', `esc:${p}`, path.join(work, 'leak')], /Could not find the file/);
    await fails(['cp', '-L', `esc:${p.replace('/secret', '')}`, path.join(work, 'leak')], /Could not find the file/);
  }
  assert.equal(existsSync(path.join(work, 'leak')), false);
  const st = await fetchStat('esc', '/chain2');
  assert.equal(st.linkTarget, hostDir, 'the link is resolved as a path in the container');
  // writes through the links land inside the container
  await exec('esc', `mkdir -p ${hostDir}`);
  await ok(['cp', path.join(work, 'up/inner/x'), 'esc:/chain2/']);
  await ok(['cp', path.join(work, 'up/inner/x'), 'esc:/rellink/y']);
  assert.equal(await exec('esc', `cat ${hostDir}/x ${hostDir}/y`), 'up\nup\n');
  await hostDirUntouched();
  // hostile archives: `..` out of the destination and links pointing out are refused, and nothing of them is written
  for (const bad of [
    [{ name: 'good' }, { name: '../../../../../../../../../..' + hostDir + '/pwned' }],
    [{ name: 'good' }, { name: 'evil', type: 'symlink' as const, linkname: '../../../../../../../../..' + hostDir }],
    [{ name: 'good' }, { name: 'hard', type: 'link' as const, linkname: '../../../../../../../../..' + hostDir + '/secret' }],
  ]) {
    const r = await put('esc', '/w', await makeTar(bad));
    assert.equal(r.status, 400, r.body);
    assert.equal(await exec('esc', 'ls /w'), '', 'a refused archive changes nothing');
  }
  // an absolute name stays under the destination; an absolute symlink is written as a link and an
  // entry under it is written inside the container
  const r = await put('esc', '/w', await makeTar([
    { name: `${hostDir}/abs`, body: 'in' },
    { name: 'toh', type: 'symlink', linkname: hostDir },
    { name: 'toh/through', body: 'in2' },
  ]));
  assert.equal(r.status, 200, r.body);
  assert.equal(await exec('esc', `cat /w${hostDir}/abs ${hostDir}/through; readlink /w/toh`), `inin2${hostDir}\n`);
  await hostDirUntouched();
  // a symlink put where the archive writes a file is replaced, not written through
  await exec('esc', `ln -s ${hostDir}/secret /w/victim`);
  assert.equal((await put('esc', '/w', await makeTar([{ name: 'victim', body: 'replaced' }]))).status, 200);
  assert.equal(await exec('esc', 'cat /w/victim; test -L /w/victim || echo plain'), 'replacedplain\n');
  await hostDirUntouched();
});

test('volumes and binds at their destinations; read-only refusals; stopped containers', async () => {
  const bind = path.join(work, 'bind');
  await fsp.mkdir(bind);
  await ok(['volume', 'create', 'arcvol']);
  await ok(['run', '-d', '--name', 'mnt', '--network', 'none', '-v', `${bind}:/b`, '-v', 'arcvol:/v', '-v', `${bind}:/rob:ro`, '--tmpfs', '/scratch', 'busybox', 'sleep', '1000']);
  await ok(['cp', path.join(work, 'up/inner/x'), 'mnt:/b/']);
  assert.equal(await fsp.readFile(path.join(bind, 'x'), 'utf8'), 'up\n', 'a bind destination is the host directory');
  await ok(['cp', path.join(work, 'up/inner/x'), 'mnt:/v/vx']);
  assert.equal(await exec('mnt', 'cat /v/vx'), 'up\n');
  await exec('mnt', 'echo live > /scratch/t');
  await ok(['cp', 'mnt:/scratch/t', path.join(work, 'tmpfs-t')]);
  assert.equal(await fsp.readFile(path.join(work, 'tmpfs-t'), 'utf8'), 'live\n', "a running container's tmpfs is read live");
  await fails(['cp', path.join(work, 'up/inner/x'), 'mnt:/rob/'], /mounted volume is marked read-only/);
  await ok(['run', '-d', '--name', 'ro', '--read-only', '--network', 'none', 'busybox', 'sleep', '1000']);
  await fails(['cp', path.join(work, 'up/inner/x'), 'ro:/tmp/'], /container rootfs is marked read-only/);
  // a stopped container: copied in and out, the volume still seen, and its rootfs not left mounted
  await ok(['stop', '-t', '0', 'mnt']);
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'mnt'])).trim();
  await ok(['cp', path.join(work, 'up'), 'mnt:/stopped']);
  await ok(['cp', 'mnt:/v/vx', path.join(work, 'from-stopped')]);
  assert.equal(await fsp.readFile(path.join(work, 'from-stopped'), 'utf8'), 'up\n');
  // (the response may end just before the daemon unmounts)
  await waitFor(async () => !(await fsp.readFile('/proc/self/mountinfo', 'utf8')).includes(`${id}/merged`), 5000, 'the stopped container rootfs unmounted');
  await ok(['start', 'mnt']);
  assert.equal(await exec('mnt', 'cat /stopped/inner/x'), 'up\n');
});

test('export, diff and commit (with --change), through the docker CLI and berth', async () => {
  await ok(['run', '-d', '--name', 'cm', '--network', 'none', '-v', '/anonvol', 'busybox', 'sleep', '1000']);
  await exec('cm', 'echo added > /added && echo changed >> /etc/passwd && rm /bin/cat && rm -rf /home && mkdir -p /home/new && echo v > /anonvol/in-volume');
  const diff = (await ok(['diff', 'cm'])).trim().split('\n');
  for (const line of ['A /added', 'C /etc', 'C /etc/passwd', 'C /bin', 'D /bin/cat', 'A /anonvol']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);
  assert.ok(!diff.some((l) => /\/etc\/hosts|\/etc\/hostname|\/etc\/resolv.conf|\/proc|\/sys/.test(l)), `no init-layer paths: ${diff.join(', ')}`);
  assert.deepEqual((await d.berth(['diff', 'cm'])).stdout.trim().split('\n'), diff);
  // export: the root file system without the volume's content
  await ok(['export', '-o', path.join(work, 'fs.tar'), 'cm']);
  const names = await tarNames(await fsp.readFile(path.join(work, 'fs.tar')));
  assert.ok(names.has('added') && names.has('bin/busybox') && names.has('etc/passwd'));
  assert.ok(!names.has('bin/cat') && !names.has('anonvol/in-volume'));
  const berthExport = await d.berth(['export', '-o', path.join(work, 'fs2.tar'), 'cm']);
  assert.equal(berthExport.code, 0, berthExport.stderr);
  assert.ok((await tarNames(await fsp.readFile(path.join(work, 'fs2.tar')))).has('added'));
  // commit: pauses the running container, applies --change, extends rootfs and history
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = (await ok(['commit', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["head","/added"]', '-c', 'WORKDIR /home/new', '-m', 'my msg', '-a', 'me', 'cm', 'committed:v2'])).trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'committed:v2']), 'added\n');
  const seen = await ok(['run', '--rm', '--network', 'none', 'committed:v2', 'sh', '-c', 'echo $COMMITTED; pwd; tail -1 /etc/passwd; test -e /bin/cat || echo no-cat; ls /home; ls /anonvol | wc -l']);
  assert.equal(seen, 'yes\n/home/new\nchanged\nno-cat\nnew\n0\n');
  const insp = JSON.parse(await ok(['image', 'inspect', 'committed:v2']))[0] as { RootFS: { Layers: string[] }; Comment: string; Author: string; Config: { Cmd: string[] }; Parent: string };
  const parent = JSON.parse(await ok(['image', 'inspect', 'busybox']))[0] as { RootFS: { Layers: string[] }; Id: string };
  // as Docker: a committed image's Parent is the container's image
  assert.equal(insp.Parent, parent.Id);
  assert.deepEqual(insp.RootFS.Layers.slice(0, -1), parent.RootFS.Layers);
  assert.equal(insp.RootFS.Layers.length, parent.RootFS.Layers.length + 1);
  assert.deepEqual([insp.Comment, insp.Author, insp.Config.Cmd], ['my msg', 'me', ['head', '/added']]);
  assert.match(await ok(['history', '--format', '{{.Comment}}', 'committed:v2']), /^my msg\n/);
  const ev = await ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=cm', '--format', '{{.Action}}']);
  assert.deepEqual(ev.trim().split('\n').filter((a) => ['pause', 'unpause', 'commit'].includes(a)), ['pause', 'unpause', 'commit']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'cm'])).trim(), 'running');
  // a refused change commits nothing
  await fails(['commit', '-c', 'FROM busybox', 'cm', 'bad:1'], /from is not a valid change command/);
  await fails(['image', 'inspect', 'bad:1'], /No such image/);
  // berth commit and berth cp
  const b = await d.berth(['commit', '-c', 'LABEL by=berth', '--pause=false', 'cm', 'viaberth']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await ok(['image', 'inspect', '-f', '{{.Config.Labels.by}}', 'viaberth'])).trim(), 'berth');
  const bc = await d.berth(['cp', path.join(work, 'up'), 'cm:/berthcp']);
  assert.equal(bc.code, 0, bc.stderr);
  assert.equal(await exec('cm', 'cat /berthcp/inner/x'), 'up\n');
  const back = await d.berth(['cp', 'cm:/berthcp', path.join(work, 'berth-back')]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(await fsp.readFile(path.join(work, 'berth-back/inner/x'), 'utf8'), 'up\n');
  const dot = await d.berth(['cp', 'cm:/berthcp/.', path.join(work, 'berth-dot')]);
  assert.equal(dot.code, 0, dot.stderr);
  assert.deepEqual(await fsp.readdir(path.join(work, 'berth-dot')), ['inner']);
  const dirOnFile = await d.berth(['cp', path.join(work, 'up'), 'cm:/etc/passwd']);
  assert.match(dirOnFile.stderr, /cannot copy directory/);
  const missing = await d.berth(['cp', 'cm:/nope', path.join(work, 'x')]);
  assert.match(missing.stderr, /Could not find the file \/nope in container cm/);
});
