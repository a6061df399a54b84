/**
 * Interop: Berth's registry server against Debian's skopeo (containers/image), the client podman and
 * buildah use. An OCI image layout made here (two gzip'ed tar layers, a config, a manifest) is pushed
 * with `skopeo copy`, inspected, pulled back into another layout, and the manifest digest compared.
 * Also with htpasswd credentials and over TLS (a self-signed certificate made with openssl).
 *
 * skopeo runs in an unprivileged user namespace with a temp HOME, policy, registries.conf and
 * registries.d: as root it would put its blob-info cache under /var/lib/containers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import tar from 'tar-stream';
import { RegistryServer } from '../src/registry/server/index.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes an OCI image layout with one image tagged `tag`; returns the manifest digest. */
async function makeLayout(dir: string, tag: string): Promise<string> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = async (data: Buffer | string) => {
    const d = sha256(data);
    await fs.writeFile(path.join(blobs, d.slice(7)), data);
    return { digest: d, size: Buffer.byteLength(data) };
  };
  const tars = [
    await tarOf({ 'etc/hostname': 'berth\n', 'hello.txt': 'hello from layer one\n' }),
    await tarOf({ 'data/big.txt': 'x'.repeat(300_000), 'hello.txt': 'layer two wins\n' }),
  ];
  const layers = [];
  for (const t of tars) layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await put(gzipSync(t))) });
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
    history: [{ created_by: 'berth test' }, { created_by: 'berth test' }],
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(config)) },
    layers,
  });
  const m = await put(manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fs.writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, ...m, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return m.digest;
}

/** The digest of the manifest tagged `tag` in an OCI layout. */
async function layoutDigest(dir: string, tag: string): Promise<string> {
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(m, `tag ${tag} in ${dir}/index.json`);
  return m.digest;
}

describe('registry server with skopeo', { skip: !existsSync(SKOPEO) && 'skopeo is not installed' }, () => {
  let tmp: string;
  let src: string;
  let srcDigest: string;
  const servers: RegistryServer[] = [];

  /** skopeo with private config, as an unprivileged user (see the file comment). */
  async function skopeo(...args: string[]): Promise<string> {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: path.join(tmp, 'home'),
      XDG_RUNTIME_DIR: path.join(tmp, 'run'),
      CONTAINERS_REGISTRIES_CONF: path.join(tmp, 'registries.conf'),
      REGISTRY_AUTH_FILE: path.join(tmp, 'auth.json'),
    };
    const full = ['--user', SKOPEO, '--policy', path.join(tmp, 'policy.json'), '--registries.d', path.join(tmp, 'registries.d'), ...args];
    try {
      const { stdout } = await run('unshare', full, { env, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`skopeo ${args.join(' ')}: ${e.stderr ?? e.message}`);
    }
  }

  async function serve(opts: { htpasswd?: string; tls?: { cert: string; key: string } } = {}): Promise<{ server: RegistryServer; addr: string; root: string }> {
    const root = await fs.mkdtemp(path.join(tmp, 'root-'));
    const server = await RegistryServer.open({ root, ...opts });
    servers.push(server);
    const { port } = await server.listen('127.0.0.1:0');
    return { server, addr: `127.0.0.1:${port}`, root };
  }

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regsrv-skopeo-'));
    await fs.chmod(tmp, 0o755);
    for (const d of ['home', 'run', 'registries.d']) await fs.mkdir(path.join(tmp, d), { mode: 0o700 });
    await fs.writeFile(path.join(tmp, 'registries.conf'), '');
    await fs.writeFile(path.join(tmp, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    src = path.join(tmp, 'src');
    srcDigest = await makeLayout(src, 'v1');
  });

  after(async () => {
    for (const s of servers) await s.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('pushes, inspects and pulls back an OCI image with the same manifest digest', async () => {
    const { addr, server } = await serve();
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${src}:v1`, `docker://${addr}/berth/test:v1`);

    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${addr}/berth/test:v1`)) as {
      Digest: string;
      Layers: string[];
      RepoTags: string[];
      Os: string;
    };
    assert.equal(info.Digest, srcDigest);
    assert.equal(info.Os, 'linux');
    assert.equal(info.Layers.length, 2);
    assert.deepEqual(info.RepoTags, ['v1']);

    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${addr}/berth/test:v1`);
    assert.equal(sha256(raw), srcDigest);

    const out = path.join(tmp, 'out-plain');
    await skopeo('copy', '--preserve-digests', '--src-tls-verify=false', `docker://${addr}/berth/test:v1`, `oci:${out}:v1`);
    assert.equal(await layoutDigest(out, 'v1'), srcDigest);
    for (const layer of info.Layers) {
      const bytes = await fs.readFile(path.join(out, 'blobs', 'sha256', layer.slice(7)));
      assert.equal(sha256(bytes), layer);
    }

    // a second push of the same image to another repository: skopeo mounts or re-pushes, same digest
    await skopeo('copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${addr}/berth/test:v1`, `docker://${addr}/other/copy:v2`);
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${addr}/other/copy`)) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v2']);

    // deleting the manifest and collecting garbage leaves the other repository intact
    await skopeo('delete', '--tls-verify=false', `docker://${addr}/berth/test:v1`);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${addr}/berth/test:v1`), /manifest unknown|not found/i);
    await server.gc({ gracePeriodMs: 0 });
    const again = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${addr}/other/copy:v2`)) as { Digest: string };
    assert.equal(again.Digest, srcDigest);
  });

  it('pushes with credentials to an htpasswd-protected registry and refuses bad ones', async () => {
    const htpasswd = path.join(tmp, 'htpasswd');
    await fs.writeFile(htpasswd, `alice:${bcrypt.hashSync('s3cret', 6).replace(/^\$2[ab]\$/, '$2y$')}\n`);
    const { addr } = await serve({ htpasswd });
    await assert.rejects(
      skopeo('copy', '--dest-tls-verify=false', `oci:${src}:v1`, `docker://${addr}/secure/img:v1`),
      /unauthorized|authentication required|401/i,
    );
    await assert.rejects(
      skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', `oci:${src}:v1`, `docker://${addr}/secure/img:v1`),
      /unauthorized|authentication required|401/i,
    );
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${src}:v1`, `docker://${addr}/secure/img:v1`);
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${addr}/secure/img:v1`)) as { Digest: string };
    assert.equal(info.Digest, srcDigest);
  });

  it('serves over TLS with a self-signed certificate trusted through --dest-cert-dir', async () => {
    const certs = path.join(tmp, 'certs');
    await fs.mkdir(certs);
    const cert = path.join(certs, 'ca.crt');
    const key = path.join(tmp, 'tls.key');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ]);
    const { addr } = await serve({ tls: { cert, key } });
    // verified TLS: the certificate is trusted as a CA from the cert dir
    await skopeo('copy', '--preserve-digests', '--dest-cert-dir', certs, `oci:${src}:v1`, `docker://${addr}/tls/img:v1`);
    const out = path.join(tmp, 'out-tls');
    await skopeo('copy', '--preserve-digests', '--src-cert-dir', certs, `docker://${addr}/tls/img:v1`, `oci:${out}:v1`);
    assert.equal(await layoutDigest(out, 'v1'), srcDigest);
    // without the certificate, verification fails
    await assert.rejects(skopeo('inspect', `docker://${addr}/tls/img:v1`), /certificate|x509/i);
  });
});
