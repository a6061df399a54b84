import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';

/** A tar entry for tests: a header plus optional content. */
export type TestEntry = Partial<tar.Header> & { name: string; content?: string | Buffer };

/** Builds an in-memory tar (test helper). */
export async function makeTar(entries: TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { content, ...h } of entries) {
    const header: Partial<tar.Header> & { name: string } = { mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(1700000000000), ...h };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const isFile = h.type === 'file' || h.type === undefined;
      if (isFile || content !== undefined) pack.entry(header, content ?? '', cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function digestOf(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
