/**
 * Integration-test harness: a real berthd on private paths (its own socket, data root, exec root, so
 * several run side by side), a busybox image imported from Debian's busybox-static, and the clients
 * users have (the docker CLI, dockerode). Everything is removed in `stop()`, also after a failure.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promises as fsp, readFileSync, createReadStream, createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { once } from 'node:events';
import { before, after } from 'node:test';
import * as tar from 'tar-stream';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/daemon/config.js';

/** the compiled tree this file belongs to (dist/, or a private outDir while a change is being built) */
const OUT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** the berth CLI of that tree, bundled as bin/berth runs it (scripts/bundle.mjs: the fast bundle) */
export const BERTH_CLI = path.join(OUT, 'bundle/cli/berth.cjs');
/** the CLI's full bundle (ES modules, every command), which the fast one hands heavy commands to */
export const BERTH_CLI_FULL = path.join(OUT, 'bundle/cli/berth.js');
/** berthd, bundled as bin/berthd runs it */
const BERTHD = path.join(OUT, 'bundle/daemon/berthd.js');
/** the busybox rootfs tar the tests import (built once from Debian's busybox-static) */
export const BUSYBOX_TAR = '/tmp/berth-test-busybox-rootfs.tar';
/** every network of a test daemon comes from here (see TestDaemon.create) */
export const TEST_POOL = '10.213.0.0/16';
/** test-made hosts (addresses the tests add on the host or in their own netns), inside the guard's range */
export const GUARD_RANGE = '10.212.0.0/15';

export interface ExecResult { code: number; stdout: string; stderr: string }

export class TestDaemon {
  proc?: ChildProcess;
  log = '';
  /** run berthd in this network namespace (a name under /run/netns the test made), not the host's */
  netns?: string;
  constructor(readonly dir: string) {}

  get socket(): string { return path.join(this.dir, 's.sock'); }
  get dataRoot(): string { return path.join(this.dir, 'data'); }
  get execRoot(): string { return path.join(this.dir, 'exec'); }
  get host(): string { return `unix://${this.socket}`; }

  /** The default bridge: named from the test dir, so daemons side by side never share one. */
  get bridge(): string { return `btb${path.basename(this.dir).slice(3).replace(/[^a-zA-Z0-9]/g, 'x')}`; }

  /**
   * A daemon with its own paths and bridge, whose networks come from TEST_POOL. A guard table (owned
   * by the test) drops anything a test container would send out of TEST_POOL: test traffic stays on
   * this machine even though the daemon's masquerade rules would let it out (GUARD_RANGE holds TEST_POOL
   * and the addresses of the test-made hosts).
   */
  static async create(daemonJson: Record<string, unknown> = {}, opts: { netns?: string } = {}): Promise<TestDaemon> {
    const dir = await fsp.mkdtemp('/tmp/bt-');
    const d = new TestDaemon(dir);
    d.netns = opts.netns;
    await fsp.writeFile(path.join(dir, 'daemon.json'), JSON.stringify({
      'log-opts': { 'max-size': '64k', 'max-file': '3' }, 'default-address-pools': [{ base: TEST_POOL, size: 24 }],
      // names the embedded DNS does not know are forwarded here (nothing listens): never off the machine
      dns: ['127.0.0.154'],
      // registries off this machine (Docker Hub for an image a test forgot to make) go to a closed
      // loopback port: a test can never reach, or even resolve, anything outside
      proxies: { 'http-proxy': 'http://127.0.0.1:9', 'https-proxy': 'http://127.0.0.1:9' },
      // BERTH_TEST_RUNTIME=runc|crun runs a suite on that runtime (unset: the daemon's own choice)
      ...(process.env.BERTH_TEST_RUNTIME ? { 'default-runtime': process.env.BERTH_TEST_RUNTIME } : {}),
      ...daemonJson,
    }));
    await fsp.mkdir(path.join(dir, 'docker-config'));
    await runCmd('nft', ['-f', '-'], { input: `table inet ${d.guardTable} {\n chain guard {\n  type filter hook forward priority -300; policy accept;\n  ip saddr ${GUARD_RANGE} ip daddr != ${GUARD_RANGE} drop\n  ip daddr ${GUARD_RANGE} ip saddr != ${GUARD_RANGE} drop\n }\n}\n` });
    try {
      await d.start();
    } catch (e) {
      await d.stop();
      throw e;
    }
    return d;
  }

  get guardTable(): string { return `btguard_${path.basename(this.dir).slice(3).replace(/[^a-zA-Z0-9]/g, 'x')}`; }

  async start(): Promise<void> {
    if (!existsSync(BERTHD)) throw new Error(`${BERTHD} is missing: build with \`npm run build\` (or \`node scripts/bundle.mjs ${OUT}\` after tsc)`);
    const argv = [...DAEMON_NODE_FLAGS, BERTHD, '-H', this.host, '--data-root', this.dataRoot,
      '--exec-root', this.execRoot, '--bridge', this.bridge, '--config-file', path.join(this.dir, 'daemon.json'), '--log-level', 'warn'];
    // nsenter execs berthd (no fork), so proc is the daemon itself
    this.proc = this.netns
      ? spawn('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...DAEMON_ENV } })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...DAEMON_ENV } });
    this.proc.stderr!.on('data', (d: Buffer) => { this.log += d.toString(); });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`berthd exited: ${this.log}`);
      const ok = await this.request('GET', '/_ping').then((r) => r.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up: ${this.log}`);
  }

  /** SIGTERM (containers keep running) or SIGKILL (a crash). */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill(signal);
    await once(p, 'exit');
  }

  request(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: string; json: () => any }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = http.request({ socketPath: this.socket, method, path: urlPath, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  /** Run the docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string; timeout?: number } = {}): Promise<ExecResult> {
    return runCmd('/usr/local/bin/docker', args, { env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: path.join(this.dir, 'docker-config') }, ...opts });
  }

  /** Run the docker CLI, fail (with its stderr) unless it exits 0, and give its trimmed stdout. */
  async dockerOk(args: string[], opts: { input?: string; timeout?: number } = {}): Promise<string> {
    const r = await this.docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Run the berth CLI against this daemon, as bin/berth runs it (the fast bundle, without NODE_EXTRA_CA_CERTS). */
  berth(args: string[], opts: { input?: string; timeout?: number } = {}): Promise<ExecResult> {
    const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
    return runCmd(process.execPath, [BERTH_CLI, ...args], { env: { ...env, DOCKER_HOST: this.host, BERTH_HOST: this.host }, ...opts });
  }

  /** Import busybox:latest (built once per machine from busybox-static). */
  async importBusybox(): Promise<void> {
    if (!existsSync(BUSYBOX_TAR)) {
      const { buildBusyboxRootfs } = await import('../src/bootstrap/index.js');
      const tmp = `${BUSYBOX_TAR}.${process.pid}`;
      const out = createWriteStream(tmp);
      await buildBusyboxRootfs(out);
      await fsp.rename(tmp, BUSYBOX_TAR);
    }
    const r = await this.docker(['import', '-c', 'CMD ["sh"]', BUSYBOX_TAR, 'busybox:latest']);
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  /** Remove everything this daemon made: containers, mounts, cgroups, files. Never throws. */
  async stop(): Promise<void> {
    try {
      if (this.proc && this.proc.exitCode === null) {
        const list = await this.request('GET', '/containers/json?all=1').then((r) => r.json() as { Id: string }[], () => []);
        for (const c of list) await this.request('DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
      }
    } finally {
      await this.halt('SIGTERM').catch(() => undefined);
      await cleanupDir(this.dir, this.execRoot);
      await runCmd('nft', ['delete', 'table', 'inet', this.guardTable]);
    }
  }
}

/** Kill what runc and crun still run under this exec root, unmount what is mounted under dir, remove dir. */
export async function cleanupDir(dir: string, execRoot: string): Promise<void> {
  for (const [name, cmd] of runtimeCommands()) {
    const root = path.join(execRoot, name);
    if (!existsSync(root)) continue;
    const list = await runCmd(cmd[0]!, [...cmd.slice(1), '--root', root, 'list', '-q']).catch(() => ({ stdout: '' }));
    for (const id of list.stdout.split('\n').filter(Boolean)) {
      await runCmd(cmd[0]!, [...cmd.slice(1), '--root', root, 'kill', '--all', id, 'KILL']).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
      await runCmd(cmd[0]!, [...cmd.slice(1), '--root', root, 'delete', '--force', id]).catch(() => undefined);
    }
  }
  await cleanupNetworks(path.join(dir, 'data'), `btb${path.basename(dir).slice(3).replace(/[^a-zA-Z0-9]/g, 'x')}`);
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(`${dir}/`));
  for (const m of mounts.reverse()) await runCmd('umount', ['-l', m]).catch(() => undefined);
  await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  // the cgroup parent named after this data root
  const { cgroupParent } = await import('../src/daemon/config.js');
  const parent = cgroupParent(path.join(dir, 'data'));
  for (const ctl of await fsp.readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const p = path.join('/sys/fs/cgroup', ctl, parent);
    if (existsSync(p)) await fsp.rmdir(p).catch(() => undefined);
  }
}

/** runc, and crun as berthd runs it on this host (through the mount-hiding helper on a hybrid cgroup layout) */
function runtimeCommands(): [string, string[]][] {
  const out: [string, string[]][] = [['runc', ['runc']]];
  const hybrid = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / - cgroup2 /.test(l) && !/ \/sys\/fs\/cgroup /.test(l));
  const helper = path.join(OUT, 'native/berth-hide-mount-exec');
  out.push(['crun', hybrid && existsSync(helper) ? [helper, '/sys/fs/cgroup/unified', '/usr/bin/crun'] : ['crun']]);
  return out;
}

/** The bridges and nft tables a daemon with this data root made (names derive from its config). */
export async function cleanupNetworks(dataRoot: string, defaultBridge: string): Promise<void> {
  const bridges = new Set([defaultBridge]);
  for (const f of await fsp.readdir(path.join(dataRoot, 'network')).catch(() => [] as string[])) {
    const rec = JSON.parse(await fsp.readFile(path.join(dataRoot, 'network', f), 'utf8').catch(() => '{}')) as { bridge?: string; endpoints?: Record<string, { hostIface?: string }> };
    if (rec.bridge) bridges.add(rec.bridge);
    for (const e of Object.values(rec.endpoints ?? {})) if (e.hostIface && existsSync(`/sys/class/net/${e.hostIface}`)) await runCmd('ip', ['link', 'del', e.hostIface]);
  }
  for (const b of bridges) if (existsSync(`/sys/class/net/${b}`)) await runCmd('ip', ['link', 'del', b]);
  const { firewallTable } = await import('../src/daemon/config.js');
  const table = firewallTable(dataRoot);
  for (const fam of ['inet', 'bridge']) await runCmd('nft', ['delete', 'table', fam, table]);
}

export function runCmd(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeout ?? 60000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : child.exitCode ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
    // the command may exit before reading its stdin
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for peers the tests start: registries). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as import('node:net').AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms = 10000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { createReadStream };

/**
 * The daemon of one test file, with busybox imported: made before the file's tests, stopped after them
 * (also after a failure). `t.d` is the daemon once it runs.
 */
export function busyboxDaemon(daemonJson?: Record<string, unknown>): { readonly d: TestDaemon } {
  let daemon: TestDaemon | undefined;
  before(async () => {
    daemon = await TestDaemon.create(daemonJson);
    await daemon.importBusybox();
  });
  after(async () => {
    await daemon?.stop();
  });
  return {
    get d(): TestDaemon {
      if (!daemon) throw new Error('the test daemon is not running');
      return daemon;
    },
  };
}

/** A build context: a new folder under the system's temp folder holding `files` (relative paths to contents). */
export async function contextDir(files: Record<string, string>): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'bt-ctx-'));
  for (const [name, body] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fsp.writeFile(path.join(dir, name), body);
  }
  return dir;
}

/** A tar of `files` (name -> content, or content and mode), in memory. */
export async function tarOf(files: Record<string, string | Buffer | { body: string | Buffer; mode: number }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, f] of Object.entries(files)) {
    const { body, mode } = typeof f === 'string' || Buffer.isBuffer(f) ? { body: f, mode: 0o644 } : f;
    pack.entry({ name, mode }, body);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** POST /build (API 1.41, as the docker CLI's legacy path) of a context tar: the status and the whole answer. */
export function postBuild(d: TestDaemon, query: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, path: `/v1.41/build?${query}`, method: 'POST', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { s += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: s }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `docker save` of `image` unpacked under `dir/<name>`: the paths of its layer tars, bottom first.
 * `name` keeps several saves apart in one directory.
 */
export async function savedLayers(d: TestDaemon, image: string, dir: string, name = 'img'): Promise<string[]> {
  const out = path.join(dir, name);
  const save = await d.docker(['save', '-o', `${out}.tar`, image]);
  if (save.code !== 0) throw new Error(`docker save ${image}: ${save.stderr}`);
  await fsp.mkdir(out);
  const x = await runCmd('tar', ['-xf', `${out}.tar`, '-C', out]);
  if (x.code !== 0) throw new Error(`tar -xf ${out}.tar: ${x.stderr}`);
  const manifest = JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  return manifest[0]!.Layers.map((l) => path.join(out, l));
}
