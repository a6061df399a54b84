/**
 * Builds the rootfs tar of a small `busybox:latest` image from the host's static busybox (Debian's
 * busybox-static), so tests and first runs need no registry.
 *
 * Debian's static busybox is linked against glibc, whose name lookups (getpwnam, getaddrinfo) dlopen the
 * NSS modules; those and their dependencies are copied from the host at the paths glibc searches.
 */
import { once } from 'node:events';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { notFound } from '../core/errors.js';
import { output } from '../host/index.js';

/** `docker import --change` instructions giving the image Docker's busybox defaults. */
export const BUSYBOX_IMAGE_CHANGES: string[] = ['CMD ["sh"]'];

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const NSS_LIBS = ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2', 'libc.so.6'];
const LOADERS: Record<string, { name: string; abiPath: string }> = {
  x64: { name: 'ld-linux-x86-64.so.2', abiPath: 'lib64/ld-linux-x86-64.so.2' },
  arm64: { name: 'ld-linux-aarch64.so.1', abiPath: 'lib/ld-linux-aarch64.so.1' },
};
const LDCONFIG_ARCH: Record<string, string> = { x64: 'x86-64', arm64: 'AArch64' };
const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

const SHADOW = PASSWD.split('\n')
  .filter((l) => l !== '')
  .map((l) => `${l.split(':')[0]}:*:19000:0:99999:7:::`)
  .join('\n')
  .concat('\n');

const NSSWITCH = `passwd: files
group: files
shadow: files
hosts: files dns
networks: files
protocols: files
services: files
`;

const DIRS: [string, number][] = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['lib', 0o755],
  ['proc', 0o755],
  ['root', 0o700],
  ['sbin', 0o755],
  ['sys', 0o755],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

/** Locates the host's busybox; NotFound if absent. */
export async function findBusybox(): Promise<string> {
  for (const p of BUSYBOX_CANDIDATES) {
    try {
      await fs.access(p, fs.constants.X_OK);
      return await fs.realpath(p);
    } catch {
      // try the next one
    }
  }
  throw notFound('busybox not found: install the busybox-static package');
}

/** Host paths of the NSS libraries and the dynamic loader, from `ldconfig -p` or Debian's defaults. */
export async function findNssLibraries(arch: string = process.arch): Promise<Map<string, string>> {
  const loader = LOADERS[arch];
  const wanted = [...NSS_LIBS, ...(loader ? [loader.name] : [])];
  const found = new Map<string, string>();
  try {
    const stdout = await output('ldconfig', ['-p']);
    const tag = LDCONFIG_ARCH[arch];
    for (const line of stdout.split('\n')) {
      const m = /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
      if (!m || !wanted.includes(m[1]!) || found.has(m[1]!)) continue;
      if (tag && !m[2]!.includes(tag)) continue;
      found.set(m[1]!, m[3]!);
    }
  } catch {
    // no ldconfig: fall back to the multiarch directory
  }
  const multiarch = MULTIARCH[arch];
  for (const name of wanted) {
    if (found.has(name) || !multiarch) continue;
    for (const dir of [`/lib/${multiarch}`, `/usr/lib/${multiarch}`]) {
      const p = path.join(dir, name);
      if (await fs.access(p).then(() => true, () => false)) {
        found.set(name, p);
        break;
      }
    }
  }
  const missing = wanted.filter((n) => !found.has(n));
  if (missing.length > 0) throw notFound(`glibc libraries not found: ${missing.join(', ')}`);
  return found;
}

/** Lists busybox's applets as install paths (`bin/sh`, `usr/bin/wget`, ...). */
async function applets(busybox: string): Promise<string[]> {
  const stdout = await output(busybox, ['--list-full']);
  return [...new Set(stdout.split('\n').map((l) => l.trim().replace(/^\/+/, '')))]
    .filter((l) => l !== '' && !l.split('/').includes('..') && l !== 'bin/busybox')
    .sort();
}

/** Writes the rootfs tar of busybox:latest to `out` (which is ended); resolves once `out` has finished. */
export async function buildBusyboxRootfs(out: Writable): Promise<void> {
  const busybox = await findBusybox();
  const libs = await findNssLibraries();
  const names = await applets(busybox);
  const mtime = (await fs.stat(busybox)).mtime;

  const pack = tar.pack();
  const piping = pipeline(Readable.from(pack), out);
  piping.catch(() => {});
  const entry = (h: tar.Header | (Partial<tar.Header> & { name: string }), data?: Buffer | string) =>
    new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const header = { uid: 0, gid: 0, mtime, ...h };
      if (data !== undefined) pack.entry(header, data, cb);
      else pack.entry(header, cb);
    });
  const file = async (name: string, src: string, mode: number) => {
    const st = await fs.stat(src);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, size: st.size, mode, mtime, uid: 0, gid: 0, type: 'file' }, (err) => (err ? reject(err) : resolve()));
      (async () => {
        const fh = await fs.open(src, 'r');
        try {
          for await (const chunk of fh.createReadStream({ autoClose: false })) {
            if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
          }
        } finally {
          await fh.close();
        }
        sink.end(undefined);
      })().catch((err: unknown) => {
        sink.destroy(err as Error);
        reject(err as Error);
      });
    });
  };

  try {
    const dirs = new Map<string, number>(DIRS);
    const libPaths = [...libs.values()].map((p) => p.replace(/^\/+/, ''));
    for (const p of [...libPaths, ...names]) {
      for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) if (!dirs.has(d)) dirs.set(d, 0o755);
    }
    const loader = LOADERS[process.arch];
    if (loader) dirs.set(path.posix.dirname(loader.abiPath), 0o755);
    for (const [d, mode] of [...dirs].sort(([a], [b]) => a.localeCompare(b))) {
      await entry({ name: `${d}/`, type: 'directory', mode });
    }
    await file('bin/busybox', busybox, 0o755);
    for (const a of names) {
      const linkname = path.posix.dirname(a) === 'bin' ? 'busybox' : '/bin/busybox';
      await entry({ name: a, type: 'symlink', linkname, mode: 0o777 });
    }
    await entry({ name: 'etc/passwd', type: 'file', mode: 0o644 }, PASSWD);
    await entry({ name: 'etc/group', type: 'file', mode: 0o644 }, GROUP);
    await entry({ name: 'etc/shadow', type: 'file', mode: 0o640 }, SHADOW);
    await entry({ name: 'etc/nsswitch.conf', type: 'file', mode: 0o644 }, NSSWITCH);
    await entry({ name: 'etc/hosts', type: 'file', mode: 0o644 }, '');
    await entry({ name: 'etc/resolv.conf', type: 'file', mode: 0o644 }, '');
    for (const [name, host] of [...libs].sort(([a], [b]) => a.localeCompare(b))) {
      await file(host.replace(/^\/+/, ''), await fs.realpath(host), 0o755);
      if (loader && name === loader.name && host.replace(/^\/+/, '') !== loader.abiPath) {
        await entry({ name: loader.abiPath, type: 'symlink', linkname: host, mode: 0o777 });
      }
    }
    pack.finalize();
    await piping;
  } catch (err) {
    pack.destroy(err as Error);
    await piping.catch(() => {});
    throw err;
  }
}
