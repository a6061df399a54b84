import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import * as tar from 'tar-stream';
import { BUSYBOX_IMAGE_CHANGES, buildBusyboxRootfs } from './index.js';

describe('buildBusyboxRootfs', () => {
  it('writes busybox, one symlink per applet, /etc files and the NSS libraries', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await buildBusyboxRootfs(out);
    const entries = new Map<string, tar.Header & { body: Buffer }>();
    const ex = tar.extract();
    Readable.from([Buffer.concat(chunks)]).pipe(ex as unknown as NodeJS.WritableStream);
    for await (const e of ex) {
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
      entries.set(e.header.name, { ...e.header, body: Buffer.concat(parts) });
    }
    const bb = entries.get('bin/busybox')!;
    assert.equal(bb.type, 'file');
    assert.equal(bb.body.subarray(1, 4).toString(), 'ELF');
    assert.equal(entries.get('bin/sh')?.type, 'symlink');
    assert.equal(entries.get('bin/sh')?.linkname, 'busybox');
    assert.ok([...entries.values()].filter((e) => e.type === 'symlink').length > 100);
    assert.equal(entries.get('tmp/')?.mode, 0o1777);
    assert.match(entries.get('etc/passwd')!.body.toString(), /^nobody:x:65534:65534:/m);
    assert.match(entries.get('etc/passwd')!.body.toString(), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
    assert.match(entries.get('etc/nsswitch.conf')!.body.toString(), /^hosts: files dns$/m);
    assert.equal(entries.get('etc/resolv.conf')!.body.length, 0);
    for (const lib of ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2', 'libc.so.6']) {
      const e = [...entries.values()].find((x) => x.name.endsWith(`/${lib}`));
      assert.ok(e && e.type === 'file' && e.body.length > 0, lib);
    }
    if (process.arch === 'x64') assert.ok(entries.has('lib64/ld-linux-x86-64.so.2'));
    for (const name of entries.keys()) assert.ok(!name.startsWith('/') && !name.split('/').includes('..'), name);
    assert.deepEqual(BUSYBOX_IMAGE_CHANGES, ['CMD ["sh"]']);
  });
});
