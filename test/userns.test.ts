/**
 * userns-remap through a real berthd and the docker CLI, checked on the host: with
 * "userns-remap": "1234561:1234561" (a numeric id without an account, its ranges set aside by number in
 * /etc/subuid and /etc/subgid for the duration of the test) container root is host uid 400000, root
 * inside, files it makes in its upper dir, volumes and bind mounts belong to 400000, its state sits under
 * <data-root>/400000.400000, it starts, stops and restarts on the default bridge, a user network and
 * --network none; --userns host opts out; Docker refuses --privileged, host network and host pid in the
 * namespace; a data root the remapped root cannot reach is refused before anything is made.
 *
 * A container's file system over the API knows the remapping: `docker cp` into a container writes the
 * tar's owners (or, with -a, the container user's) shifted into the range, and refuses an id outside it
 * with Docker's error before writing anything; `docker cp` out of it and `docker export` carry container
 * ids (cp shows a host id outside the range as the overflow id 65534, as `stat` inside does; export and
 * commit fail on it as Docker's do); a committed layer carries container ids, so the committed image
 * runs with the same owners inside and, shifted, on the host. A build writes COPY's files through the
 * archive path there: the directories a COPY --chown creates are the owner's, as on the direct paths.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { TestDaemon, runCmd } from './harness.js';

const OWNER = '1234561';
const START = 400000;
const COUNT = 65536;
const LINE = `${OWNER}:${START}:${COUNT}`;
const FILES = ['/etc/subuid', '/etc/subgid'];
const added: string[] = [];

let d: TestDaemon;
let refused = '';
let refusedMadeRoot = true;

/** Appends our range, after checking it is free: never touches a file we would not be able to restore. */
async function addRange(file: string): Promise<void> {
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [owner, s, n] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || s === undefined || n === undefined) continue;
    if (owner === OWNER) throw new Error(`${file} already has a range for ${OWNER}: ${line}`);
    if (Number(s) < START + COUNT && START < Number(s) + Number(n)) throw new Error(`${file}: ${line} overlaps ${LINE}`);
  }
  await fsp.appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${LINE}\n`);
  added.push(file);
}

/** Removes exactly the line we added (the first occurrence), leaving the rest of the file as it is. */
async function removeRange(file: string): Promise<void> {
  const text = await fsp.readFile(file, 'utf8');
  const lines = text.split('\n');
  const i = lines.indexOf(LINE);
  if (i >= 0) lines.splice(i, 1);
  await fsp.writeFile(file, lines.join('\n'));
}

before(async () => {
  if (readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.split(':')[2] === OWNER)) throw new Error(`uid ${OWNER} has an account here`);
  d = await TestDaemon.create();
  for (const f of FILES) await addRange(f);
  await d.halt('SIGTERM');
  const file = path.join(d.dir, 'daemon.json');
  await fsp.writeFile(file, JSON.stringify({ ...JSON.parse(await fsp.readFile(file, 'utf8')), 'userns-remap': `${OWNER}:${OWNER}` }));
  // the test dir is 0700: the remapped root could not reach the containers' files
  await d.start().catch((e: Error) => { refused = e.message; });
  refusedMadeRoot = existsSync(path.join(d.dataRoot, `${START}.${START}`));
  await fsp.chmod(d.dir, 0o711);
  await d.start();
  await d.importBusybox();
});

after(async () => {
  try {
    await d?.stop();
  } finally {
    for (const f of added) await removeRange(f);
  }
});

const remapped = () => path.join(d.dataRoot, `${START}.${START}`);
const ids = (file: string) => /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(readFileSync(file, 'utf8'))?.slice(1);
const owner = async (p: string) => { const st = await fsp.lstat(p); return `${st.uid}:${st.gid}`; };
const norm = (s: string) => s.trim().split(/\s+/).join(' ');

async function inspect(name: string, format: string): Promise<string> {
  const r = await d.docker(['inspect', '-f', format, name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('a data root the remapped root cannot reach is refused with Docker\'s error, before anything is made', () => {
  assert.match(refused, /a subdirectory in your graphroot path \(.*\/data\/400000\.400000\) restricts access to the remapped root uid\/gid; please fix by allowing 'o\+x' permissions on existing directories/);
  assert.equal(refusedMadeRoot, false);
});

test('container root is uid 400000 on the host and root inside; its state lives under <data-root>/400000.400000', async () => {
  const c = await d.docker(['run', '-d', '--name', 'c1', 'busybox', 'sleep', '1000']);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  const pid = await inspect('c1', '{{.State.Pid}}');
  assert.deepEqual(ids(`/proc/${pid}/status`), ['400000', '400000', '400000', '400000']);
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Gid:\s+400000\s+400000\s+400000\s+400000$/m);
  const who = await d.docker(['exec', 'c1', 'id']);
  assert.match(who.stdout, /^uid=0\(root\) gid=0\(root\)/, who.stderr);
  assert.equal(norm((await d.docker(['exec', 'c1', 'cat', '/proc/self/uid_map'])).stdout), '0 400000 65536');
  assert.equal(norm((await d.docker(['exec', 'c1', 'cat', '/proc/self/gid_map'])).stdout), '0 400000 65536');
  // a file root makes in the container belongs to the remapped root in the upper dir
  assert.equal((await d.docker(['exec', 'c1', 'sh', '-c', 'echo made > /made-here && echo ok >> /etc/hosts'])).code, 0);
  const upper = await inspect('c1', '{{.GraphDriver.Data.UpperDir}}');
  assert.ok(upper.startsWith(`${remapped()}/`), upper);
  assert.equal(await owner(path.join(upper, 'made-here')), '400000:400000');
  // image content is unpacked shifted into the range
  const lower = (await inspect('c1', '{{.GraphDriver.Data.LowerDir}}')).split(':')[0]!;
  assert.ok(lower.startsWith(`${remapped()}/`), lower);
  assert.equal(await owner(path.join(lower, 'bin')), '400000:400000');
  assert.ok(existsSync(path.join(remapped(), 'containers', id, 'config.v2.json')));
  assert.equal(existsSync(path.join(d.dataRoot, 'containers', id)), false);
  assert.equal(await owner(remapped()), '0:400000');
  assert.equal((await fsp.stat(remapped())).mode & 0o777, 0o710);
  const info = await d.docker(['info', '-f', '{{json .SecurityOptions}} {{.DockerRootDir}}']);
  assert.equal(info.stdout.trim(), `["name=userns","name=cgroupns"] ${remapped()}`);
});

test('it starts, stops and restarts in the namespace on the default bridge, and survives a daemon restart', async () => {
  const gw = await inspect('c1', '{{.NetworkSettings.Gateway}}');
  assert.match(gw, /^10\.213\./);
  const ping = await d.docker(['exec', 'c1', 'ping', '-c', '1', '-W', '2', gw]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  assert.equal((await d.docker(['stop', '-t', '1', 'c1'])).code, 0);
  assert.equal(await inspect('c1', '{{.State.Status}}'), 'exited');
  assert.equal((await d.docker(['start', 'c1'])).code, 0);
  assert.deepEqual(ids(`/proc/${await inspect('c1', '{{.State.Pid}}')}/status`), ['400000', '400000', '400000', '400000']);
  const r = await d.docker(['restart', '-t', '1', 'c1']);
  assert.equal(r.code, 0, r.stderr);
  const pid = await inspect('c1', '{{.State.Pid}}');
  assert.deepEqual(ids(`/proc/${pid}/status`), ['400000', '400000', '400000', '400000']);
  assert.equal((await d.docker(['exec', 'c1', 'cat', '/made-here'])).stdout, 'made\n');
  // a container joining c1's network namespace joins its user namespace too
  const j = await d.docker(['run', '-d', '--name', 'j1', '--network', 'container:c1', 'busybox', 'sleep', '1000']);
  assert.equal(j.code, 0, j.stderr);
  const jpid = await inspect('j1', '{{.State.Pid}}');
  assert.equal(await fsp.readlink(`/proc/${jpid}/ns/user`), await fsp.readlink(`/proc/${pid}/ns/user`));
  assert.equal(await fsp.readlink(`/proc/${jpid}/ns/net`), await fsp.readlink(`/proc/${pid}/ns/net`));
  assert.notEqual(await fsp.readlink(`/proc/${pid}/ns/user`), await fsp.readlink('/proc/self/ns/user'));
  // after a daemon restart the containers are found in the remapped root, still in their namespace
  await d.halt('SIGTERM');
  await d.start();
  assert.equal(await inspect('c1', '{{.State.Status}}'), 'running');
  assert.equal((await d.docker(['exec', 'c1', 'cat', '/made-here'])).stdout, 'made\n');
  assert.equal((await d.docker(['rm', '-f', 'j1', 'c1'])).code, 0);
});

test('volumes, bind mounts, a user network and --network none work for the remapped root', async () => {
  assert.equal((await d.docker(['volume', 'create', 'v1'])).code, 0);
  const w = await d.docker(['run', '--rm', '--network', 'none', '-v', 'v1:/data', 'busybox', 'sh', '-c', 'echo x > /data/f && id -u && ip -o link | wc -l']);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout, '0\n1\n'); // root; only lo
  const mp = await inspect('v1', '{{.Mountpoint}}');
  assert.equal(mp, path.join(remapped(), 'volumes', 'v1', '_data'));
  assert.equal(await owner(mp), '400000:400000'); // a new volume's _data belongs to the remapped root
  assert.equal(await owner(path.join(mp, 'f')), '400000:400000');
  const ro = await d.docker(['run', '--rm', '--network', 'none', '-v', 'v1:/data:ro', 'busybox', 'sh', '-c', 'cat /data/f; touch /data/g']);
  assert.equal(ro.stdout, 'x\n');
  assert.match(ro.stderr, /Read-only file system/);
  const src = path.join(d.dir, 'bind-src', 'deep');
  const b = await d.docker(['run', '--rm', '--network', 'none', '-v', `${src}:/b`, 'busybox', 'sh', '-c', 'echo from-container > /b/out']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(await owner(path.join(d.dir, 'bind-src')), '400000:400000'); // created for the container
  assert.equal(await owner(path.join(src, 'out')), '400000:400000');
  assert.equal((await d.docker(['network', 'create', 'usnet'])).code, 0);
  try {
    const n = await d.docker(['run', '--rm', '--network', 'usnet', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0 && cat /proc/self/uid_map']);
    assert.equal(n.code, 0, n.stderr);
    assert.match(n.stdout, /inet 10\.213\./);
    assert.match(norm(n.stdout), /0 400000 65536$/);
  } finally {
    await d.docker(['network', 'rm', 'usnet']);
  }
  assert.equal((await d.docker(['volume', 'rm', 'v1'])).code, 0);
});

test('--userns host opts out; Docker refuses privileged, host network and host pid in the namespace', async () => {
  const h = await d.docker(['run', '--rm', '--network', 'none', '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map']);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(norm(h.stdout), '0 0 4294967295');
  const before = (await d.docker(['ps', '-aq'])).stdout;
  const priv = await d.docker(['run', '--rm', '--privileged', 'busybox', 'true']);
  assert.notEqual(priv.code, 0);
  assert.match(priv.stderr, /privileged mode is incompatible with user namespaces\.  You must run the container in the host namespace when running privileged mode/);
  const net = await d.docker(['run', '--rm', '--network', 'host', 'busybox', 'true']);
  assert.match(net.stderr, /cannot share the host's network namespace when user namespaces are enabled/);
  const pid = await d.docker(['run', '--rm', '--network', 'none', '--pid', 'host', 'busybox', 'true']);
  assert.match(pid.stderr, /cannot share the host PID namespace when user namespaces are enabled/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, before);
  const ok = await d.docker(['run', '--rm', '--privileged', '--network', 'host', '--userns', 'host', 'busybox', 'id', '-u']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '0\n');
});

/** Every entry of a tar (a file, or bytes): header and content, by name. */
async function tarEntries(src: string | Buffer): Promise<Map<string, { header: tar.Header; body: Buffer }>> {
  const out = new Map<string, { header: tar.Header; body: Buffer }>();
  const extract = tar.extract();
  (typeof src === 'string' ? createReadStream(src) : Readable.from([src])).pipe(extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name, { header: e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

let outs = 0;
/** Runs a docker command whose stdout is a tar (`docker cp c:/p -`), into a file; returns its path. */
async function dockerToFile(args: string[]): Promise<{ code: number; stderr: string; file: string }> {
  const file = path.join(d.dir, `out-${++outs}.tar`);
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), OUT: file };
  const r = await runCmd('sh', ['-c', '"$0" "$@" > "$OUT"', '/usr/local/bin/docker', ...args], { env });
  return { code: r.code, stderr: r.stderr, file };
}

const ownersOf = (m: Map<string, { header: tar.Header }>, names: string[]) => names.map((n) => {
  const h = m.get(n)?.header;
  return h ? `${h.uid}:${h.gid}` : `missing ${n}`;
});

test('docker cp into a container: owners land shifted into the range (-a: the container user\'s); ids outside it are refused, writing nothing', async () => {
  const bind = path.join(d.dir, 'cp-bind');
  await fsp.mkdir(bind);
  await fsp.writeFile(path.join(bind, 'host-root'), 'r');
  await fsp.writeFile(path.join(bind, 'in-range'), 'i');
  await fsp.chown(path.join(bind, 'in-range'), 401000, 401000);
  const run = await d.docker(['run', '-d', '--name', 'cp1', '--network', 'none', '-v', `${bind}:/b`, 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const upper = await inspect('cp1', '{{.GraphDriver.Data.UpperDir}}');
  // the CLI archives local files with their owners
  const src = path.join(d.dir, 'cp-src');
  await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
  await fsp.writeFile(path.join(src, 'root-file'), 'r');
  await fsp.writeFile(path.join(src, 'user-file'), 'u');
  await fsp.writeFile(path.join(src, 'sub', 'inner'), 'i');
  await fsp.chown(path.join(src, 'user-file'), 1000, 1000);
  await fsp.chown(path.join(src, 'sub'), 2000, 3000);
  await fsp.chown(path.join(src, 'sub', 'inner'), 2000, 3000);
  const cp = await d.docker(['cp', src, 'cp1:/tmp/']);
  assert.equal(cp.code, 0, cp.stderr);
  const inside = await d.docker(['exec', 'cp1', 'stat', '-c', '%u:%g %n', '/tmp/cp-src', '/tmp/cp-src/root-file', '/tmp/cp-src/user-file', '/tmp/cp-src/sub', '/tmp/cp-src/sub/inner']);
  assert.equal(inside.stdout, '0:0 /tmp/cp-src\n0:0 /tmp/cp-src/root-file\n1000:1000 /tmp/cp-src/user-file\n2000:3000 /tmp/cp-src/sub\n2000:3000 /tmp/cp-src/sub/inner\n', inside.stderr);
  assert.equal(await owner(path.join(upper, 'tmp/cp-src')), '400000:400000');
  assert.equal(await owner(path.join(upper, 'tmp/cp-src/root-file')), '400000:400000');
  assert.equal(await owner(path.join(upper, 'tmp/cp-src/user-file')), '401000:401000');
  assert.equal(await owner(path.join(upper, 'tmp/cp-src/sub/inner')), '402000:403000');
  // a tar on stdin whose entry implies missing parents: they belong to the remapped root, as Docker makes them
  const pack = tar.pack();
  pack.entry({ name: 'implied/deep/f', uid: 7, gid: 8, mode: 0o644 }, 'x');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const stdin = await d.docker(['cp', '-', 'cp1:/tmp'], { input: Buffer.concat(chunks).toString('latin1') });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(await owner(path.join(upper, 'tmp/implied')), '400000:400000');
  assert.equal(await owner(path.join(upper, 'tmp/implied/deep')), '400000:400000');
  assert.equal(await owner(path.join(upper, 'tmp/implied/deep/f')), '400007:400008');
  assert.equal((await d.docker(['exec', 'cp1', 'stat', '-c', '%u:%g', '/tmp/implied', '/tmp/implied/deep/f'])).stdout, '0:0\n7:8\n');
  // into a bind mount: the same shift
  assert.equal((await d.docker(['cp', path.join(src, 'user-file'), 'cp1:/b/'])).code, 0);
  assert.equal(await owner(path.join(bind, 'user-file')), '401000:401000');
  // an owner outside the range: Docker's error, and not even the entries before it are written
  const far = path.join(d.dir, 'far-src');
  await fsp.mkdir(far);
  await fsp.writeFile(path.join(far, 'a-first'), 'a');
  await fsp.writeFile(path.join(far, 'b-far'), 'b');
  await fsp.chown(path.join(far, 'b-far'), 70000, 0);
  const refused = await d.docker(['cp', far, 'cp1:/tmp/']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Error response from daemon: Container ID 70000 cannot be mapped to a host ID/);
  assert.equal(existsSync(path.join(upper, 'tmp/far-src')), false);
  assert.equal((await d.docker(['exec', 'cp1', 'ls', '/tmp'])).stdout.includes('far-src'), false);
  // -a (copyUIDGID): the container user's ids, shifted; a stopped container's rootfs is mounted for the call
  assert.equal((await d.docker(['create', '--name', 'cpu', '--network', 'none', '-u', '1000:1000', 'busybox', 'true'])).code, 0);
  const a = await d.docker(['cp', '-a', path.join(src, 'root-file'), 'cpu:/tmp/']);
  assert.equal(a.code, 0, a.stderr);
  const cpuUpper = await inspect('cpu', '{{.GraphDriver.Data.UpperDir}}');
  assert.equal(await owner(path.join(cpuUpper, 'tmp/root-file')), '401000:401000');
  assert.equal((await d.docker(['create', '--name', 'cpfar', '--network', 'none', '-u', '70000', 'busybox', 'true'])).code, 0);
  const aFar = await d.docker(['cp', '-a', path.join(src, 'root-file'), 'cpfar:/tmp/']);
  assert.notEqual(aFar.code, 0);
  assert.match(aFar.stderr, /Container ID 70000 cannot be mapped to a host ID/);
  assert.equal(existsSync(path.join(await inspect('cpfar', '{{.GraphDriver.Data.UpperDir}}'), 'tmp/root-file')), false);
  assert.equal((await d.docker(['rm', 'cpu', 'cpfar'])).code, 0);
});

test('docker cp out of a container and docker export carry container ids; HEAD stat is unchanged', async () => {
  assert.equal((await d.docker(['exec', 'cp1', 'sh', '-c', 'mkdir /out && echo a > /out/root-made && echo b > /out/user-made && chown 1000:2000 /out/user-made'])).code, 0);
  const out = await dockerToFile(['cp', 'cp1:/out', '-']);
  assert.equal(out.code, 0, out.stderr);
  const t = await tarEntries(out.file);
  assert.deepEqual(ownersOf(t, ['out/', 'out/root-made', 'out/user-made']), ['0:0', '0:0', '1000:2000']);
  // a bind mount's host files: one in the range as its container id, one outside as the overflow id,
  // which is exactly the owner the container sees
  const b = await dockerToFile(['cp', 'cp1:/b', '-']);
  assert.equal(b.code, 0, b.stderr);
  const bt = await tarEntries(b.file);
  const seen = (await d.docker(['exec', 'cp1', 'stat', '-c', '%u:%g', '/b/host-root', '/b/in-range'])).stdout.trim().split('\n');
  assert.deepEqual(seen, ['65534:65534', '1000:1000']);
  assert.deepEqual(ownersOf(bt, ['b/host-root', 'b/in-range']), seen);
  assert.equal(bt.get('b/host-root')?.body.toString(), 'r');
  // export: the whole root file system, image content (400000 on the host) as root
  const ex = await d.docker(['export', '-o', path.join(d.dir, 'export.tar'), 'cp1']);
  assert.equal(ex.code, 0, ex.stderr);
  const et = await tarEntries(path.join(d.dir, 'export.tar'));
  assert.deepEqual(ownersOf(et, ['bin/', 'bin/busybox', 'out/user-made', 'tmp/cp-src/sub/inner', 'tmp/implied/deep/f']), ['0:0', '0:0', '1000:2000', '2000:3000', '7:8']);
  assert.ok(![...et.values()].some((e) => (e.header.uid ?? 0) >= START || (e.header.gid ?? 0) >= START), 'no host id in the export');
  // a file of the root file system owned by a host id outside the range (as a host process could leave
  // it): cp shows the overflow id, export fails as Docker's does (the stream is cut short)
  const upper = await inspect('cp1', '{{.GraphDriver.Data.UpperDir}}');
  await fsp.lchown(path.join(upper, 'out/root-made'), 0, 0);
  try {
    const over = await dockerToFile(['cp', 'cp1:/out/root-made', '-']);
    assert.equal(over.code, 0, over.stderr);
    assert.deepEqual(ownersOf(await tarEntries(over.file), ['root-made']), ['65534:65534']);
    const cut = await d.docker(['export', '-o', path.join(d.dir, 'export-cut.tar'), 'cp1']);
    assert.notEqual(cut.code, 0, 'an export with a host id outside the range fails');
  } finally {
    await fsp.lchown(path.join(upper, 'out/root-made'), START, START);
  }
  // HEAD stat: mode, size and time only, as without remapping
  const header = await new Promise<string>((resolve, reject) => {
    http.request({ socketPath: d.socket, method: 'HEAD', path: `/v1.47/containers/cp1/archive?path=${encodeURIComponent('/out/user-made')}` }, (res) => {
      res.resume();
      resolve(String(res.headers['x-docker-container-path-stat']));
    }).on('error', reject).end();
  });
  const stat = JSON.parse(Buffer.from(header, 'base64').toString()) as { name: string; size: number; mode: number; linkTarget: string };
  assert.deepEqual([stat.name, stat.size, stat.mode, stat.linkTarget], ['user-made', 2, 0o644, '']);
});

test('commit in the remapped daemon: the layer carries container ids; the committed image has the same owners inside and on the host', async () => {
  assert.equal((await d.docker(['exec', 'cp1', 'sh', '-c', 'mkdir -p /srv/app/owned && echo r > /srv/app/root-file && echo u > /srv/app/user-file && chown 1000:2000 /srv/app/user-file /srv/app/owned && rmdir /var/www'])).code, 0);
  const c = await d.docker(['commit', 'cp1', 'remapped:v1']);
  assert.equal(c.code, 0, c.stderr);
  // the layer as stored (docker save writes it as committed): container ids, an OCI whiteout for the deletion
  const saved = await d.docker(['save', '-o', path.join(d.dir, 'saved.tar'), 'remapped:v1']);
  assert.equal(saved.code, 0, saved.stderr);
  const st = await tarEntries(path.join(d.dir, 'saved.tar'));
  const manifest = JSON.parse(st.get('manifest.json')!.body.toString()) as { Layers: string[] }[];
  const top = await tarEntries(st.get(manifest[0]!.Layers.at(-1)!)!.body);
  assert.deepEqual(ownersOf(top, ['srv/app/', 'srv/app/root-file', 'srv/app/user-file', 'srv/app/owned/']), ['0:0', '0:0', '1000:2000', '1000:2000']);
  assert.ok(top.has('var/.wh.www'), [...top.keys()].join(' '));
  assert.ok(![...top.values()].some((e) => (e.header.uid ?? 0) >= START), 'no host id in the layer');
  // run it: the same owners inside, shifted into the range on the host
  const r = await d.docker(['run', '-d', '--name', 'cm2', '--network', 'none', 'remapped:v1', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const inside = await d.docker(['exec', 'cm2', 'sh', '-c', 'stat -c "%u:%g %n" /srv/app/root-file /srv/app/user-file /srv/app/owned /tmp/cp-src/sub/inner; ls /var']);
  assert.equal(inside.stdout, '0:0 /srv/app/root-file\n1000:2000 /srv/app/user-file\n1000:2000 /srv/app/owned\n2000:3000 /tmp/cp-src/sub/inner\nspool\n', inside.stderr);
  const layer = (await inspect('cm2', '{{.GraphDriver.Data.LowerDir}}')).split(':')[0]!;
  assert.ok(layer.startsWith(`${remapped()}/`), layer);
  assert.equal(await owner(path.join(layer, 'srv/app/root-file')), '400000:400000');
  assert.equal(await owner(path.join(layer, 'srv/app/user-file')), '401000:402000');
  assert.equal(await owner(path.join(layer, 'tmp/cp-src/sub/inner')), '402000:403000');
  assert.equal((await d.docker(['rm', '-f', 'cm2', 'cp1'])).code, 0);
  assert.equal((await d.docker(['rmi', 'remapped:v1'])).code, 0);
});

test('--userns host: what it makes is host root\'s, outside the range: cp shows it as 65534, commit refuses it with Docker\'s error', async () => {
  const r = await d.docker(['run', '--name', 'uh', '--network', 'none', '--userns', 'host', 'busybox', 'sh', '-c', 'echo x > /host-made']);
  assert.equal(r.code, 0, r.stderr);
  const upper = await inspect('uh', '{{.GraphDriver.Data.UpperDir}}');
  assert.equal(await owner(path.join(upper, 'host-made')), '0:0');
  const cp = await dockerToFile(['cp', 'uh:/host-made', '-']);
  assert.equal(cp.code, 0, cp.stderr);
  assert.deepEqual(ownersOf(await tarEntries(cp.file), ['host-made']), ['65534:65534']);
  const images = (await d.docker(['images', '-q'])).stdout;
  const c = await d.docker(['commit', 'uh', 'remapped:host']);
  assert.notEqual(c.code, 0);
  assert.match(c.stderr, /Error response from daemon: Host ID 0 cannot be mapped to a container ID/);
  assert.equal((await d.docker(['images', '-q'])).stdout, images);
  assert.equal((await d.docker(['rm', 'uh'])).code, 0);
});

test('a build in the remapped daemon: COPY --chown gives the directories it creates to the owner through the archive path, as Docker 20.10 (an existing destination keeps its owner)', async () => {
  const ctx = await fsp.mkdtemp(path.join(d.dir, 'ctx-'));
  try {
    await fsp.mkdir(path.join(ctx, 'd'));
    await fsp.writeFile(path.join(ctx, 'f'), 'hi\n');
    await fsp.writeFile(path.join(ctx, 'd', 'g'), 'in\n');
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), [
      'FROM busybox',
      'RUN mkdir /have',
      'COPY --chown=1000:1000 f /a/b/c/f',
      'COPY --chown=1000:1000 d /x/y/z/',
      'COPY --chown=1000:1000 f /have/n/',
      'COPY --chown=1000:1000 d /have/',
      '',
    ].join('\n'));
    process.env.DOCKER_BUILDKIT = '0'; // the classic builder's API (buildx is not installed)
    const b = await d.docker(['build', '-t', 'remapped:built', ctx], { timeout: 120000 });
    assert.equal(b.code, 0, b.stderr);
    const r = await d.docker(['run', '--rm', '--network', 'none', 'remapped:built', 'stat', '-c', '%n %u:%g %a', '/a', '/a/b', '/a/b/c', '/a/b/c/f', '/x', '/x/y', '/x/y/z', '/x/y/z/g', '/have', '/have/n', '/have/n/f', '/have/g']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '/a 1000:1000 755', '/a/b 1000:1000 755', '/a/b/c 1000:1000 755', '/a/b/c/f 1000:1000 644',
      '/x 0:0 755', '/x/y 0:0 755', '/x/y/z 1000:1000 755', '/x/y/z/g 1000:1000 644',
      '/have 0:0 755', '/have/n 1000:1000 755', '/have/n/f 1000:1000 644', '/have/g 1000:1000 644',
    ]);
  } finally {
    await d.docker(['rmi', 'remapped:built']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
